"""A reused Idempotency-Key on the local stack (real HTTP with JWTs): the same request gets the first
answer again; the same key with another body is 409 `idempotency_key_reused` and creates nothing."""

from __future__ import annotations

import secrets

from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack


def test_assignment_key_reused_for_another_agent_is_409_and_the_retry_gets_the_first_answer(
    local_stack: LocalStack,
) -> None:
    sofia = Api(local_stack, "sofia")
    key = {"Idempotency-Key": f"e2e-{secrets.token_hex(6)}"}
    body = {
        "type": "coaching",
        "title": f"Idempotent review {secrets.token_hex(3)}",
        "instructions": "Listen to the call.",
        "agentIds": ["agent-alice"],
    }
    first = sofia.call("POST", "/assignments", expect=201, body=body, headers=key)
    assignment_id = first["assignment"]["assignmentId"]
    created_before = sofia.call("GET", "/assignments?limit=100")["assignments"]

    refused = sofia.call("POST", "/assignments", expect=409, body=body | {"agentIds": ["agent-bruno"]}, headers=key)
    again = sofia.call("POST", "/assignments", expect=201, body=body, headers=key)

    assert (refused["error"]["field"], refused["error"]["rule"]) == ("Idempotency-Key", "idempotency_key_reused")
    assert again == first
    assert again["agentIds"] == ["agent-alice"]
    assert sofia.call("GET", "/assignments?limit=100")["assignments"] == created_before
    progress = sofia.call("GET", f"/assignments/{assignment_id}/progress")
    assert [agent["agentId"] for agent in progress["agents"]] == ["agent-alice"]
