"""Faults during the fan-out: the management API failing or timing out for some connections, and a poison
record in a batch. The others still receive every push in order, a connection is only forgotten when API
Gateway says it is gone (410), the stream record is not failed (nobody gets a push twice because of
someone else), and a client that missed pushes gets exactly them back through `catchup`."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contactcenter.store import clients
from functions.supervision import fanout, socket
from tests.faults.conftest import TABLE, Caller, TableStream
from tests.faults.injection import ManagementApi, Outage, throttled
from tests.support.events import load

HEALTHY = ("conn-1", "conn-2")


@pytest.fixture
def api(aws: None) -> Iterator[ManagementApi]:
    management = ManagementApi(clients.connections(os.environ["WEBSOCKET_ENDPOINT"]))
    yield management
    management.end()


def _socket(context: Any, route: str, connection_id: str, body: Any = None, user: str = "sam") -> dict[str, Any]:
    name = {"$connect": "websocket-connect", "$disconnect": "websocket-disconnect"}.get(route, "websocket-message")
    event = copy.deepcopy(load(name))
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {
        "principalId": user,
        "organizationId": "acme",
        "userId": user,
        "roles": "SUPERVISOR",
    }
    if body is not None:
        event["body"] = json.dumps(body)
    response: dict[str, Any] = socket.handler(event, context)
    return response


def _watch_north(context: Any, api: ManagementApi, *connection_ids: str) -> None:
    for connection_id in connection_ids:
        assert _socket(context, "$connect", connection_id)["statusCode"] == 200
        _socket(context, "subscribe", connection_id, {"action": "subscribe", "units": ["north"]})
        assert api.received(connection_id)[-1]["channels"] == ["UNIT#north"]
    api.delivered.clear()
    api.attempts.clear()


def _connection_items(connection_id: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(
        f"{item['pk']['S']}|{item['sk']['S']}" for item in items if connection_id in item["pk"]["S"] + item["sk"]["S"]
    )


def _changes(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(m["agentId"], m["sequence"]) for m in messages if m["type"] == "agent.changed"]


def test_failing_slow_and_gone_connections_do_not_hold_back_the_others_or_fail_the_record(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    _watch_north(context, api, *HEALTHY, "conn-broken", "conn-slow", "conn-gone")
    api.broken.add("conn-broken")
    api.slow.add("conn-slow")
    api.gone.add("conn-gone")
    stream = TableStream("fanout")
    stream.next_event()  # the sessions' own records
    kept = {cid: _connection_items(cid) for cid in ("conn-broken", "conn-slow")}

    ana.clock_in()
    ana.set_status("UNAVAILABLE", "BREAK")
    event = stream.next_event()
    assert len(event["Records"]) == 2

    assert fanout.handler(event, context) == {"batchItemFailures": []}

    for connection_id in HEALTHY:
        assert _changes(api.received(connection_id)) == [("ana", 1), ("ana", 2)]
    # botocore tried the 500 and the timeout three times for each push (the connections client allows
    # two retries); the 410 once: it is final.
    assert api.attempts["conn-broken"] == api.attempts["conn-slow"] == 6
    assert api.attempts["conn-gone"] == 1
    assert api.received("conn-broken") == api.received("conn-slow") == []
    assert {cid: _connection_items(cid) for cid in kept} == kept  # failing is not gone: still subscribed
    assert _connection_items("conn-gone") == []
    assert api.deleted == []

    # The broken connection heals: it hears the next change, sees the gap and gets it back.
    api.broken.clear()
    ana.set_status("AVAILABLE")
    assert fanout.handler(stream.next_event(), context) == {"batchItemFailures": []}
    assert _changes(api.received("conn-broken")) == [("ana", 3)]
    _socket(context, "catchup", "conn-broken", {"action": "catchup", "since": {"ana": 0}, "requestId": "r1"})
    received = api.received("conn-broken")
    assert _changes(received) == [("ana", 3), ("ana", 1), ("ana", 2), ("ana", 3)]
    assert received[-1] == {"type": "caughtup", "requestId": "r1"}


def test_finding_the_subscribers_throttled_fails_only_that_record_and_its_retry_delivers_once(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    """Finding the subscribers is the one failure that fails the record: nobody was pushed to yet."""
    _watch_north(context, api, *HEALTHY)
    stream = TableStream("fanout")
    stream.next_event()
    ana.clock_in()
    ana.set_status("OFFLINE_WORK")
    ana.set_status("AVAILABLE")
    event = stream.next_event()
    second = event["Records"][1]["dynamodb"]["SequenceNumber"]

    # Once the first change is out, finding the next one's subscribers is throttled (botocore's retries spent).
    first_pushed = lambda _: len(api.delivered) == len(HEALTHY)  # noqa: E731
    with Outage(clients.dynamodb(), "Query", throttled(), times=1, matching=first_pushed):
        result = fanout.handler(event, context)

    # Lambda retries from the failed record: the ones before it are not pushed again.
    assert result == {"batchItemFailures": [{"itemIdentifier": second}]}
    assert all(_changes(api.received(cid)) == [("ana", 1), ("ana", 3)] for cid in HEALTHY)
    retry = {"Records": [r for r in event["Records"] if int(r["dynamodb"]["SequenceNumber"]) >= int(second)]}
    assert fanout.handler(retry, context) == {"batchItemFailures": []}
    for connection_id in HEALTHY:
        assert _changes(api.received(connection_id)) == [("ana", 1), ("ana", 3), ("ana", 2), ("ana", 3)]


def test_a_poison_record_is_reported_alone_and_the_rest_of_the_batch_is_pushed(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    _watch_north(context, api, *HEALTHY)
    stream = TableStream("fanout")
    stream.next_event()
    ana.clock_in()
    # A history entry no current code can push: written past our code, as an old or foreign writer would.
    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "ORG#acme#AGENT#ana"},
            "sk": {"S": "HIST#9999999999"},
            "entity": {"S": "AgentChange"},
            "agentId": {"S": "ana"},
        },
    )
    ana.set_status("UNAVAILABLE", "BREAK")
    event = stream.next_event()
    poison = event["Records"][1]["dynamodb"]["SequenceNumber"]

    result = fanout.handler(event, context)

    assert result == {"batchItemFailures": [{"itemIdentifier": poison}]}
    for connection_id in HEALTHY:
        assert _changes(api.received(connection_id)) == [("ana", 1), ("ana", 2)]
