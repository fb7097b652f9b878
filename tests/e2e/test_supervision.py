"""Supervision end to end on the local stack, with real WebSocket clients: who sees what, in order;
forced changes reach the agent; forced AWAY closes the agent's sessions; gone connections are cleaned
up; gaps are detected and caught up; a poisoned stream record does not hold back the ones behind it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.clients import Api, next_message, subscribe
from tests.e2e.conftest import LocalStack

QUIET_SECONDS = 1.5


def _aws(stack: LocalStack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


async def _changes(socket: ClientConnection, agents: set[str], until: float) -> list[tuple[str, int, str]]:
    """Every agent.changed push about `agents` until the deadline, as (agent, sequence, to status)."""
    seen: list[tuple[str, int, str]] = []
    while (left := until - time.monotonic()) > 0:
        try:
            async with asyncio.timeout(left):
                message = json.loads(await socket.recv())
        except TimeoutError:
            break
        if message.get("type") == "agent.changed" and message["agentId"] in agents:
            seen.append((message["agentId"], message["sequence"], message["change"]["toStatus"]))
    return seen


async def _three_supervisors(stack: LocalStack) -> None:
    chiara, franco = Api(stack, "chiara"), Api(stack, "franco")  # support, sales
    for agent in (chiara, franco):
        agent.ensure_clocked_out()
    async with (
        connect(stack.ws_url_for("sofia")) as sofia,
        connect(stack.ws_url_for("marco")) as marco,
        connect(stack.ws_url_for("ugo")) as ugo,
    ):
        await subscribe(sofia, "sales")
        await subscribe(marco, "support")
        await subscribe(ugo, "sales", "support")
        expected: dict[str, list[tuple[str, int, str]]] = {"agent-chiara": [], "agent-franco": []}
        for agent, agent_id in ((chiara, "agent-chiara"), (franco, "agent-franco")):
            for path, body in (("/me/clock-in", {"platform": "web"}),):
                changed = await asyncio.to_thread(agent.call, "POST", path, body=body)
                expected[agent_id].append((agent_id, changed["agent"]["sequence"], "AVAILABLE"))
            for reason in ("BREAK", "MEETING"):
                changed = await asyncio.to_thread(
                    agent.call, "PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": reason}
                )
                expected[agent_id].append((agent_id, changed["agent"]["sequence"], "UNAVAILABLE"))
        await asyncio.to_thread(stack.drain)
        until = time.monotonic() + QUIET_SECONDS
        watched = {"agent-chiara", "agent-franco"}
        seen_sofia, seen_marco, seen_ugo = await asyncio.gather(
            _changes(sofia, watched, until), _changes(marco, watched, until), _changes(ugo, watched, until)
        )
    assert seen_sofia == expected["agent-franco"]
    assert seen_marco == expected["agent-chiara"]
    assert sorted(seen_ugo) == sorted(expected["agent-franco"] + expected["agent-chiara"])
    for agent_id in watched:  # in order, per agent
        assert [s for s in seen_ugo if s[0] == agent_id] == expected[agent_id]


def test_three_supervisors_over_two_units_see_exactly_their_agents_in_order(local_stack: LocalStack) -> None:
    asyncio.run(_three_supervisors(local_stack))


async def _forced_changes(stack: LocalStack) -> None:
    elena = Api(stack, "elena")
    elena.ensure_clocked_out()
    marco = Api(stack, "marco")
    await asyncio.to_thread(elena.call, "POST", "/me/clock-in", body={"platform": "app"})
    await asyncio.to_thread(stack.drain)  # the clock-in's own push is out of the way
    async with connect(stack.ws_url_for("elena")) as agent_socket:
        await asyncio.to_thread(
            marco.call, "POST", "/agents/agent-elena/pause", body={"reason": "MEETING", "description": "Team huddle"}
        )
        forced = await next_message(agent_socket, matching={"type": "agent.changed", "agentId": "agent-elena"})
        assert (forced["change"]["toStatus"], forced["change"]["actorKind"], forced["change"]["actorId"]) == (
            "UNAVAILABLE",
            "supervisor",
            "sup-marco",
        )
        await asyncio.to_thread(
            marco.call, "POST", "/agents/agent-elena/status", body={"status": "AWAY", "reason": "END_OF_SHIFT"}
        )
        away = await next_message(agent_socket, matching={"type": "agent.changed", "agentId": "agent-elena"})
        assert away["change"]["toStatus"] == "AWAY"
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(10):
                while True:
                    await agent_socket.recv()
    assert elena.state()["status"] == "AWAY"


def test_forced_changes_reach_the_agent_and_forced_away_closes_the_session(local_stack: LocalStack) -> None:
    asyncio.run(_forced_changes(local_stack))


async def _gone_connection_and_catch_up(stack: LocalStack) -> None:
    dev = Api(stack, "dev")
    dev.ensure_clocked_out()
    table = _aws(stack, "dynamodb")
    # A connection whose $disconnect never ran (API Gateway delivers it best effort): only records remain.
    ghost = "GhostConn0000="
    table.put_item(
        TableName=stack.table_name,
        Item={
            "pk": {"S": f"CONN#{ghost}"},
            "sk": {"S": "CONN"},
            "entity": {"S": "Connection"},
            "organizationId": {"S": "demo"},
            "userId": {"S": "sup-sofia"},
            "roles": {"L": [{"S": "SUPERVISOR"}]},
            "channels": {"L": [{"S": "UNIT#sales"}]},
            "connectedAt": {"S": "2026-01-01T00:00:00.000+00:00"},
        },
    )
    table.put_item(
        TableName=stack.table_name,
        Item={
            "pk": {"S": "ORG#demo#CHANNEL#UNIT#sales"},
            "sk": {"S": f"CONN#{ghost}"},
            "entity": {"S": "Subscription"},
            "connectionId": {"S": ghost},
            "userId": {"S": "sup-sofia"},
        },
    )

    async with connect(stack.ws_url_for("sofia")) as sofia:
        await subscribe(sofia, "sales")
        first = await asyncio.to_thread(dev.call, "POST", "/me/clock-in", body={"platform": "web", "unitId": "sales"})
        held = (await next_message(sofia, matching={"type": "agent.changed", "agentId": "agent-dev"}))["sequence"]
        assert held == first["agent"]["sequence"]
    await asyncio.to_thread(stack.drain)  # the gone connection is removed after the live ones got the push
    gone = table.get_item(TableName=stack.table_name, Key={"pk": {"S": f"CONN#{ghost}"}, "sk": {"S": "CONN"}})
    assert "Item" not in gone, "the push found the connection gone (410) and removed it"

    # While sofia is away, two changes happen; a new connection sees the next one and spots the gap.
    await asyncio.to_thread(dev.call, "PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"})
    await asyncio.to_thread(dev.call, "PUT", "/me/status", body={"status": "OFFLINE_WORK"})
    await asyncio.to_thread(stack.drain)
    async with connect(stack.ws_url_for("sofia")) as sofia:
        await subscribe(sofia, "sales")
        third = await asyncio.to_thread(dev.call, "PUT", "/me/status", body={"status": "AVAILABLE"})
        pushed = await next_message(sofia, matching={"type": "agent.changed", "agentId": "agent-dev"})
        assert pushed["sequence"] == third["agent"]["sequence"] > held + 1  # a gap: held+1 .. pushed-1 missed
        await sofia.send(json.dumps({"action": "catchup", "since": {"agent-dev": held}, "requestId": "r1"}))
        caught: list[int] = []
        while True:
            message = await next_message(sofia)
            if message.get("type") == "caughtup":
                break
            if message.get("type") == "agent.changed" and message["agentId"] == "agent-dev":
                caught.append(message["sequence"])
        assert caught == list(range(held + 1, pushed["sequence"] + 1))


def test_gone_connection_cleaned_up_and_reconnect_catches_up_exactly(local_stack: LocalStack) -> None:
    asyncio.run(_gone_connection_and_catch_up(local_stack))


async def _poison(stack: LocalStack) -> None:
    bruno = Api(stack, "bruno")
    bruno.ensure_clocked_out()
    sqs = _aws(stack, "sqs")
    before = int(
        sqs.get_queue_attributes(
            QueueUrl=stack.endpoints["failureQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
    )
    async with connect(stack.ws_url_for("sofia")) as sofia:
        await subscribe(sofia, "sales")
        # A history entry the fan-out cannot read (no organization): it fails on every attempt.
        _aws(stack, "dynamodb").put_item(
            TableName=stack.table_name,
            Item={
                "pk": {"S": "ORG#demo#AGENT#agent-bruno"},
                "sk": {"S": "HIST#9999999999"},
                "entity": {"S": "AgentChange"},
                "agentId": {"S": "agent-bruno"},
            },
        )
        changed = await asyncio.to_thread(bruno.call, "POST", "/me/clock-in", body={"platform": "web"})
        pushed = await next_message(sofia, matching={"type": "agent.changed", "agentId": "agent-bruno"}, seconds=60)
        assert pushed["sequence"] == changed["agent"]["sequence"]
    await asyncio.to_thread(stack.drain, 60)
    after = int(
        sqs.get_queue_attributes(
            QueueUrl=stack.endpoints["failureQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
    )
    assert after == before + 1
    _aws(stack, "dynamodb").delete_item(
        TableName=stack.table_name, Key={"pk": {"S": "ORG#demo#AGENT#agent-bruno"}, "sk": {"S": "HIST#9999999999"}}
    )


def test_poisoned_stream_record_goes_to_the_failure_queue_without_holding_back_others(
    local_stack: LocalStack,
) -> None:
    asyncio.run(_poison(local_stack))
