"""The WebSocket API: $connect and its authorizer, route selection, $disconnect, and API Gateway's limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from infra.wiring import SocketRoute
from local.websocket import WebSocketLimits
from tests.local.support import LocalGateway, recording_wiring, run


def _client(url: str) -> Any:
    # No client pings: API Gateway's idle timer must see only what the test sends.
    return connect(url, ping_interval=None, max_size=None, open_timeout=5, close_timeout=2)


async def _refused(url: str) -> int:
    try:
        async with _client(url):
            pass
    except InvalidStatus as exc:
        return exc.response.status_code
    raise AssertionError("the handshake was accepted")


async def _closed_with(ws: ClientConnection) -> tuple[int, str]:
    """Reads until the server closes; returns its close code and reason."""
    try:
        while True:  # bounded by the wrapper's timeout
            await ws.recv()
    except ConnectionClosed as exc:
        assert exc.rcvd is not None
        return exc.rcvd.code, exc.rcvd.reason


def _events(stack: LocalGateway, route_key: str) -> list[dict[str, Any]]:
    return [event for event in stack.recorder.events["socket"] if event["requestContext"]["routeKey"] == route_key]


def _policy(effect: str, context: dict[str, Any] | None = None) -> Any:
    def answer(event: dict[str, Any], _: Any) -> dict[str, Any]:
        statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
        return {"principalId": "u", "policyDocument": {"Statement": [statement]}, "context": context or {}}

    return answer


def _fail(message: str) -> Any:
    def fail(event: dict[str, Any], _: Any) -> Any:
        raise Exception(message)

    return fail


def test_without_a_token_the_handshake_is_401_and_the_authorizer_is_not_called(start_gateway) -> None:
    stack = start_gateway()
    assert run(_refused(stack.ws_url)) == 401
    assert stack.recorder.events["authorizer"] == []
    assert stack.recorder.events["socket"] == []


@pytest.mark.parametrize(
    ("authorizer", "status"),
    [
        (_policy("Deny"), 403),
        (_fail("Unauthorized"), 401),
        (_fail("database down"), 500),
        (_policy("Allow", {"roles": ["AGENT"]}), 500),  # API Gateway refuses arrays in the context
        (lambda event, _: {"policyDocument": {}}, 500),
    ],
    ids=["deny", "unauthorized", "crash", "array in context", "malformed"],
)
def test_the_authorizer_decides_the_handshake(start_gateway, authorizer: Any, status: int) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["authorizer"] = authorizer
    assert run(_refused(stack.ws_url_with_token())) == status
    assert len(stack.recorder.events["authorizer"]) == 1
    assert stack.recorder.events["socket"] == []


def test_a_connect_route_answering_non_2xx_refuses_the_connection(start_gateway) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["socket"] = lambda event, _: {"statusCode": 403}
    assert run(_refused(stack.ws_url_with_token())) == 403
    assert [e["requestContext"]["routeKey"] for e in stack.recorder.events["socket"]] == ["$connect"]
    assert stack.websocket_api.connections == {}


def test_messages_go_to_the_route_their_action_names(start_gateway) -> None:
    stack = start_gateway()

    async def talk() -> None:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
            await ws.send(json.dumps({"action": "dance"}))
            await ws.send(json.dumps({"action": "$connect"}))
            await ws.send("not json")
            await ws.send(b"\x00\x01")
            await asyncio.to_thread(stack.recorder.wait_for, "socket", 6)

    run(talk())
    messages = [e for e in stack.recorder.events["socket"] if e["requestContext"]["eventType"] == "MESSAGE"]
    assert [e["requestContext"]["routeKey"] for e in messages] == [
        "subscribe",
        "$default",
        "$default",
        "$default",
        "$default",
    ]
    assert messages[3]["body"] == "not json" and messages[3]["isBase64Encoded"] is False
    assert messages[4]["body"] == "AAE=" and messages[4]["isBase64Encoded"] is True
    authorizer = messages[0]["requestContext"]["authorizer"]
    assert authorizer == {
        "principalId": "agent-alice",
        "organizationId": "org-1",
        "userId": "agent-alice",
        "admin": False,
    }


def test_a_message_no_route_takes_gets_forbidden(start_gateway) -> None:
    routes = (SocketRoute("$connect", "socket"), SocketRoute("subscribe", "socket"))
    stack = start_gateway(wiring=recording_wiring(socket_routes=routes))

    async def talk() -> dict[str, Any]:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(json.dumps({"action": "dance"}))
            return json.loads(await ws.recv())

    answer = run(talk())
    assert answer["message"] == "Forbidden"
    assert set(answer) == {"message", "connectionId", "requestId"}


def test_a_failing_route_sends_api_gateways_error_message(start_gateway) -> None:
    stack = start_gateway()

    def socket(event: dict[str, Any], _: Any) -> dict[str, Any]:
        if event["requestContext"]["routeKey"] == "subscribe":
            raise RuntimeError("boom")
        return {"statusCode": 200}

    stack.recorder.behaviours["socket"] = socket

    async def talk() -> dict[str, Any]:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(json.dumps({"action": "subscribe"}))
            return json.loads(await ws.recv())

    answer = run(talk())
    assert answer["message"] == "Internal server error"
    assert answer["connectionId"] == _events(stack, "$connect")[0]["requestContext"]["connectionId"]


@pytest.mark.parametrize(("route_responses", "answered"), [(None, True), (frozenset(), False)])
def test_a_route_response_carries_the_body_back(start_gateway, route_responses: Any, answered: bool) -> None:
    stack = start_gateway(route_responses=route_responses)
    stack.recorder.behaviours["socket"] = lambda event, _: {"statusCode": 200, "body": "pong"}

    async def talk() -> str | None:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(json.dumps({"action": "subscribe"}))
            try:
                return str(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except TimeoutError:
                return None

    assert run(talk()) == ("pong" if answered else None)


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [(4000, "bye", (4000, "bye")), (1000, "", (1000, "Connection Closed Normally")), (None, "", (1005, None))],
)
def test_a_client_close_reaches_disconnect_with_its_code(
    start_gateway, code: int | None, reason: str, expected: tuple[int, str | None]
) -> None:
    stack = start_gateway()

    async def talk() -> None:
        ws = await _client(stack.ws_url_with_token())
        if code is None:
            async with ws.send_context():  # a close frame with no status code, which close() cannot send
                ws.protocol.send_close()
            await ws.wait_closed()
        else:
            await ws.close(code, reason)

    run(talk())
    disconnect = stack.recorder.wait_for("socket", 2)[-1]["requestContext"]
    assert disconnect["routeKey"] == "$disconnect"
    assert disconnect["disconnectStatusCode"] == expected[0]
    if expected[1] is not None:
        assert disconnect["disconnectReason"] == expected[1]


def test_a_message_over_the_size_limit_closes_with_1009(start_gateway) -> None:
    stack = start_gateway(limits=WebSocketLimits(max_message_bytes=1000, max_frame_bytes=400))

    async def talk() -> tuple[int, str]:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(["x" * 300, "x" * 300, "x" * 300, "x" * 300])  # four frames, 1200 bytes
            return await _closed_with(ws)

    assert run(talk())[0] == 1009
    disconnect = stack.recorder.wait_for("socket", 2)[-1]["requestContext"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (1009, "Message too big")
    assert _events(stack, "$default") == []


def test_a_frame_over_32_kb_closes_with_1009_under_the_default_limits(start_gateway) -> None:
    stack = start_gateway()

    async def talk() -> tuple[int, str]:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send("x" * (40 * 1024))  # one frame, under the 128 KB message limit
            return await _closed_with(ws)

    assert run(talk())[0] == 1009
    assert stack.recorder.wait_for("socket", 2)[-1]["requestContext"]["disconnectStatusCode"] == 1009


def test_fragments_of_a_message_under_128_kb_are_accepted(start_gateway) -> None:
    stack = start_gateway()

    async def talk() -> None:
        async with _client(stack.ws_url_with_token()) as ws:
            await ws.send(["y" * (30 * 1024)] * 4)  # 120 KB in 30 KB frames
            await asyncio.to_thread(stack.recorder.wait_for, "socket", 2)

    run(talk())
    assert len(_events(stack, "$default")[0]["body"]) == 120 * 1024


def test_an_idle_connection_is_closed_going_away(start_gateway) -> None:
    stack = start_gateway(limits=WebSocketLimits(idle_timeout_seconds=0.4))

    async def talk() -> tuple[int, str]:
        async with _client(stack.ws_url_with_token()) as ws:
            return await _closed_with(ws)

    assert run(talk()) == (1001, "Going away")
    disconnect = stack.recorder.wait_for("socket", 2)[-1]["requestContext"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (1001, "Going away")


def test_activity_keeps_a_connection_open_until_its_maximum_duration(start_gateway) -> None:
    stack = start_gateway(limits=WebSocketLimits(idle_timeout_seconds=0.5, max_connection_seconds=1.5))

    async def talk() -> tuple[float, tuple[int, str]]:
        loop = asyncio.get_running_loop()
        async with _client(stack.ws_url_with_token()) as ws:
            opened = loop.time()

            async def chatter() -> None:
                for _ in range(20):  # 0.2 s apart: never idle for 0.5 s
                    await ws.send("ping")
                    await asyncio.sleep(0.2)

            sender = asyncio.create_task(chatter())
            closed = await _closed_with(ws)
            sender.cancel()
            return loop.time() - opened, closed

    elapsed, closed = run(talk())
    assert closed == (1001, "Going away")
    assert 1.3 < elapsed < 3.0
