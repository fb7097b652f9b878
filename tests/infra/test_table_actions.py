"""Each function's role lists only the DynamoDB actions the code calls (issue 14, point 8): the actions are
read from the store's code (its client calls, and the parts of its transactions, which IAM checks one by
one), compared with infra/wiring.py's lists, and the synthesized roles are compared with those lists."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from infra.wiring import TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS, WIRING, Function
from tests.infra.cfn import as_list
from tests.infra.conftest import Synthesis

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "layers" / "common" / "python", ROOT)
STORE = "contactcenter.store"
OPERATIONS = {
    xform_name(name): name for name in botocore.session.get_session().get_service_model("dynamodb").operation_names
}
# A transaction's parts, as IAM checks them (TransactWriteItems needs PutItem for a Put, and so on).
TRANSACTION_PARTS = {
    "Get": "GetItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
NOT_DYNAMODB = {f"{STORE}.identity_cognito"}  # Cognito's client shares some operation names


def _path(module: str) -> Path | None:
    for base in SOURCES:
        for candidate in (base / f"{module.replace('.', '/')}.py", base / module.replace(".", "/") / "__init__.py"):
            if candidate.exists():
                return candidate
    return None


def _imported(module: str) -> Iterator[str]:
    path = _path(module)
    if path is None:
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _reached(module: str) -> set[str]:
    """Every module of ours the handler's module imports, at any depth (function-level imports included)."""
    seen: set[str] = set()
    waiting = [module]
    while waiting:
        current = waiting.pop()
        if current in seen or _path(current) is None:
            continue
        seen.add(current)
        waiting += [m for m in _imported(current) if m.startswith(("contactcenter", "functions"))]
    return seen


def _calls(module: str) -> set[str]:
    """The DynamoDB actions a store module's code calls: client methods, paginators, transaction parts."""
    path = _path(module)
    assert path is not None
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in OPERATIONS:
                found.add(OPERATIONS[node.func.attr])
            first = node.args[0] if node.args else None
            if node.func.attr == "get_paginator" and isinstance(first, ast.Constant) and first.value in OPERATIONS:
                found.add(OPERATIONS[first.value])
        if isinstance(node, ast.Dict):
            keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            if "TableName" in keys or any(isinstance(v, ast.Dict) for v in node.values):
                found |= {TRANSACTION_PARTS[key] for key in keys if key in TRANSACTION_PARTS}
    return found


def _code_actions(row: Function) -> set[str]:
    modules = _reached(row.handler.rsplit(".", 1)[0])
    store = {m for m in modules if m.startswith(f"{STORE}.") and m not in NOT_DYNAMODB}
    # IAM checks a transaction by its parts (found as such): the transaction itself is no IAM action.
    return set().union(*(_calls(m) for m in store)) - {"TransactGetItems", "TransactWriteItems"}


def _table_actions(synthesis: Synthesis, name: str) -> set[str]:
    """Actions of the role's statements on the table itself (not its stream)."""
    table_id = next(iter(synthesis.resources("AWS::DynamoDB::Table")))
    found: set[str] = set()
    for statement in synthesis.role_statements(name):
        resources = as_list(statement.get("Resource"))
        if {"Fn::GetAtt": [table_id, "Arn"]} in resources:
            found |= {str(action).removeprefix("dynamodb:") for action in as_list(statement["Action"])}
    return found


def test_the_listed_actions_are_exactly_what_the_store_calls() -> None:
    called = set().union(*(_code_actions(row) for row in WIRING.functions if row.table_access == "read_write"))
    assert called == set(TABLE_READ_ACTIONS) | set(TABLE_WRITE_ACTIONS)


@pytest.mark.parametrize("row", WIRING.functions, ids=lambda row: row.name)
def test_a_functions_role_holds_the_table_actions_its_code_calls_and_no_other(
    synthesis: Synthesis, row: Function
) -> None:
    granted = _table_actions(synthesis, row.name)
    assert granted == set(row.table_actions)
    if row.table_access == "read_write":
        assert _code_actions(row) <= granted
    assert not granted & {"Scan", "DescribeTable", "GetRecords", "GetShardIterator", "PartiQLSelect"}
