"""The first flow end to end: an agent clocks in over HTTP; the change is stored and pushed by the
stream consumer to the connected supervisor of that unit, and to no supervisor of another unit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jwt
import pytest
from websockets.asyncio.client import connect

from tests.e2e.clients import Api, next_message, subscribe
from tests.e2e.conftest import LocalStack

NO_MESSAGE_SECONDS = 1.5


async def _clock_in_is_pushed(stack: LocalStack) -> None:
    alice = Api(stack, "alice")
    alice.ensure_clocked_out()
    async with (
        connect(stack.ws_url_for("sofia")) as sales_supervisor,
        connect(stack.ws_url_for("marco")) as support_supervisor,
    ):
        await subscribe(sales_supervisor, "sales")
        await subscribe(support_supervisor, "support")
        body = await asyncio.to_thread(alice.call, "POST", "/me/clock-in", body={"platform": "web"})
        assert (body["agent"]["status"], body["agent"]["unitId"]) == ("AVAILABLE", "sales")
        sequence = body["agent"]["sequence"]

        pushed = await next_message(sales_supervisor, matching={"type": "agent.changed", "agentId": "agent-alice"})
        assert pushed["sequence"] == sequence
        assert (pushed["change"]["fromStatus"], pushed["change"]["toStatus"]) == ("AWAY", "AVAILABLE")
        with pytest.raises(TimeoutError):
            await next_message(support_supervisor, matching={"agentId": "agent-alice"}, seconds=NO_MESSAGE_SECONDS)
    history = alice.call("GET", "/me/history?limit=1")["entries"]
    assert history[0]["sequence"] == sequence


def test_clock_in_reaches_the_supervisor_of_that_unit_only(local_stack: LocalStack) -> None:
    asyncio.run(_clock_in_is_pushed(local_stack))


def _sequence(stack: LocalStack, username: str) -> int:
    return int(Api(stack, username).state()["sequence"])


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({}, "platform", "missing"),
        ({"platform": 3}, "platform", "literal_error"),
        ({"platform": "web", "unitId": "nowhere"}, "unitId", "unknown_unit"),
        ({"platform": "web", "unitId": ["sales"]}, "unitId", "string_type"),
    ],
)
def test_bad_clock_in_is_a_4xx_naming_the_field_and_writes_nothing(
    local_stack: LocalStack, body: dict[str, Any], field: str, rule: str
) -> None:
    Api(local_stack, "franco").ensure_clocked_out()
    before = _sequence(local_stack, "franco")
    response = Api(local_stack, "franco").raw("POST", "/me/clock-in", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    found = [(e["field"], e["rule"]) for e in error.get("errors", [])] or [(error.get("field"), error["rule"])]
    assert (field, rule) in found
    assert _sequence(local_stack, "franco") == before


def _forged(stack: LocalStack, kind: str) -> str:
    good = stack.mint("franco")
    if kind == "expired":
        return stack.mint("franco", expires_in=-60)
    if kind == "wrong signature":
        head, payload, signature = good.split(".")
        return ".".join([head, payload, signature[::-1]])
    if kind == "alg none":
        claims = jwt.decode(good, options={"verify_signature": False})
        return jwt.encode(claims, key=None, algorithm="none")
    if kind == "another organization":
        return stack.mint("franco", claims={"custom:organization": "globex"})
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "status_code"),
    [("no token", 401), ("expired", 401), ("wrong signature", 401), ("alg none", 401), ("another organization", 403)],
)
def test_tokens_that_are_not_good_for_this_organization_write_nothing(
    local_stack: LocalStack, kind: str, status_code: int
) -> None:
    Api(local_stack, "franco").ensure_clocked_out()
    before = _sequence(local_stack, "franco")
    token = None if kind == "no token" else _forged(local_stack, kind)
    api = Api(local_stack, None, token=token)
    response = api.raw("POST", "/me/clock-in", json={"platform": "web"})
    assert response.status_code == status_code
    assert isinstance(response.json(), dict)
    assert _sequence(local_stack, "franco") == before


def test_websocket_refuses_a_forged_token(local_stack: LocalStack) -> None:
    async def attempt() -> None:
        with pytest.raises(Exception) as refused:
            async with connect(f"{local_stack.ws_url}?token={_forged(local_stack, 'wrong signature')}") as socket:
                await socket.send(json.dumps({"action": "ping"}))
                await socket.recv()
        assert "401" in str(refused.value) or "403" in str(refused.value)

    asyncio.run(attempt())
