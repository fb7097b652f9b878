"""store/agents.load_history, the bulk load of history entries (benchmarks fill a table with it): it writes
the very items a change writes, 25 to a BatchWriteItem, and sends again what DynamoDB left unprocessed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from contactcenter.agents import Actor, ActorKind
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import ClockIn, ClockOut, SetStatus
from contactcenter.statuses import Platform, Status
from contactcenter.store import agents, clients
from tests.handlers.conftest import TABLE
from tests.support.aws import RequestCounter
from tests.support.organizations import Organization

START = datetime(2026, 5, 12, 7, 0, 0, 250_000, tzinfo=UTC)


def _work_a_shift(org: str, agent: str, changes: int) -> None:
    """A clock-in, breaks and returns, a clock-out: `changes` entries written by the product."""
    actor = Actor(ActorKind.AGENT, agent)
    change_agent(org, agent, ClockIn(Platform.WEB), actor=actor, now=START)
    for number in range(1, changes - 1):
        action = SetStatus(Status.UNAVAILABLE, "BREAK") if number % 2 else SetStatus(Status.AVAILABLE)
        change_agent(org, agent, action, actor=actor, now=START + timedelta(minutes=number, milliseconds=number))
    change_agent(org, agent, ClockOut("END_OF_SHIFT"), actor=actor, now=START + timedelta(hours=8))


def _taken_out(org: str, agent: str) -> list[dict[str, Any]]:
    """The agent's history items as the product wrote them, then deleted from the table."""
    items = agents.history_items(org, agent, limit=1000)
    table = boto3.resource("dynamodb").Table(TABLE)
    with table.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    assert agents.history_items(org, agent, limit=1000) == []
    return items


def _as_changes(items: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(agents.state_from_item(item["agent"]), agents.history_from_item(item)) for item in reversed(items)]


def test_loaded_entries_are_the_items_a_change_writes(acme: Organization, requests_counted: RequestCounter) -> None:
    _work_a_shift("acme", "ana", 30)
    written = _taken_out("acme", "ana")
    assert len(written) == 30

    requests_counted.reset()
    assert agents.load_history(_as_changes(written)) == 30

    assert requests_counted.calls == ["BatchWriteItem", "BatchWriteItem"]  # 25, then 5
    assert agents.history_items("acme", "ana", limit=1000) == written


def test_what_dynamodb_leaves_unprocessed_is_sent_again(acme: Organization) -> None:
    _work_a_shift("acme", "ben", 4)
    written = _taken_out("acme", "ben")
    calls: list[int] = []

    def throttle_the_first(params: dict[str, Any], **_: Any) -> Any:
        requested = json.loads(params["body"])["RequestItems"]  # the request as serialized for sending
        calls.append(len(requested[TABLE]))
        if len(calls) > 1:
            return None
        return _Answer(200), {"UnprocessedItems": requested}  # nothing written, all of it left over

    client = clients.dynamodb()
    client.meta.events.register("before-call.dynamodb.BatchWriteItem", throttle_the_first)
    try:
        assert agents.load_history(_as_changes(written)) == 4
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", throttle_the_first)

    assert calls == [4, 4]
    assert agents.history_items("acme", "ben", limit=1000) == written


class _Answer:
    """The HTTP response botocore sees when a before-call hook answers instead of AWS."""

    def __init__(self, status_code: int) -> None:
        self.status_code, self.headers = status_code, {}
