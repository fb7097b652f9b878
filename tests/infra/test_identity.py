"""The user pool as the functions meet it: the admin function administers it with exactly the operations
the identity directory calls (and no other function may), and the token trigger is wired as event
version V3_0 so machines' access tokens get their organization."""

from __future__ import annotations

import ast
from typing import Any

import botocore.session
from botocore import xform_name

from contactcenter import identity
from infra import naming
from infra.constructs.identity import ADMINISTRATION_ACTIONS
from infra.wiring import WIRING
from tests.infra.cfn import as_list, only, referenced, statements
from tests.infra.conftest import Synthesis

IDENTITY_DIRECTORY = naming.COMMON_LAYER_DIR / "python/contactcenter/store/identity_cognito.py"
IDENTITY_VARIABLES = ("IDENTITY_PROVIDER", "USER_POOL_ID")


def _pool_id(synthesis: Synthesis) -> str:
    return only(set(synthesis.resources("AWS::Cognito::UserPool")))


def _cognito_statements(synthesis: Synthesis, name: str) -> list[dict[str, Any]]:
    return [
        s for s in synthesis.role_statements(name) if any(a.startswith("cognito-idp:") for a in as_list(s["Action"]))
    ]


def _called_operations() -> set[str]:
    """The Cognito API operations store/identity_cognito.py calls: `self.client.<method>(...)` and
    `get_paginator("<method>")`, named as IAM names them (botocore's service model maps the two)."""
    tree = ast.parse(IDENTITY_DIRECTORY.read_text())
    methods: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Attribute) and owner.attr == "client":
            if node.func.attr == "get_paginator":
                argument = node.args[0]
                assert isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                methods.add(argument.value)
            else:
                methods.add(node.func.attr)
    model = botocore.session.get_session().get_service_model("cognito-idp")
    operations = {xform_name(operation): operation for operation in model.operation_names}
    assert methods <= operations.keys(), methods - operations.keys()
    return {f"cognito-idp:{operations[method]}" for method in methods}


def test_the_grant_is_exactly_the_operations_the_identity_directory_calls() -> None:
    assert sorted(ADMINISTRATION_ACTIONS) == sorted(_called_operations())
    assert len(ADMINISTRATION_ACTIONS) == len(set(ADMINISTRATION_ACTIONS))


def test_only_the_admin_function_manages_identities() -> None:
    assert [row.name for row in WIRING.functions if row.manages_identities] == ["admin"]


def test_the_admin_function_is_given_the_user_pool(synthesis: Synthesis) -> None:
    variables = synthesis.function("admin")["Properties"]["Environment"]["Variables"]
    assert variables["IDENTITY_PROVIDER"] == "cognito"
    assert variables["USER_POOL_ID"] == {"Ref": _pool_id(synthesis)}


def test_the_admin_function_may_call_exactly_those_actions_on_the_user_pool_alone(synthesis: Synthesis) -> None:
    (statement,) = _cognito_statements(synthesis, "admin")
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == sorted(ADMINISTRATION_ACTIONS)
    assert statement["Resource"] == {"Fn::GetAtt": [_pool_id(synthesis), "Arn"]}
    assert "Condition" not in statement


def test_no_other_function_gets_the_user_pool_or_its_actions(synthesis: Synthesis) -> None:
    for row in WIRING.functions:
        if row.name == "admin":
            continue
        variables = synthesis.function(row.name)["Properties"]["Environment"]["Variables"]
        assert not set(IDENTITY_VARIABLES) & set(variables), row.name
        assert _cognito_statements(synthesis, row.name) == [], row.name


def test_nothing_else_in_the_template_allows_a_user_pool_action(synthesis: Synthesis) -> None:
    admin_role = only(referenced(synthesis.function("admin")["Properties"]["Role"]))
    for name, policy in synthesis.resources("AWS::IAM::Policy").items():
        granting = [
            s for s in statements(policy) if any(str(a).startswith("cognito-idp:") for a in as_list(s["Action"]))
        ]
        if granting:
            assert policy["Properties"]["Roles"] == [{"Ref": admin_role}], name


def test_the_token_trigger_is_version_3_and_reads_the_table_only(synthesis: Synthesis) -> None:
    assert WIRING.token_trigger is not None
    ((_, pool),) = synthesis.resources("AWS::Cognito::UserPool").items()
    config = pool["Properties"]["LambdaConfig"]
    assert config == {
        "PreTokenGenerationConfig": {
            "LambdaArn": {"Fn::GetAtt": [synthesis.function_ids[WIRING.token_trigger], "Arn"]},
            "LambdaVersion": "V3_0",
        }
    }
    # Access token customization for client credentials needs the Essentials or Plus plan.
    assert pool["Properties"]["UserPoolTier"] in {"ESSENTIALS", "PLUS"}
    row = WIRING.function(WIRING.token_trigger)
    assert row.table_access == "read" and not row.manages_identities
    actions = {a for s in synthesis.role_statements(row.name) for a in as_list(s["Action"])}
    assert "dynamodb:GetItem" in actions
    assert not {a for a in actions if a.startswith("dynamodb:") and ("Put" in a or "Update" in a or "Delete" in a)}
    assert row.timeout_seconds <= 5  # Cognito gives a trigger 5 seconds


def test_the_integration_scope_is_the_one_the_backend_recognizes() -> None:
    scope = f"{naming.RESOURCE_SERVER_ID}/{naming.INTEGRATION_SCOPE}"
    assert scope == identity.INTEGRATION_SCOPE
