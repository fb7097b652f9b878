"""The authorization matrix's second half, on the local stack: queue channels, custom roles and stale
people (demoted, retired, organization disabled) over HTTP and WebSocket. The token proves who calls; the
person's record says what they may do, now (issue 14). In an organization of its own (umbrella), so that
demoting, retiring and disabling leave the other suites' callers as they expect them. See docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.conftest import ROOT, LocalStack
from tests.security.tenants import BASE_USER, Administration, Caller, person_claims, seed_organization

ORGANIZATION = "umbrella"
CLOSING = "closing"  # the organization the last test disables
REPLY_SECONDS = 20.0
CACHE_SECONDS = 30  # SETTINGS_CACHE_SECONDS: the bound on a change made elsewhere (docs/security.md)

_DISABLE = """
import sys
from contactcenter.store import organizations
record = organizations.read_settings(sys.argv[1])
disabled = record.settings.model_copy(update={"disabled": True, "version": record.settings.version + 1})
organizations.put_settings(disabled, expected_version=record.settings.version)
"""


@dataclass
class Umbrella:
    stack: LocalStack
    founder: Caller
    admin: Caller
    east: Caller  # SUPERVISOR of east
    west: Caller  # SUPERVISOR of west
    agent_east: Caller
    agent_west: Caller
    watcher: Caller  # WATCHER (connect, supervision.view) of east
    operator: Caller  # OPERATIONS, a custom role (administration, connect, supervision.view), no unit of its own

    def http(self, caller: Caller, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        headers["authorization"] = f"Bearer {caller.token(self.stack)}"
        return httpx.request(method, f"{self.stack.api_url}{path}", json=body, headers=headers, timeout=30)

    def ws_url(self, caller: Caller) -> str:
        return f"{self.stack.ws_url}?token={caller.token(self.stack)}"


def _version(umbrella: Umbrella, path: str) -> str:
    response = umbrella.http(umbrella.founder, "GET", path)
    assert response.status_code == 200, response.text
    return f'"{response.json()["version"]}"'


@pytest.fixture(scope="module")
def umbrella(local_stack: LocalStack) -> Iterator[Umbrella]:
    settings = {
        "organization_id": ORGANIZATION,
        "name": "Umbrella",
        "time_zone": "Europe/Paris",
        "units": [{"unit_id": "east", "name": "East"}, {"unit_id": "west", "name": "West"}],
        "queues": [{"queue_id": "umbrella-line", "name": "Umbrella line", "kind": "queue"}],
    }
    founder = _founded(local_stack, settings)
    admin = Administration(local_stack, founder.token(local_stack))
    partial = Umbrella(local_stack, founder, *(founder,) * 7)
    for role, permissions in (
        ("WATCHER", ["connect", "supervision.view"]),
        ("OPERATIONS", ["administration", "connect", "supervision.view"]),
    ):
        response = partial.http(
            founder,
            "PUT",
            f"/admin/roles/{role}",
            {"permissions": permissions},
            **{"If-Match": _version(partial, "/admin/settings")},
        )
        assert response.status_code == 200, response.text
    member = {"groups": ["agents"], "queues": ["umbrella-line"]}
    yield Umbrella(
        local_stack,
        founder,
        admin=admin.person(ORGANIZATION, "ADMIN", "admin@umbrella.example", "Admin"),
        east=admin.person(ORGANIZATION, "SUPERVISOR", "east@umbrella.example", "East", supervisedUnits=["east"]),
        west=admin.person(ORGANIZATION, "SUPERVISOR", "west@umbrella.example", "West", supervisedUnits=["west"]),
        agent_east=admin.person(ORGANIZATION, "AGENT", "ae@umbrella.example", "Agent East", units=["east"], **member),
        agent_west=admin.person(ORGANIZATION, "AGENT", "aw@umbrella.example", "Agent West", units=["west"], **member),
        watcher=admin.person(ORGANIZATION, "WATCHER", "watch@umbrella.example", "Watcher", supervisedUnits=["east"]),
        operator=admin.person(ORGANIZATION, "OPERATIONS", "ops@umbrella.example", "Operator"),
    )


def _founded(stack: LocalStack, settings: dict[str, Any]) -> Caller:
    """A new organization and its founding administrator."""
    organization_id = settings["organization_id"]
    seed_organization(stack, settings, f"{organization_id}-founder")
    claims = person_claims(
        organization_id, f"{organization_id}-founder", f"founder@{organization_id}.example", "Founder", "ADMIN"
    )
    return Caller("ADMIN", organization_id, f"{organization_id}-founder", BASE_USER, claims)


async def _next(socket: ClientConnection, **matching: Any) -> dict[str, Any]:
    async with asyncio.timeout(REPLY_SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if all(message.get(k) == v for k, v in matching.items()):
                return dict(message)


async def _ask(socket: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """The answer to one action: its reply or its error (pushes meanwhile skipped)."""
    await socket.send(json.dumps(message))
    async with asyncio.timeout(REPLY_SECONDS):
        while True:
            answer = json.loads(await socket.recv())
            if answer.get("type") in {"subscribed", "unsubscribed", "caughtup", "catchup.continue", "error"}:
                return dict(answer)


async def _closed(socket: ClientConnection) -> list[dict[str, Any]]:
    """Everything the server still says, until it closes the connection."""
    said = []
    async with asyncio.timeout(REPLY_SECONDS):
        try:
            while True:
                said.append(json.loads(await socket.recv()))
        except ConnectionClosed:
            return said


def _refused_at_handshake(url: str) -> int:
    async def attempt() -> int:
        try:
            async with connect(url):
                return 101
        except InvalidStatus as refusal:
            return int(refusal.response.status_code)

    return asyncio.run(attempt())


def _agent_works(umbrella: Umbrella, agent: Caller) -> None:
    for path in ("/me/clock-in", "/me/queues/umbrella-line/login"):
        body = {"platform": "web"} if path.endswith("clock-in") else None
        response = umbrella.http(agent, "POST", path, body)
        assert response.status_code in (200, 409), response.text


# --- queue channels -------------------------------------------------------------------------------


def test_queue_channels_follow_the_queue_dashboard(umbrella: Umbrella) -> None:
    async def scenario() -> None:
        async with (
            connect(umbrella.ws_url(umbrella.agent_east)) as agent,
            connect(umbrella.ws_url(umbrella.east)) as east,
            connect(umbrella.ws_url(umbrella.west)) as west,
        ):
            refused = await _ask(agent, {"action": "subscribe", "queues": ["umbrella-line"]})
            assert refused["error"]["rule"] == "missing_permission"
            unknown = await _ask(east, {"action": "subscribe", "queues": ["no-such-queue"]})
            assert unknown["error"]["rule"] == "unknown_queue"
            for socket in (east, west):
                assert (await _ask(socket, {"action": "subscribe", "queues": ["umbrella-line"]}))[
                    "type"
                ] == "subscribed"
            await asyncio.to_thread(_agent_works, umbrella, umbrella.agent_east)
            await asyncio.to_thread(_agent_works, umbrella, umbrella.agent_west)
            # Each hears its own unit's agent log into the queue; agent_east's login, recorded first, would
            # have reached west before agent_west's if the queue channel let it through.
            for socket, watched in ((east, umbrella.agent_east), (west, umbrella.agent_west)):
                assert (await _next(socket, type="agent.changed"))["agentId"] == watched.user_id

    asyncio.run(scenario())


# --- custom roles ---------------------------------------------------------------------------------


def test_custom_roles_are_their_permissions_over_http_and_websocket(umbrella: Umbrella) -> None:
    watcher, operator, agent = umbrella.watcher, umbrella.operator, umbrella.agent_east
    assert umbrella.http(watcher, "GET", "/units/east/dashboard").status_code == 200
    forced = umbrella.http(watcher, "POST", f"/agents/{agent.user_id}/status", {"status": "AVAILABLE"})
    assert (forced.status_code, forced.json()["error"]["rule"]) == (403, "missing_permission")
    assert umbrella.http(operator, "GET", "/admin/settings").status_code == 200
    assert umbrella.http(operator, "GET", "/units/west/dashboard").status_code == 200

    async def scenario() -> None:
        async with connect(umbrella.ws_url(watcher)) as watching, connect(umbrella.ws_url(operator)) as operating:
            caught = await _ask(watching, {"action": "catchup", "since": {agent.user_id: 0}})
            assert caught["type"] == "caughtup", caught
            subscribed = await _ask(operating, {"action": "subscribe", "units": ["east", "west"]})
            assert subscribed["channels"] == ["UNIT#east", "UNIT#west"]

    asyncio.run(scenario())


# --- stale people ---------------------------------------------------------------------------------


def test_a_demoted_administrator_is_refused_at_once_and_their_session_closed(umbrella: Umbrella) -> None:
    admin = umbrella.admin
    assert umbrella.http(admin, "GET", "/admin/settings").status_code == 200

    async def scenario() -> None:
        async with connect(umbrella.ws_url(admin)) as socket:
            assert (await _ask(socket, {"action": "subscribe", "units": ["east"]}))["type"] == "subscribed"
            version = _version(umbrella, f"/admin/people/{admin.user_id}")
            demoted = await asyncio.to_thread(
                umbrella.http,
                umbrella.founder,
                "PATCH",
                f"/admin/people/{admin.user_id}",
                {"roles": ["FINANCE"]},
                **{"If-Match": version},
            )
            assert demoted.status_code == 200, demoted.text
            said = await _closed(socket)
            assert {"type": "session.ended", "reason": "roles_changed"} in said

    asyncio.run(scenario())
    body = {"email": "new-admin@umbrella.example", "displayName": "New", "roles": ["ADMIN"]}
    refused = umbrella.http(admin, "POST", "/admin/people", body)
    assert (refused.status_code, refused.json()["error"]["rule"]) == (403, "missing_permission")
    assert _refused_at_handshake(umbrella.ws_url(admin)) == 403  # FINANCE holds no `connect`


def test_a_retired_supervisor_is_refused_everywhere_and_their_session_closed(umbrella: Umbrella) -> None:
    west = umbrella.west

    async def scenario() -> None:
        async with connect(umbrella.ws_url(west)) as socket:
            assert (await _ask(socket, {"action": "subscribe", "units": ["west"]}))["type"] == "subscribed"
            version = _version(umbrella, f"/admin/people/{west.user_id}")
            retired = await asyncio.to_thread(
                umbrella.http, umbrella.founder, "DELETE", f"/admin/people/{west.user_id}", **{"If-Match": version}
            )
            assert retired.status_code == 200, retired.text
            said = await _closed(socket)
            assert {"type": "session.ended", "reason": "person_retired"} in said

    asyncio.run(scenario())
    dashboard = umbrella.http(west, "GET", "/units/west/dashboard")
    assert (dashboard.status_code, dashboard.json()["error"]["rule"]) == (403, "person_retired")
    assert _refused_at_handshake(umbrella.ws_url(west)) == 403


def test_a_disabled_organization_is_refused_over_http_and_websocket(local_stack: LocalStack) -> None:
    """In an organization of its own (nobody of it is served afterwards). Disabled by a write from another
    process, as an operator's would be: the stack sees it within the cache bound."""
    settings = {"organization_id": CLOSING, "name": "Closing", "units": [{"unit_id": "hq", "name": "HQ"}]}
    founder = _founded(local_stack, settings)
    admin = Administration(local_stack, founder.token(local_stack))
    supervisor = admin.person(CLOSING, "SUPERVISOR", "sup@closing.example", "Sup", supervisedUnits=["hq"])
    closing = Umbrella(local_stack, founder, *(supervisor,) * 7)

    async def scenario() -> None:
        async with connect(closing.ws_url(supervisor)) as socket:
            assert (await _ask(socket, {"action": "subscribe", "units": ["hq"]}))["type"] == "subscribed"
            await asyncio.to_thread(_disable, local_stack)
            deadline = time.monotonic() + CACHE_SECONDS + 10
            while True:
                answer = await _ask(socket, {"action": "subscribe", "units": ["hq"]})
                if answer["type"] == "error":
                    break
                assert time.monotonic() < deadline, "still served past the cache bound"
                await asyncio.sleep(2)
            assert answer["error"]["rule"] == "organization_disabled"
            await _closed(socket)  # nothing this session could still do: it is closed

    asyncio.run(scenario())
    for caller, path in ((founder, "/admin/settings"), (supervisor, "/units/hq/dashboard")):
        response = closing.http(caller, "GET", path)
        assert (response.status_code, response.json()["error"]["rule"]) == (403, "organization_disabled")
    assert _refused_at_handshake(closing.ws_url(supervisor)) == 403


def _disable(stack: LocalStack) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment |= {
        "AWS_ENDPOINT_URL": stack.moto_url,
        "AWS_DEFAULT_REGION": str(stack.endpoints["region"]),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "TABLE_NAME": stack.table_name,
    }
    command = [sys.executable, "-c", _DISABLE, CLOSING]
    subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, timeout=60)
