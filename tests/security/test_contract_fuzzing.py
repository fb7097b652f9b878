"""Contract fuzzing: schemathesis generates requests from docs/openapi.json and sends them to the local
stack with a valid token of a role holding each operation's permission (`x-permission`); every answer
must be no 5xx and conform to the document (status code, content type, body schema).

The callers are those of `initech`, an organization the fuzzing may change at will (see tenants.py).
Every other example of an operation names initech's real agent, unit and queue in its path, so that
the handlers' rules (and their 2xx bodies) are reached, not only their 404s. Bounded by tally.py: the
same share of cases and seconds for every operation, so the whole run stays within about two
minutes on a small machine. See docs/security.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contactcenter.access import BUILT_IN_ROLES, PLATFORM_ROLES
from tests.e2e.conftest import ROOT, LocalStack
from tests.security.table import Items, table_items
from tests.security.tally import TALLY
from tests.security.tenants import ROLES, Tenant, Tenants

DOCUMENT = ROOT / "docs" / "openapi.json"
MAX_EXAMPLES = 10  # per operation, for the fuzzing phase
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass(frozen=True)
class Fuzzing:
    stack: LocalStack
    tenant: Tenant
    tokens: dict[str, str]  # role -> token
    known: dict[str, str]  # path parameter -> a real id of the tenant

    def token_for(self, permission: str, turn: int) -> str:
        holders = [role for role in ROLES if permission in _permissions(role)]
        return self.tokens[holders[turn % len(holders)]]


def _permissions(role: str) -> frozenset[str]:
    return frozenset(str(permission) for permission in {**BUILT_IN_ROLES, **PLATFORM_ROLES}[role])


@pytest.fixture(scope="module")
def fuzzing(local_stack: LocalStack, tenants: Tenants) -> Iterator[Fuzzing]:
    tenant = tenants.fuzzing
    agent = tenant["AGENT"].user_id
    TALLY.started = time.monotonic()  # the stack and its callers are ready: the run starts now
    yield Fuzzing(
        local_stack,
        tenant,
        {role: tenant[role].token(local_stack) for role in ROLES},
        {"agentId": agent, "userId": agent, "unitId": "east", "queueId": "initech-line"},
    )


def _unroutable(value: object) -> bool:
    # Starlette's catch-all route (local/gateway.py) matches `.*`, which stops at a line break: such a
    # path gets Starlette's plain-text 404, not the function's answer.
    text = unquote(str(value))  # generated values may arrive percent-encoded already
    return "\n" in text


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_answer_conforms_and_none_is_a_5xx(
    case: schemathesis.Case, fuzzing: Fuzzing, session: requests.Session
) -> None:
    operation = case.operation.label
    phase = str(case.meta.phase.name) if case.meta is not None else "fuzzing"
    if not TALLY.admit(operation, phase, unroutable=any(map(_unroutable, case.path_parameters.values()))):
        return
    turn = TALLY.turn(operation)
    if turn % 2:
        for name in case.path_parameters:
            if name in fuzzing.known:
                case.path_parameters[name] = fuzzing.known[name]
    permission = str(case.operation.definition.raw["x-permission"])
    token = fuzzing.token_for(permission, turn // 2)
    response = case.call_and_validate(
        base_url=fuzzing.stack.api_url, session=session, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )
    TALLY.record(operation, phase, response.status_code)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("multipart/form-data", b'{"platform": "web"}', 415),  # no boundary: parsing it raised, a 500
        ("text/plain", b'{"platform": "web"}', 415),  # answered in Powertools' shape, not ours
        ("application/x-www-form-urlencoded", b"platform=web", 415),  # parsed as a form
        ("application/json", b'{"platform": "w\xffb"}', 422),  # not UTF-8: decoding it raised, a 500
        (None, b'{"platform": "w\xffb"}', 422),
    ],
    ids=["multipart-without-boundary", "text", "form", "json-not-utf8", "no-content-type-not-utf8"],
)
def test_a_body_the_routes_cannot_read_is_refused_before_anything_runs(
    local_stack: LocalStack, content_type: str | None, body: bytes, status: int
) -> None:
    """Found by the fuzzing: each was a 500 or an undocumented answer; now one error shape, nothing written."""
    headers = {"authorization": f"Bearer {local_stack.mint('alice')}"}
    if content_type is not None:
        headers["content-type"] = content_type
    before = demo_items(local_stack)
    response = requests.post(f"{local_stack.api_url}/me/clock-in", data=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    problems = error.get("errors") or [error]
    assert [(p["field"], p["rule"]) for p in problems] == [
        ("Content-Type", "json_only") if status == 415 else ("body", "json_invalid")
    ]
    assert demo_items(local_stack) == before


def demo_items(stack: LocalStack) -> Items:
    # Demo's items only: the fuzzed organization's may still be changing (an elapsed wrap-up, settled).
    return {key: item for key, item in table_items(stack).items() if key[0].startswith("ORG#demo#")}
