"""The one asserting API client of the end-to-end tests, and a WebSocket reader that keeps order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.e2e.conftest import LocalStack

PUSH_SECONDS = 10


class Api:
    """HTTP calls as one user, asserting the status code; returns the JSON body."""

    def __init__(self, stack: LocalStack, username: str | None, *, token: str | None = None) -> None:
        self.base_url = stack.api_url
        self.headers = {}
        if username is not None or token is not None:
            self.headers["authorization"] = f"Bearer {token or stack.tokens[username or '']}"

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int | tuple[int, ...] = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = self.raw(method, path, json=body, headers=headers)
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, (method, path, response.status_code, response.text)
        return response.json()

    def raw(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        # A client per call: nothing left open between tests.
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=20) as client:
            return client.request(method, path, headers=headers, **kwargs)

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "/me/state"))

    def ensure_clocked_out(self) -> None:
        state = self.state()
        if state["status"] in ("ACTIVE", "WRAP_UP"):
            for item in state["workItems"]:
                self.call("POST", f"/me/work-items/{item['itemId']}/events", body={"type": "ended"}, expect=(200, 409))
            state = self.state()
            if state["status"] == "WRAP_UP":
                self.call("POST", "/me/wrap-up/end", expect=(200, 403, 409))
        if self.state()["status"] != "AWAY":
            self.call("PUT", "/me/status", body={"status": "AWAY", "reason": "END_OF_SHIFT"})


async def next_message(
    socket: ClientConnection, *, matching: dict[str, Any] | None = None, seconds: float = PUSH_SECONDS
) -> dict[str, Any]:
    """The next message whose fields equal `matching` (others are skipped: other tests share the stack)."""
    async with asyncio.timeout(seconds):
        while True:
            message = json.loads(await socket.recv())
            if all(message.get(key) == value for key, value in (matching or {}).items()):
                return dict(message)


async def subscribe(socket: ClientConnection, *units: str) -> None:
    await socket.send(json.dumps({"action": "subscribe", "units": list(units)}))
    reply = await next_message(socket, matching={"type": "subscribed"})
    assert {f"UNIT#{unit}" for unit in units} <= set(reply["channels"])
