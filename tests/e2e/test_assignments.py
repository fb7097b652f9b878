"""One assignment from creation to completion on the local stack: real HTTP with JWTs, the stream
poller and fan-out, and the pushes received over WebSocket by the agent and the supervising unit."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.conftest import LocalStack

PUSH_SECONDS = 10


class Api:
    """An asserting API client for one demo user."""

    def __init__(self, stack: LocalStack, username: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=stack.api_url, headers={"authorization": f"Bearer {stack.tokens[username]}"}, timeout=15
        )

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def call(self, method: str, path: str, *, expect: int = 200, body: Any = None) -> dict[str, Any]:
        response = await self.client.request(method, path, json=body)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return dict(response.json())


async def _next_assignment_push(socket: ClientConnection, assignment_id: str) -> dict[str, Any]:
    """The next push about this assignment (other tests' status changes may come in between)."""
    async with asyncio.timeout(PUSH_SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if str(message.get("type", "")).startswith("assignment.") and (
                message["assignment"]["assignmentId"] == assignment_id
            ):
                return dict(message)


async def _follow_an_assignment(stack: LocalStack) -> None:
    async with (
        Api(stack, "sofia") as sofia,
        Api(stack, "bruno") as bruno,
        connect(stack.ws_url_for("bruno"), ping_interval=None) as agent_socket,
        connect(stack.ws_url_for("sofia"), ping_interval=None) as unit_socket,
    ):
        await unit_socket.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
        async with asyncio.timeout(PUSH_SECONDS):
            assert json.loads(await unit_socket.recv())["channels"] == ["UNIT#sales"]

        title = f"Call review {secrets.token_hex(3)}"
        created = await sofia.call(
            "POST",
            "/assignments",
            expect=201,
            body={
                "type": "coaching",
                "title": title,
                "instructions": "Listen to the call and note one thing to keep.",
                "contentLink": "https://learn.example.com/calls/42",
                "confirmationStatement": "I listened to the call.",
                "commentsAllowed": True,
                "agentIds": ["agent-bruno"],
            },
        )
        assignment_id = created["assignment"]["assignmentId"]
        await asyncio.to_thread(stack.drain)
        new = await _next_assignment_push(agent_socket, assignment_id)
        assert (new["type"], new["previousState"], new["assignment"]["state"]) == ("assignment.changed", None, "NEW")
        assert new["counts"]["byType"]["coaching"]["NEW"] >= 1
        progress = await _next_assignment_push(unit_socket, assignment_id)
        assert (progress["type"], progress["agentId"]) == ("assignment.progress", "agent-bruno")

        mine = await bruno.call("GET", "/me/assignments?type=coaching")
        assert assignment_id in [a["assignmentId"] for a in mine["assignments"]]
        opened = (await bruno.call("GET", f"/me/assignments/{assignment_id}"))["assignment"]
        assert (opened["title"], opened["state"], opened["version"]) == (title, "NEW", 1)
        closed = (await bruno.call("POST", f"/me/assignments/{assignment_id}/close"))["assignment"]
        assert closed == opened

        save = f"/me/assignments/{assignment_id}/save"
        started = await bruno.call("POST", save, body={"version": 1, "comments": "Kept: the greeting."})
        assert started["assignment"]["state"] == "STARTED"
        await asyncio.to_thread(stack.drain)
        assert (await _next_assignment_push(agent_socket, assignment_id))["assignment"]["state"] == "STARTED"
        assert (await _next_assignment_push(unit_socket, assignment_id))["previousState"] == "NEW"

        done = await bruno.call("POST", save, body={"version": 2, "confirmed": True})
        assert (done["assignment"]["state"], done["assignment"]["comments"]) == ("COMPLETED", "Kept: the greeting.")
        await asyncio.to_thread(stack.drain)
        completed = await _next_assignment_push(agent_socket, assignment_id)
        assert (completed["previousState"], completed["assignment"]["state"]) == ("STARTED", "COMPLETED")
        assert (await _next_assignment_push(unit_socket, assignment_id))["assignment"]["state"] == "COMPLETED"

        refused = await bruno.call("POST", save, expect=409, body={"version": 3, "comments": "one more"})
        assert refused["error"]["rule"] == "completed_read_only"
        followed = await sofia.call("GET", f"/assignments/{assignment_id}/progress")
        assert [(a["agentId"], a["state"]) for a in followed["agents"]] == [("agent-bruno", "COMPLETED")]


def test_assignment_from_creation_to_completion_with_pushes(local_stack: LocalStack) -> None:
    asyncio.run(_follow_an_assignment(local_stack))
