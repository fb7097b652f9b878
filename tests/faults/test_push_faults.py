"""Faults during the fan-out: the management API failing or timing out for some connections, and a poison
record in a batch. The others still receive every push in order, a connection is only forgotten when API
Gateway says it is gone (410), the stream record is not failed (nobody gets a push twice because of
someone else), and a client that missed pushes gets exactly them back through `catchup`."""

from __future__ import annotations

from typing import Any

import boto3

from contactcenter.store import clients
from functions.supervision import fanout
from tests.faults.conftest import TABLE, Caller, TableStream, pushed_changes, socket_call, watch_north
from tests.faults.injection import ManagementApi, Outage, throttled

HEALTHY = ("conn-1", "conn-2")


def _connection_items(connection_id: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(
        f"{item['pk']['S']}|{item['sk']['S']}" for item in items if connection_id in item["pk"]["S"] + item["sk"]["S"]
    )


def test_failing_slow_and_gone_connections_do_not_hold_back_the_others_or_fail_the_record(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    watch_north(context, api, *HEALTHY, "conn-broken", "conn-slow", "conn-gone")
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
        assert pushed_changes(api.received(connection_id)) == [("ana", 1), ("ana", 2)]
    # botocore tried the 500 and the timeout three times (the connections client allows two retries),
    # then that connection's later pushes of the batch were not tried (they would arrive out of order);
    # the 410 once: it is final.
    assert api.attempts["conn-broken"] == api.attempts["conn-slow"] == 3
    assert api.attempts["conn-gone"] == 1
    assert api.received("conn-broken") == api.received("conn-slow") == []
    assert {cid: _connection_items(cid) for cid in kept} == kept  # failing is not gone: still subscribed
    assert _connection_items("conn-gone") == []
    assert api.deleted == []

    # The broken connection heals: it hears the next change, sees the gap and gets it back.
    api.broken.clear()
    ana.set_status("AVAILABLE")
    assert fanout.handler(stream.next_event(), context) == {"batchItemFailures": []}
    assert pushed_changes(api.received("conn-broken")) == [("ana", 3)]
    socket_call(context, "catchup", "conn-broken", {"action": "catchup", "since": {"ana": 0}, "requestId": "r1"})
    received = api.received("conn-broken")
    assert pushed_changes(received) == [("ana", 3), ("ana", 1), ("ana", 2), ("ana", 3)]
    assert received[-1] == {"type": "caughtup", "requestId": "r1"}


def test_finding_the_subscribers_throttled_fails_that_record_and_its_retry_fills_the_gap(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    """Finding the subscribers is the one failure that fails a record: nobody was pushed that change yet.
    The changes after it go out in the same invocation (the rest of the batch goes through), so a client
    sees a gap in the sequence numbers until Lambda's retry, which starts at the failed record."""
    watch_north(context, api, *HEALTHY)
    stream = TableStream("fanout")
    stream.next_event()
    ana.clock_in()
    ana.set_status("OFFLINE_WORK")
    ana.set_status("AVAILABLE")
    event = stream.next_event()
    first = event["Records"][0]["dynamodb"]["SequenceNumber"]

    # The first subscriber lookup of the batch is throttled (botocore's own retries spent).
    with Outage(clients.dynamodb(), "Query", throttled(), times=1) as outage:
        result = fanout.handler(event, context)

    assert outage.failed == 1
    assert result == {"batchItemFailures": [{"itemIdentifier": first}]}
    for connection_id in HEALTHY:
        assert pushed_changes(api.received(connection_id)) == [("ana", 2), ("ana", 3)]  # 1 is missing: a gap

    assert fanout.handler(event, context) == {"batchItemFailures": []}  # the retry, from the failed record on
    for connection_id in HEALTHY:
        received = pushed_changes(api.received(connection_id))
        assert received == [("ana", 2), ("ana", 3), ("ana", 1), ("ana", 2), ("ana", 3)]
        assert sorted(set(received)) == [("ana", 1), ("ana", 2), ("ana", 3)]  # clients keep one per sequence


def test_a_poison_record_is_reported_alone_and_the_rest_of_the_batch_is_pushed(
    ana: Caller, context: Any, api: ManagementApi
) -> None:
    watch_north(context, api, *HEALTHY)
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
        assert pushed_changes(api.received(connection_id)) == [("ana", 1), ("ana", 2)]
