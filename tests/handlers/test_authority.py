"""Authorization that follows the person, through the real handlers under moto (issue 14: queue channels,
roles from the record, connections bound to their token and person, catch-up that delivers everything,
permissions rather than role names). Each test here failed on the code before it."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from contactcenter.administration import PersonChanges
from contactcenter.agents import Actor, ActorKind, EntryKind, HistoryEntry
from contactcenter.edge.clock import utc_now
from contactcenter.services import administration
from contactcenter.statuses import Status
from contactcenter.store import agents as agent_store
from contactcenter.store import clients, identities
from contactcenter.store import organizations as organization_store
from contactcenter.store.identity_local import LocalIdentity, LocalIdentityDirectory, local_directory
from functions.admin import app as admin
from functions.assignments import app as assignments
from functions.status import app as status
from functions.supervision import app as supervision
from functions.supervision import fanout, socket
from tests.handlers.conftest import TABLE, LambdaContext, body_of
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization, register_holder
from tests.support.sockets import ManagementApiTap
from tests.support.streams import TableStream

AT = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
HOUR = 3600


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections("https://socket.execute-api.us-east-1.amazonaws.com/live"))


@pytest.fixture
def directory(acme: Organization, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIdentityDirectory]:
    """The local identity directory, knowing acme's people (the admin service updates their identity)."""
    monkeypatch.setenv("IDENTITY_PROVIDER", "local")
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    local_directory.cache_clear()
    identities.directory.cache_clear()
    found = local_directory()
    for person in acme.people.values():
        email = f"{person.user_id}@acme.example.com"
        found.register(
            LocalIdentity(person.user_id, email, "acme", tuple(sorted(person.roles)), person.display_name, email)
        )
    yield found
    local_directory.cache_clear()
    identities.directory.cache_clear()


def _http(module: Any, method: str, path: str, user: str, *, route: str | None = None, body: Any = None) -> Any:
    # The token names ADMIN for everyone: what a caller may do comes from their record, not from this.
    event = http_event(method, path, route=route, body=body, claims=claims_for(user, "acme", "ADMIN"))
    return module.handler(event, LambdaContext())


def _socket(
    route: str,
    connection_id: str,
    user: str,
    *,
    body: Any = None,
    expires_at: int | None = None,
    roles: str = "ADMIN",
) -> dict[str, Any]:
    name = {"$connect": "websocket-connect", "$disconnect": "websocket-disconnect"}.get(route, "websocket-message")
    event = copy.deepcopy(load(name))
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["connectionId"] = connection_id
    expiry = int(time.time()) + HOUR if expires_at is None else expires_at
    # The token's roles the authorizer passes on say ADMIN: the person's record decides.
    event["requestContext"]["authorizer"] = {
        "principalId": user,
        "organizationId": "acme",
        "userId": user,
        "roles": roles,
        "expiresAt": expiry,
    }
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def _connect(connection_id: str, user: str, *, expires_at: int | None = None) -> int:
    return int(
        socket.handler(_socket("$connect", connection_id, user, expires_at=expires_at), LambdaContext())["statusCode"]
    )


def _act(connection_id: str, user: str, body: dict[str, Any], context: Any = None, roles: str = "ADMIN") -> None:
    event = _socket(str(body["action"]), connection_id, user, body=body, roles=roles)
    socket.handler(event, context or LambdaContext())


def _change(user: str, body: dict[str, Any], path: str = "/me/status", route: str | None = None) -> None:
    response = _http(status, "PUT" if path == "/me/status" else "POST", path, user, route=route, body=body)
    assert response["statusCode"] == 200, response


def _clock_in(user: str) -> None:
    from functions.clock import app as clock

    assert _http(clock, "POST", "/me/clock-in", user, body={"platform": "web"})["statusCode"] == 200


def _pushes(tap: ManagementApiTap, connection_id: str, kind: str = "agent.changed") -> list[dict[str, Any]]:
    return [m for m in tap.received(connection_id) if m.get("type") == kind]


def _put_role(name: str, permissions: list[str]) -> None:
    version = body_of(_http(admin, "GET", "/admin/settings", "ada"))["version"]
    event = http_event(
        "PUT",
        f"/admin/roles/{name}",
        route="/admin/roles/{roleName}",
        body={"permissions": permissions},
        claims=claims_for("ada", "acme", "ADMIN"),
        headers={"If-Match": f'"{version}"'},
    )
    assert admin.handler(event, LambdaContext())["statusCode"] == 200


# --- 1. queue channels ---------------------------------------------------------------------------


def test_a_queue_subscription_follows_the_queue_dashboards_rules(acme: Organization, tap: ManagementApiTap) -> None:
    assert _connect("conn-ana", "ana") == 200
    _act("conn-ana", "ana", {"action": "subscribe", "queues": ["web-chat"]})
    assert tap.received("conn-ana")[-1]["error"]["rule"] == "missing_permission"  # an agent watches no queue
    assert _connect("conn-sam", "sam") == 200
    _act("conn-sam", "sam", {"action": "subscribe", "queues": ["no-such-queue"]})
    assert tap.received("conn-sam")[-1]["error"]["rule"] == "unknown_queue"
    _act("conn-sam", "sam", {"action": "subscribe", "queues": ["web-chat"]})
    assert tap.received("conn-sam")[-1]["channels"] == ["QUEUE#web-chat"]
    channels = boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": "CONN#conn-ana"}, "sk": {"S": "CONN"}}
    )
    assert channels["Item"]["channels"]["L"] == [{"S": "AGENT#ana"}, {"S": "PERSON#ana"}]


def test_a_queue_push_reaches_only_those_who_may_see_the_agent(acme: Organization, tap: ManagementApiTap) -> None:
    stream = TableStream(TABLE, "fanout")
    for connection_id, user in (("conn-sam", "sam"), ("conn-sue", "sue"), ("conn-ada", "ada")):
        assert _connect(connection_id, user) == 200
        _act(connection_id, user, {"action": "subscribe", "queues": ["web-chat"]})
    for agent in ("ana", "ben"):  # ana works in north (sam's), ben in south (sue's)
        _clock_in(agent)
        _change(agent, {}, "/me/queues/web-chat/login", "/me/queues/{queueId}/login")
    assert fanout.handler(stream.next_event(), LambdaContext()) == {"batchItemFailures": []}
    heard = {cid: {m["agentId"] for m in _pushes(tap, cid)} for cid in ("conn-sam", "conn-sue", "conn-ada")}
    assert heard == {"conn-sam": {"ana"}, "conn-sue": {"ben"}, "conn-ada": {"ana", "ben"}}


# --- 2. roles from the person's record -----------------------------------------------------------


def test_a_demoted_administrator_loses_administration_at_once_here(
    acme: Organization, directory: LocalIdentityDirectory
) -> None:
    assert _http(admin, "GET", "/admin/settings", "ada")["statusCode"] == 200
    record = organization_store.get_person_record("acme", "ada")
    changes = PersonChanges(roles=frozenset({"FINANCE"}))
    administration.update_person(
        "acme", "ada", changes, expected_version=record.version, actor_id="founder", now=AT, directory=directory
    )
    refused = _http(
        admin,
        "POST",
        "/admin/people",
        "ada",
        body={"email": "x@acme.example.com", "displayName": "X", "roles": ["ADMIN"]},
    )
    assert (refused["statusCode"], body_of(refused)["error"]["rule"]) == (403, "missing_permission")


def test_a_change_made_elsewhere_is_seen_within_the_cache_bound(
    acme: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        _http(supervision, "GET", "/units/north/dashboard", "sam", route="/units/{unitId}/dashboard")["statusCode"]
        == 200
    )
    # Another execution environment takes north from sam: this one's cache does not hear of it.
    organization_store.put_person(acme.people["sam"].model_copy(update={"supervised_units": frozenset()}))
    within = _http(supervision, "GET", "/units/north/dashboard", "sam", route="/units/{unitId}/dashboard")
    assert within["statusCode"] == 200  # the stated bound: SETTINGS_CACHE_SECONDS (30 s)
    later = time.monotonic() + 31
    monkeypatch.setattr(organization_store.time, "monotonic", lambda: later)
    after = _http(supervision, "GET", "/units/north/dashboard", "sam", route="/units/{unitId}/dashboard")
    assert (after["statusCode"], body_of(after)["error"]["rule"]) == (403, "unit_not_supervised")


def test_a_retired_supervisor_is_refused_everywhere_and_their_sessions_closed(
    acme: Organization, directory: LocalIdentityDirectory, tap: ManagementApiTap
) -> None:
    stream = TableStream(TABLE, "fanout")
    assert _connect("conn-sam", "sam") == 200
    _act("conn-sam", "sam", {"action": "subscribe", "units": ["north"]})
    stream.next_event()
    record = organization_store.get_person_record("acme", "sam")
    administration.retire_person(
        "acme", "sam", expected_version=record.version, actor_id="ada", now=AT, directory=directory
    )
    dashboard = _http(supervision, "GET", "/units/north/dashboard", "sam", route="/units/{unitId}/dashboard")
    assert (dashboard["statusCode"], body_of(dashboard)["error"]["rule"]) == (403, "person_retired")
    assert _connect("conn-sam-2", "sam") == 403
    # The stream carries the retirement to the fan-out, which closes his open session.
    event = stream.next_event()
    assert [r["dynamodb"]["NewImage"]["entity"]["S"] for r in event["Records"]] == ["Person"]
    assert fanout.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert tap.received("conn-sam")[-1] == {"type": "session.ended", "reason": "person_retired"}
    assert tap.deleted == ["conn-sam"]
    gone = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "CONN#conn-sam"}, "sk": {"S": "CONN"}})
    assert "Item" not in gone


def test_a_changed_role_closes_the_persons_sessions_and_a_renaming_does_not(
    acme: Organization, directory: LocalIdentityDirectory, tap: ManagementApiTap
) -> None:
    stream = TableStream(TABLE, "fanout")
    assert _connect("conn-sue", "sue") == 200
    stream.next_event()
    for changes in (PersonChanges(display_name="Susan"), PersonChanges(roles=frozenset({"UNIT_MANAGER"}))):
        record = organization_store.get_person_record("acme", "sue")
        administration.update_person(
            "acme", "sue", changes, expected_version=record.version, actor_id="ada", now=AT, directory=directory
        )
        assert fanout.handler(stream.next_event(), LambdaContext()) == {"batchItemFailures": []}
        if changes.display_name:
            assert tap.deleted == []
    assert tap.received("conn-sue")[-1] == {"type": "session.ended", "reason": "roles_changed"}
    assert tap.deleted == ["conn-sue"]


def test_a_disabled_organization_is_refused_over_http_and_websocket(acme: Organization, tap: ManagementApiTap) -> None:
    assert _connect("conn-sam", "sam") == 200
    settings = organization_store.read_settings("acme").settings
    disabled = settings.model_copy(update={"disabled": True, "version": settings.version + 1})
    organization_store.put_settings(disabled, expected_version=settings.version)
    for response in (
        _http(status, "GET", "/me/state", "ana"),
        _http(admin, "GET", "/admin/settings", "ada"),
    ):
        assert (response["statusCode"], body_of(response)["error"]["rule"]) == (403, "organization_disabled")
    assert _connect("conn-ana", "ana") == 403
    _act("conn-sam", "sam", {"action": "subscribe", "units": ["north"]})
    assert tap.received("conn-sam")[-1]["error"]["rule"] == "organization_disabled"
    assert tap.deleted == ["conn-sam"]  # nothing this session could do: it is closed


def test_a_token_for_someone_who_is_not_a_person_of_the_organization_is_refused(acme: Organization) -> None:
    response = _http(status, "GET", "/me/state", "stranger")
    assert (response["statusCode"], body_of(response)["error"]["rule"]) == (403, "unknown_person")


# --- 3. connections bound to their token ---------------------------------------------------------


def test_an_expired_token_opens_no_session(acme: Organization) -> None:
    assert _connect("conn-sam", "sam", expires_at=int(time.time()) - 1) == 401


def test_a_connection_past_its_tokens_expiry_gets_no_push_and_is_closed(
    acme: Organization, tap: ManagementApiTap, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = TableStream(TABLE, "fanout")
    soon = int(time.time()) + 60
    assert _connect("conn-sam", "sam", expires_at=soon) == 200
    assert _connect("conn-sam-fresh", "sam") == 200
    for connection_id in ("conn-sam", "conn-sam-fresh"):
        _act(connection_id, "sam", {"action": "subscribe", "units": ["north"]})
    _clock_in("ana")
    later = utc_now() + timedelta(seconds=120)
    monkeypatch.setattr("functions.supervision.fanout.utc_now", lambda: later)
    assert fanout.handler(stream.next_event(), LambdaContext()) == {"batchItemFailures": []}
    assert _pushes(tap, "conn-sam") == []
    assert tap.received("conn-sam")[-1] == {"type": "session.ended", "reason": "token_expired"}
    assert tap.deleted == ["conn-sam"]
    assert [m["agentId"] for m in _pushes(tap, "conn-sam-fresh")] == ["ana"]


def test_catch_up_after_the_token_expired_is_refused_and_the_session_closed(
    acme: Organization, tap: ManagementApiTap
) -> None:
    assert _connect("conn-sam", "sam") == 200
    body = {"action": "catchup", "since": {"ana": 0}}
    event = _socket("catchup", "conn-sam", "sam", body=body, expires_at=int(time.time()) - 1)
    socket.handler(event, LambdaContext())
    assert tap.received("conn-sam")[-1]["error"]["rule"] == "token_expired"
    assert tap.deleted == ["conn-sam"]


# --- 6. catch-up delivers everything -------------------------------------------------------------


def _missed(count: int) -> None:
    """`count` changes of ana's history, written as the status engine writes them."""
    state = agent_store.get_state("acme", "ana")
    assert state is not None
    entries = []
    for sequence in range(1, count + 1):
        to = Status.AVAILABLE if sequence % 2 else Status.UNAVAILABLE
        at = AT + timedelta(seconds=sequence)
        after = replace(state.state, status=to, since=at, sequence=sequence, unit_id="north")
        entry = HistoryEntry(
            sequence, at, EntryKind.STATUS, Status.AWAY, to, None, None, Actor(ActorKind.AGENT, "ana"), None, "north"
        )
        entries.append((after, entry))
    assert agent_store.load_history(entries) == count


class _Budget(LambdaContext):
    """A function's remaining time as posting uses it: a modelled 30 ms per post from a 10 s timeout."""

    def __init__(self, tap: ManagementApiTap) -> None:
        self.tap, self.start = tap, len(tap.posts)

    def get_remaining_time_in_millis(self) -> int:
        return 10_000 - 30 * (len(self.tap.posts) - self.start)


def _catch_up(tap: ManagementApiTap, since: dict[str, int]) -> tuple[list[int], dict[str, Any]]:
    before = len(tap.posts)
    _act("conn-sam", "sam", {"action": "catchup", "since": since}, context=_Budget(tap))
    replies = [m for _, m in tap.posts[before:]]
    return [m["sequence"] for m in replies if m.get("type") == "agent.changed"], replies[-1]


def test_catch_up_of_700_changes_delivers_every_one_then_caughtup(acme: Organization, tap: ManagementApiTap) -> None:
    _missed(700)
    assert _connect("conn-sam", "sam") == 200
    received, since, requests = [], {"ana": 0}, 0
    while True:
        requests += 1
        sequences, last = _catch_up(tap, since)
        received += sequences
        if last["type"] == "caughtup":
            break
        assert last["type"] == "catchup.continue"
        since = last["since"]
    assert received == list(range(1, 701))
    assert requests > 1  # the time budget cut it, and the client carried on from where it stopped


def test_catch_up_with_time_to_spare_is_one_request(acme: Organization, tap: ManagementApiTap) -> None:
    _missed(150)
    assert _connect("conn-sam", "sam") == 200
    _act("conn-sam", "sam", {"action": "catchup", "since": {"ana": 20}})
    replies = tap.received("conn-sam")
    assert [m["sequence"] for m in replies if m["type"] == "agent.changed"] == list(range(21, 151))
    assert replies[-1]["type"] == "caughtup"


# --- 7. permissions, not role names --------------------------------------------------------------


def test_a_custom_role_holding_supervision_view_catches_up(acme: Organization, tap: ManagementApiTap) -> None:
    _put_role("WATCHER", ["connect", "supervision.view"])
    register_holder("acme", "wes", "WATCHER", supervised_units=frozenset({"north"}))
    _clock_in("ana")
    assert _connect("conn-wes", "wes") == 200
    _act("conn-wes", "wes", {"action": "catchup", "since": {"ana": 0}})
    replies = tap.received("conn-wes")
    assert [m["type"] for m in replies] == ["agent.changed", "caughtup"]
    http = http_event(
        "GET",
        "/agents/ana/changes",
        route="/agents/{agentId}/changes",
        claims=claims_for("wes", "acme", "WATCHER"),
        query={"after": "0"},
    )
    answered = supervision.handler(http, LambdaContext())
    assert answered["statusCode"] == 200, answered
    assert [c["sequence"] for c in body_of(answered)["changes"]] == [1]


def test_an_agent_with_a_custom_role_gets_assignment_pushes(acme: Organization, tap: ManagementApiTap) -> None:
    _put_role("SENIOR_AGENT", ["attendance.self", "work.self", "connect", "engage", "engage.coaching"])
    register_holder("acme", "sia", "SENIOR_AGENT", units=("north",), groups=("agents",))
    stream = TableStream(TABLE, "fanout")
    assert _connect("conn-sia", "sia") == 200
    stream.next_event()
    body = {"type": "coaching", "title": "Calls", "instructions": "Listen.", "agentIds": ["sia"]}
    created = _http(assignments, "POST", "/assignments", "sam", body=body)
    assert created["statusCode"] == 201, created
    assert fanout.handler(stream.next_event(), LambdaContext()) == {"batchItemFailures": []}
    pushed = _pushes(tap, "conn-sia", "assignment.changed")
    assert [m["assignment"]["title"] for m in pushed] == ["Calls"]


def test_a_custom_role_with_administration_watches_every_unit(acme: Organization, tap: ManagementApiTap) -> None:
    _put_role("OPERATIONS", ["administration", "connect", "supervision.view"])
    register_holder("acme", "ops", "OPERATIONS")
    assert _connect("conn-ops", "ops") == 200
    # The token names the custom role, as Cognito's groups would.
    _act("conn-ops", "ops", {"action": "subscribe", "units": ["north", "south"]}, roles="OPERATIONS")
    assert tap.received("conn-ops")[-1]["channels"] == ["UNIT#north", "UNIT#south"]
