"""Bounded state (issue 14, point 4): no caller grows an item toward DynamoDB's 400 KB, and every push fits
API Gateway's 128 KB. Through the real handlers and store on moto, posts through botocore to a tap that
refuses what API Gateway refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from contactcenter.agents import Actor, ActorKind
from contactcenter.organization import DEFAULT_WORK_ITEM_LIMITS, Queue
from contactcenter.status import QUEUE_LOGINS_MAX, LogIntoQueue, decide
from contactcenter.store import agents, clients, organizations
from contactcenter.store import connections as connection_store
from functions.admin import app as admin
from functions.clock import app as clock
from functions.status import app as status
from functions.supervision import app as supervision
from tests.handlers.conftest import TABLE, body_of
from tests.support import organizations as test_organizations
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization
from tests.support.sockets import MESSAGE_BYTES_MAX, ManagementApiTap

ENDPOINT = "https://socket.execute-api.us-east-1.amazonaws.com/live"


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections(ENDPOINT))


def test_a_push_over_128_kb_arrives_as_a_short_notice_naming_what_to_refetch(tap: ManagementApiTap) -> None:
    work_items = [{"itemId": f"case-{n}", "reference": "r" * 256} for n in range(600)]
    message: dict[str, Any] = {
        "type": "agent.changed",
        "organizationId": "acme",
        "agentId": "ana",
        "sequence": 42,
        "agent": {"workItems": work_items},
    }
    assert len(json.dumps(message)) > MESSAGE_BYTES_MAX

    connection_store.post("conn-1", message)

    [notice] = tap.received("conn-1")
    assert notice["type"] == "refetch"
    assert notice["replaces"] == "agent.changed"
    assert (notice["agentId"], notice["sequence"]) == ("ana", 42)
    assert notice["refetch"] == "/agents/ana/changes?after=41"


def test_a_push_that_fits_goes_as_it_is(tap: ManagementApiTap) -> None:
    message = {"type": "agent.changed", "organizationId": "acme", "agentId": "ana", "sequence": 1, "agent": {}}
    connection_store.post("conn-1", message)
    assert tap.received("conn-1") == [message]


# --- work items and queue logins: the agent's item stays bounded ----------------------------------


def _as(context: Any, user: str, role: str, method: str, path: str, route: str, body: Any = None, **kw: Any) -> Any:
    event = http_event(method, path, route=route, body=body, claims=claims_for(user, "acme", role), **kw)
    module = clock if path.startswith("/me/clock") else status
    if path.startswith("/units"):
        module = supervision
    elif path.startswith("/admin"):
        module = admin
    return module.handler(event, context)


def _offer(context: Any, item_id: str, channel: str) -> dict[str, Any]:
    body = {"type": "offered", "channel": channel, "reference": "r" * 256}
    path = f"/me/work-items/{item_id}/events"
    return _as(context, "ana", "AGENT", "POST", path, "/me/work-items/{itemId}/events", body=body)


def _agent_item_bytes(agent_id: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key=agents.agent_key("acme", agent_id))["Item"]
    return len(json.dumps(item))


def test_work_items_per_channel_stop_at_the_organizations_limit_and_the_agent_stays_small(
    acme: Organization, context: Any
) -> None:
    assert (
        _as(context, "ana", "AGENT", "POST", "/me/clock-in", "/me/clock-in", body={"platform": "web"})["statusCode"]
        == 200
    )
    for channel, limit in DEFAULT_WORK_ITEM_LIMITS.items():
        for n in range(limit):
            assert _offer(context, f"{channel.value}-{n:0>120}", channel.value)["statusCode"] == 200

        refused = _offer(context, f"{channel.value}-one-more", channel.value)

        assert refused["statusCode"] == 409
        assert body_of(refused)["error"]["rule"] == "work_item_limit"
    # Every channel full, with the longest ids and references: far below 400 KB, and a push about the agent
    # (which carries the agent) far below 128 KB.
    assert _agent_item_bytes("ana") < 64 * 1024
    state = body_of(_as(context, "ana", "AGENT", "GET", "/me/state", "/me/state"))
    assert len(json.dumps(state)) < 64 * 1024
    assert _as(context, "ana", "AGENT", "PUT", "/me/status", "/me/status", body={"status": "AVAILABLE"})[
        "statusCode"
    ] in (200, 409)  # the agent can still be changed: a rule may refuse it, the database does not


def test_an_organization_sets_its_own_limit_within_the_bound(acme: Organization, context: Any) -> None:
    read = _as(context, "ada", "ADMIN", "GET", "/admin/settings", "/admin/settings")
    version = str(body_of(read)["version"])
    too_high = {"workItemLimits": {"case": 51}}
    headers = {"If-Match": version}
    refused = _as(context, "ada", "ADMIN", "PATCH", "/admin/routing", "/admin/routing", body=too_high, headers=headers)
    assert refused["statusCode"] == 422
    lowered = _as(
        context,
        "ada",
        "ADMIN",
        "PATCH",
        "/admin/routing",
        "/admin/routing",
        body={"workItemLimits": {"case": 2}},
        headers=headers,
    )
    assert lowered["statusCode"] == 200, lowered
    assert body_of(lowered)["routing"]["workItemLimits"]["case"] == 2
    organizations.forget_cached_settings()
    _as(context, "ana", "AGENT", "POST", "/me/clock-in", "/me/clock-in", body={"platform": "web"})
    assert [_offer(context, f"c{n}", "case")["statusCode"] for n in range(3)] == [200, 200, 409]


def test_an_agent_logs_into_at_most_the_bounded_number_of_queues(aws: None, context: Any) -> None:
    built = test_organizations.build("acme")
    many = tuple(Queue(queue_id=f"q{n}", name=f"Queue {n}") for n in range(QUEUE_LOGINS_MAX + 1))
    settings = built.settings.model_copy(update={"queues": (*built.settings.queues, *many)})
    test_organizations.register(Organization(settings=settings, people=built.people))
    _as(context, "ana", "AGENT", "POST", "/me/clock-in", "/me/clock-in", body={"platform": "web"})
    # Logged into all but one queue of the limit in one write (as many logins would leave her, faster),
    # then the last one and one more through the handler.
    known = agents.get_state("acme", "ana")
    assert known is not None
    almost = replace(known.state, queues=tuple(q.queue_id for q in many[: QUEUE_LOGINS_MAX - 2]))
    now = datetime.now(UTC)
    last_but_one = LogIntoQueue(many[QUEUE_LOGINS_MAX - 2].queue_id)
    change = decide(almost, last_but_one, settings=settings, actor=Actor(ActorKind.AGENT, "ana"), now=now)
    agents.write_change(change, before=known, settings=settings, now=now)

    def login(queue: Queue) -> dict[str, Any]:
        path = f"/me/queues/{queue.queue_id}/login"
        return _as(context, "ana", "AGENT", "POST", path, "/me/queues/{queueId}/login")

    assert login(many[QUEUE_LOGINS_MAX - 1])["statusCode"] == 200
    refused = login(many[QUEUE_LOGINS_MAX])
    assert refused["statusCode"] == 409
    assert body_of(refused)["error"]["rule"] == "queue_login_limit"


# --- dashboards: a page is bounded in bytes as well as in agents ------------------------------------


def _dashboard(context: Any, cursor: str | None = None) -> dict[str, Any]:
    query = {"limit": "200", **({"cursor": cursor} if cursor else {})}
    path, route = "/units/north/dashboard", "/units/{unitId}/dashboard"
    response = _as(context, "sam", "SUPERVISOR", "GET", path, route, query=query)
    assert response["statusCode"] == 200, response
    return body_of(response)


def test_a_dashboard_page_stops_at_its_byte_budget_and_the_next_page_goes_on(
    acme: Organization, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    everyone = [row["agentId"] for row in _dashboard(context)["agents"]]
    assert len(everyone) >= 3

    monkeypatch.setattr(agents, "PAGE_BYTES_MAX", 1)  # every agent's item is over it: one agent a page
    seen, cursor = [], None
    while True:
        page = _dashboard(context, cursor)
        assert len(page["agents"]) == 1
        seen += [row["agentId"] for row in page["agents"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == everyone
