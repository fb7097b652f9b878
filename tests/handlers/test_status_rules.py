"""Status rules firing on moto through the real store and fan-out: a tier judged at its moment fires once
(a second delivery records and pushes nothing), its line is in the supervisor-actions log, the last tier
forces a status through the one change path as `system` with the rule in the note, and the firing is
pushed to the unit's supervisors (and the agent when the tier says so); a stint that ended fires nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from contactcenter.agents import local_day
from contactcenter.services import status_rules
from contactcenter.services.status_rules import Outcome
from contactcenter.store import agents as agent_store
from contactcenter.store import clients, connections
from contactcenter.store import organizations as organization_store
from contactcenter.store import supervision as supervision_store
from contactcenter.store.organizations import forget_cached_settings
from functions.admin import app as admin
from functions.clock import app as clock
from functions.status import app as status
from functions.supervision import fanout
from tests.handlers.conftest import TABLE, body_of
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization
from tests.support.sockets import ManagementApiTap
from tests.support.streams import TableStream

RULE = {
    "ruleId": "long-break",
    "name": "Long break",
    "status": "UNAVAILABLE",
    "reason": "BREAK",
    "tiers": [
        {"afterSeconds": 300, "notice": "warning"},
        {"afterSeconds": 600, "notice": "alert", "notifyAgent": True},
        {"afterSeconds": 900, "force": {"status": "AVAILABLE"}, "publishEvent": True},
    ],
}


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections("https://socket.execute-api.us-east-1.amazonaws.com/live"))


def _http(context: Any, module: Any, method: str, path: str, who: str, role: str, body: Any = None, **kw: Any) -> Any:
    response = module.handler(http_event(method, path, body=body, claims=claims_for(who, "acme", role), **kw), context)
    assert response["statusCode"] == 200, response
    return body_of(response)


def _on_break(context: Any) -> datetime:
    _http(
        context, admin, "PUT", "/admin/status-rules", "ada", "ADMIN", {"statusRules": [RULE]}, headers={"If-Match": "0"}
    )
    forget_cached_settings()
    _http(context, clock, "POST", "/me/clock-in", "ana", "AGENT", {"platform": "web"})
    changed = _http(context, status, "PUT", "/me/status", "ana", "AGENT", {"status": "UNAVAILABLE", "reason": "BREAK"})
    return datetime.fromisoformat(changed["agent"]["since"])


def _subscribe(connection_id: str, user: str, channel: str, now: datetime) -> None:
    connection = connections.Connection(connection_id, "acme", user, (), frozenset(), now)
    connections.open_connection(connection, now=now)
    connections.set_channels(connection, frozenset({channel}), now=now)


def test_each_tier_fires_once_at_its_moment_and_the_last_forces(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    since = _on_break(context)
    state = agent_store.get_state("acme", "ana")
    assert state is not None
    due = status_rules.tiers_due(state.state)
    assert [(d.tier, d.due_at - since) for d in due] == [
        (i, timedelta(seconds=s)) for i, s in enumerate((300, 600, 900))
    ]
    stint = due[0].stint.key
    _subscribe("conn-sam", "sam", connections.unit_channel("north"), since)
    _subscribe("conn-ana", "ana", connections.agent_channel("ana"), since)
    stream = TableStream(TABLE, "fanout")
    stream.next_event()  # what came before
    tap.posts.clear()

    early = status_rules.fire("acme", "ana", "long-break", 0, stint, now=due[0].due_at - timedelta(milliseconds=1))
    assert early.outcome is Outcome.NOT_YET
    for tier in (0, 1):
        assert (
            status_rules.fire("acme", "ana", "long-break", tier, stint, now=due[tier].due_at).outcome is Outcome.FIRED
        )
        again = status_rules.fire("acme", "ana", "long-break", tier, stint, now=due[tier].due_at + timedelta(seconds=1))
        assert again.outcome is Outcome.ALREADY_FIRED
    fanout.handler(stream.next_event(), context)
    sam = [m for m in tap.received("conn-sam") if m["type"] == "rule.fired"]
    assert [(m["tier"], m["notice"]) for m in sam] == [(1, "warning"), (2, "alert")]
    assert [m["tier"] for m in tap.received("conn-ana") if m["type"] == "rule.fired"] == [2]

    assert status_rules.fire("acme", "ana", "long-break", 2, stint, now=due[2].due_at).outcome is Outcome.FIRED
    # Delivered again: the firing is recorded, the agent already forced (its stint is over).
    assert status_rules.fire("acme", "ana", "long-break", 2, stint, now=due[2].due_at).outcome is Outcome.STINT_OVER
    forced = agent_store.get_state("acme", "ana")
    assert forced is not None and forced.state.status.value == "AVAILABLE"
    (entry,) = agent_store.history_page("acme", "ana", limit=1)
    assert entry.actor.kind.value == "system" and entry.note == "status rule long-break (Long break), tier 3"
    day = local_day(due[2].due_at, organization_store.get_settings("acme"))
    log = [row for row in supervision_store.actions_of_day("acme", day) if row["action"] == "status_rule"]
    assert [(row["supervisorId"], row["reason"]) for row in log] == [("system", "long-break")] * 3
    fanout.handler(stream.next_event(), context)
    assert [m["tier"] for m in tap.received("conn-sam") if m["type"] == "rule.fired"] == [1, 2, 3]


def test_a_stint_that_ended_fires_nothing(acme: Organization, context: Any) -> None:
    _on_break(context)
    state = agent_store.get_state("acme", "ana")
    assert state is not None
    due = status_rules.tiers_due(state.state)
    _http(context, status, "PUT", "/me/status", "ana", "AGENT", {"status": "AVAILABLE"})
    fired = status_rules.fire("acme", "ana", "long-break", 0, due[0].stint.key, now=due[0].due_at)
    assert fired.outcome is Outcome.STINT_OVER
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert not [i for i in items if i["sk"]["S"].startswith("RULE#")]
