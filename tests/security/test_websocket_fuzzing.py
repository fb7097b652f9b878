"""WebSocket fuzzing on the local stack: malformed JSON, binary frames, unknown actions, wrong types and
refused subscriptions each get a clear error and leave the connection usable (a ping gets its pong) and
the connection's records as they were; oversize messages are closed by the gateway itself (1009) before
any function sees them; floods of subscribe/unsubscribe are answered one by one, in order, and leave
exactly the last state asked for. See docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.clients import subscribe
from tests.e2e.conftest import LocalStack
from tests.security.table import connection_items

REPLY_SECONDS = 10.0
FLOOD = 200  # messages per flood
WINDOW = 25  # sent back to back before their answers are read
USER_IDS = {"sofia": "sup-sofia", "alice": "agent-alice"}
REPLIES = frozenset({"error", "pong", "subscribed", "unsubscribed", "caughtup"})  # not pushes

MALFORMED = [
    "{not json",
    "",
    "null",
    "[]",
    '"subscribe"',
    '{"action": "subscribe"',  # cut short
    "\u0000\u0001\u0002",
    '{"action": "subscribe", "units": ["sales"]}' * 2,
]
UNKNOWN_ACTIONS = [
    {"action": "explode"},
    {"action": "SUBSCRIBE"},
    {"action": "$connect"},
    {"action": "$disconnect"},
    {"action": "$default"},
    {"action": 42},
    {"action": None},
    {"action": ["subscribe"]},
    {"units": ["sales"]},
]
WRONG_TYPES = [
    {"action": "subscribe", "units": "sales"},
    {"action": "subscribe", "units": [1, 2]},
    {"action": "subscribe", "units": [None]},
    {"action": "subscribe", "units": {"sales": True}},
    {"action": "subscribe", "units": ["../support"]},
    {"action": "subscribe", "units": ["x" * 65]},
    {"action": "subscribe", "units": [f"u{i}" for i in range(51)]},
    {"action": "subscribe", "queues": 5},
    {"action": "subscribe", "units": ["sales"], "admin": True},
    {"action": "subscribe", "requestId": {"id": 1}},
    {"action": "unsubscribe", "units": [["sales"]]},
    {"action": "catchup", "since": []},
    {"action": "catchup", "since": {"agent-alice": -1}},
    {"action": "catchup", "since": {"agent-alice": "ten"}},
    {"action": "catchup"},
]
# Well-formed, refused by the rules: (message, rule).
REFUSED = [
    ({"action": "subscribe", "units": ["support"]}, "unit_not_supervised"),
    ({"action": "subscribe", "units": ["nowhere"]}, "unknown_unit"),
    ({"action": "catchup", "since": {"agent-chiara": 0}}, "agent_not_supervised"),
]


async def reply(socket: ClientConnection) -> dict[str, Any]:
    """The next answer to the sender (pushes about agents, which other tests may cause, are skipped)."""
    async with asyncio.timeout(REPLY_SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if message.get("type") in REPLIES or "message" in message:
                return dict(message)


async def still_usable(socket: ClientConnection) -> None:
    await socket.send(json.dumps({"action": "ping"}))
    assert (await reply(socket))["type"] == "pong"


def assert_clear_error(message: dict[str, Any], *, rule: str | None = None) -> None:
    """One error shape: a code, and a rule (with field and message) or a list of them."""
    assert message["type"] == "error", message
    error = message["error"]
    problems = error.get("errors") or [error]
    assert error["code"] and all(p["rule"] and p["message"] for p in problems), message
    if rule is not None:
        assert rule in {p["rule"] for p in problems}, message


def open_connections(stack: LocalStack, user_id: str) -> list[str]:
    return [
        key[0]
        for key, item in connection_items(stack).items()
        if key[0].startswith("CONN#") and item.get("userId", {}).get("S") == user_id
    ]


def run(stack: LocalStack, username: str, scenario: Callable[[ClientConnection], Awaitable[None]]) -> None:
    """The scenario on a new connection; returns once $disconnect has removed the connection's records,
    so that the next test starts from a table no closing connection still changes."""

    async def session() -> None:
        async with connect(stack.ws_url_for(username), max_size=None) as socket:
            await scenario(socket)

    asyncio.run(session())
    deadline = time.monotonic() + REPLY_SECONDS
    while open_connections(stack, USER_IDS[username]):
        assert time.monotonic() < deadline, f"{username}'s connection records outlived the connection"
        time.sleep(0.1)


@pytest.fixture
def sofia_on_sales(local_stack: LocalStack) -> Callable[[Callable[[ClientConnection], Awaitable[None]]], None]:
    """Runs a scenario on sofia's connection subscribed to sales, and checks nothing was written meanwhile."""

    def scenario_on(body: Callable[[ClientConnection], Awaitable[None]]) -> None:
        async def subscribed_then(socket: ClientConnection) -> None:
            await subscribe(socket, "sales")
            before = await asyncio.to_thread(connection_items, local_stack)
            await body(socket)
            await still_usable(socket)
            after = await asyncio.to_thread(connection_items, local_stack)
            assert after == before, "the connection's records changed"

        run(local_stack, "sofia", subscribed_then)

    return scenario_on


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_json_gets_an_error_and_the_connection_stays(sofia_on_sales: Any, text: str) -> None:
    async def body(socket: ClientConnection) -> None:
        await socket.send(text)
        assert_clear_error(await reply(socket), rule="unknown_action")

    sofia_on_sales(body)


def test_a_binary_frame_gets_an_error_and_the_connection_stays(sofia_on_sales: Any) -> None:
    async def body(socket: ClientConnection) -> None:
        await socket.send(b'{"action": "subscribe", "units": ["support"]}\xff\x00')
        assert_clear_error(await reply(socket), rule="unknown_action")

    sofia_on_sales(body)


@pytest.mark.parametrize("message", UNKNOWN_ACTIONS, ids=json.dumps)
def test_an_unknown_action_gets_an_error_and_the_connection_stays(sofia_on_sales: Any, message: Any) -> None:
    async def body(socket: ClientConnection) -> None:
        await socket.send(json.dumps(message))
        assert_clear_error(await reply(socket), rule="unknown_action")

    sofia_on_sales(body)


@pytest.mark.parametrize("message", WRONG_TYPES, ids=lambda m: json.dumps(m)[:60])
def test_wrong_types_get_a_validation_error_and_write_nothing(sofia_on_sales: Any, message: Any) -> None:
    async def body(socket: ClientConnection) -> None:
        await socket.send(json.dumps(message))
        answer = await reply(socket)
        assert_clear_error(answer)
        assert answer["error"]["code"] == "validation", answer

    sofia_on_sales(body)


@pytest.mark.parametrize(("message", "rule"), REFUSED, ids=[rule for _, rule in REFUSED])
def test_what_the_rules_refuse_gets_its_rule_and_writes_nothing(sofia_on_sales: Any, message: Any, rule: str) -> None:
    async def body(socket: ClientConnection) -> None:
        await socket.send(json.dumps(message))
        assert_clear_error(await reply(socket), rule=rule)

    sofia_on_sales(body)


def test_an_agent_may_not_watch_units(local_stack: LocalStack) -> None:
    async def scenario(socket: ClientConnection) -> None:
        before = await asyncio.to_thread(connection_items, local_stack)
        await socket.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
        assert_clear_error(await reply(socket), rule="missing_permission")
        await still_usable(socket)
        assert await asyncio.to_thread(connection_items, local_stack) == before

    run(local_stack, "alice", scenario)


async def flood(socket: ClientConnection, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sends the messages WINDOW at a time without waiting, and returns every answer in order.

    Windows, not all at once: the local runtime runs a function's invocations one at a time and counts
    the time one waits behind the others against its timeout (AWS runs them side by side), so 200 at
    once would time the tail out there and only there.
    """
    answers = []
    for start in range(0, len(messages), WINDOW):
        window = messages[start : start + WINDOW]
        for message in window:
            await socket.send(json.dumps(message))
        answers += [await reply(socket) for _ in window]
    return answers


def test_a_flood_of_refused_subscriptions_gets_every_error_and_writes_nothing(sofia_on_sales: Any) -> None:
    async def body(socket: ClientConnection) -> None:
        messages = [{"action": "subscribe", "units": ["support"], "requestId": str(i)} for i in range(FLOOD)]
        for answer in await flood(socket, messages):
            assert_clear_error(answer, rule="unit_not_supervised")

    sofia_on_sales(body)


def test_a_flood_of_subscribe_and_unsubscribe_is_answered_in_order_and_ends_as_asked(local_stack: LocalStack) -> None:
    async def scenario(socket: ClientConnection) -> None:
        actions = ["subscribe" if index % 2 == 0 else "unsubscribe" for index in range(FLOOD)]
        messages = [{"action": a, "units": ["sales"], "requestId": str(i)} for i, a in enumerate(actions)]
        answers = await flood(socket, messages)
        assert [(a["type"], a["requestId"], a["channels"]) for a in answers] == [
            (f"{action}d", str(index), ["UNIT#sales"] if action == "subscribe" else [])
            for index, action in enumerate(actions)
        ]
        await still_usable(socket)
        # The last message unsubscribed: a read of the channels (a subscription to nothing) says so.
        await socket.send(json.dumps({"action": "subscribe", "requestId": "read"}))
        assert (await reply(socket))["channels"] == []

    run(local_stack, "sofia", scenario)
    subscribers = [key for key in connection_items(local_stack) if key[0] == "ORG#demo#CHANNEL#UNIT#sales"]
    assert subscribers == [], "the flood left a subscription behind"


def _padded_subscription(size: int) -> str:
    """A subscription the function would refuse (an unknown field), padded to `size` bytes."""
    head = '{"action": "subscribe", "units": ["support"], "pad": "'
    return head + "x" * (size - len(head) - 2) + '"}'


@pytest.mark.parametrize(
    ("size", "fragment"),
    [(130 * 1024, 32 * 1024), (40 * 1024, None)],
    ids=["message-over-128KB-in-32KB-frames", "frame-over-32KB"],
)
def test_an_oversize_message_is_closed_by_the_gateway_unread(
    local_stack: LocalStack, size: int, fragment: int | None
) -> None:
    async def scenario(socket: ClientConnection) -> None:
        await subscribe(socket, "sales")
        text = _padded_subscription(size)
        if fragment is None:
            await socket.send(text)
        else:
            await socket.send(text[i : i + fragment] for i in range(0, len(text), fragment))
        with pytest.raises(ConnectionClosed):
            await reply(socket)  # no error reply: no function saw the message
        assert socket.close_code == 1009

    run(local_stack, "sofia", scenario)
    subscribers = [key for key in connection_items(local_stack) if key[0] == "ORG#demo#CHANNEL#UNIT#sales"]
    assert subscribers == [], "the closed connection's subscription was not cleaned up"


@pytest.mark.parametrize(
    ("username", "status"), [("fabio", 403), (None, 401)], ids=["no-connect-permission", "no-token"]
)
def test_a_connection_without_the_right_is_refused_at_the_handshake(
    local_stack: LocalStack, username: str | None, status: int
) -> None:
    url = local_stack.ws_url_for(username) if username else local_stack.ws_url

    async def attempt() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == status

    before = connection_items(local_stack)
    asyncio.run(attempt())
    assert connection_items(local_stack) == before
