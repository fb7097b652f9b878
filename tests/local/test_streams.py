"""The stream poller against moto's DynamoDB Streams: filters, batches, partial failures, retries,
bisection and the on-failure destination."""

from __future__ import annotations

import time
from typing import Any

import pytest

from infra.wiring import WIRING
from tests.local.support import StreamUnderTest, consumer

FANOUT_FILTERS = WIRING.stream_consumers[0].filters


def test_only_records_matching_the_filters_are_delivered_with_their_stream_arn(stream: StreamUnderTest) -> None:
    poller = stream.start(consumer(filters=FANOUT_FILTERS), starting_position="LATEST")
    stream.put("change-1", "AgentChange")
    stream.put("org-settings", "Organization")
    stream.put("change-1", "AgentChange", note="modified")  # MODIFY: filtered out
    stream.put("message-1", "AgentMessage")

    assert poller.wait_idle(10)
    assert [key for batch in stream.batches() for key in batch] == ["change-1", "message-1"]
    records = [record for event in stream.recorder.events["consumer"] for record in event["Records"]]
    assert {record["eventSourceARN"] for record in records} == {stream.stream_arn}
    assert all(record["eventName"] == "INSERT" for record in records)


def test_latest_skips_what_was_written_before_the_mapping_started(stream: StreamUnderTest) -> None:
    stream.put("before")
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.put("after")
    assert poller.wait_idle(10)
    assert stream.batches() == [["after"]]


def test_a_partial_batch_failure_retries_from_the_failed_record(stream: StreamUnderTest) -> None:
    stream.put_together(*[(f"r{number}", "AgentChange") for number in range(1, 6)])
    answers = iter(["r3"])

    def report_once(event: dict[str, Any], _: Any) -> dict[str, Any]:
        failed = next(answers, None)
        identifiers = [
            record["dynamodb"]["SequenceNumber"]
            for record in event["Records"]
            if record["dynamodb"]["Keys"]["pk"]["S"] == failed
        ]
        return {"batchItemFailures": [{"itemIdentifier": identifier} for identifier in identifiers]}

    stream.recorder.behaviours["consumer"] = report_once
    poller = stream.start(consumer())

    assert poller.wait_idle(10)
    assert stream.batches() == [["r1", "r2", "r3", "r4", "r5"], ["r3", "r4", "r5"]]
    assert stream.failures() == []


def test_a_poison_record_is_isolated_sent_to_the_destination_and_the_rest_delivered(stream: StreamUnderTest) -> None:
    stream.put_together(
        ("a", "AgentChange"), ("b", "AgentChange"), ("poison", "Poison"), ("c", "AgentChange"), ("d", "AgentChange")
    )

    def fail_on_poison(event: dict[str, Any], _: Any) -> dict[str, Any]:
        if any(record["dynamodb"]["NewImage"]["entity"]["S"] == "Poison" for record in event["Records"]):
            raise ValueError("cannot push this")
        return {"batchItemFailures": []}

    stream.recorder.behaviours["consumer"] = fail_on_poison
    poller = stream.start(consumer(retry_attempts=2, bisect_on_error=True))
    assert poller.wait_idle(10)

    batches = stream.batches()
    succeeded = [batch for batch in batches if "poison" not in batch]
    assert [key for batch in succeeded for key in batch] == ["a", "b", "c", "d"]
    assert batches.count(["poison"]) == 3  # the first try and two retries
    assert batches.index(["c", "d"]) > max(i for i, batch in enumerate(batches) if batch == ["poison"])

    (failure,) = stream.failures()
    poison_sequence = stream.recorder.events["consumer"][batches.index(["poison"])]["Records"][0]["dynamodb"][
        "SequenceNumber"
    ]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"].endswith(":function:contactcenter-local-consumer")
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0"
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        poison_sequence,
        poison_sequence,
        1,
    )
    assert info["streamArn"] == stream.stream_arn
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")

    stream.put("after-poison")
    assert poller.wait_idle(10)
    assert stream.batches()[-1] == ["after-poison"]


def test_reported_failures_that_never_clear_discard_the_rest_of_the_batch(stream: StreamUnderTest) -> None:
    stream.put_together(("a", "AgentChange"), ("poison", "Poison"), ("b", "AgentChange"))

    def always_report_poison(event: dict[str, Any], _: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
                for record in event["Records"]
                if record["dynamodb"]["NewImage"]["entity"]["S"] == "Poison"
            ]
        }

    stream.recorder.behaviours["consumer"] = always_report_poison
    poller = stream.start(consumer(retry_attempts=1, bisect_on_error=False))
    assert poller.wait_idle(10)

    assert stream.batches() == [["a", "poison", "b"], ["poison", "b"]]  # the try, then one retry
    (failure,) = stream.failures()
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert "functionError" not in failure["responseContext"]  # the function answered; it did not fail


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": "999"}]},
        {"batchItemFailures": "r1"},
    ],
    ids=["empty identifier", "unknown identifier", "not a list"],
)
def test_a_malformed_failure_report_fails_the_whole_batch(stream: StreamUnderTest, answer: dict[str, Any]) -> None:
    stream.put_together(("r1", "AgentChange"), ("r2", "AgentChange"))
    stream.recorder.behaviours["consumer"] = lambda event, _: answer
    poller = stream.start(consumer(retry_attempts=1, bisect_on_error=False))
    assert poller.wait_idle(10)
    assert stream.batches() == [["r1", "r2"], ["r1", "r2"]]
    assert stream.failures()[0]["DDBStreamBatchInfo"]["batchSize"] == 2


def test_records_older_than_the_maximum_age_go_to_the_destination_unprocessed(stream: StreamUnderTest) -> None:
    stream.put("stale")
    time.sleep(2.2)  # stream record times have whole-second precision
    poller = stream.start(consumer(max_record_age_seconds=1))
    assert poller.wait_idle(10)
    assert stream.batches() == []
    (failure,) = stream.failures()
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] == 0


def test_batches_hold_at_most_batch_size_records_in_order(stream: StreamUnderTest) -> None:
    stream.put_together(*[(f"r{number}", "AgentChange") for number in range(1, 6)])
    poller = stream.start(consumer(batch_size=2))
    assert poller.wait_idle(10)
    assert stream.batches() == [["r1", "r2"], ["r3", "r4"], ["r5"]]


def test_wait_idle_also_waits_for_what_deliveries_write(stream: StreamUnderTest) -> None:
    def chain(event: dict[str, Any], _: Any) -> None:
        for record in event["Records"]:
            key = record["dynamodb"]["Keys"]["pk"]["S"]
            if key.startswith("hop-") and int(key[4:]) < 3:
                stream.put(f"hop-{int(key[4:]) + 1}")

    stream.recorder.behaviours["consumer"] = chain
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.put("hop-0")
    assert poller.wait_idle(10)
    assert [key for batch in stream.batches() for key in batch] == ["hop-0", "hop-1", "hop-2", "hop-3"]


def test_records_carry_what_lambda_delivers(stream: StreamUnderTest) -> None:
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.dynamodb.put_item(
        TableName=stream.table,
        Item={"pk": {"S": "bin"}, "sk": {"S": "A"}, "blob": {"B": b"\x00\x01"}, "nested": {"M": {"b": {"B": b"\x02"}}}},
    )
    assert poller.wait_idle(10)
    record = stream.recorder.events["consumer"][0]["Records"][0]
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert record["dynamodb"]["NewImage"]["nested"] == {"M": {"b": {"B": "Ag=="}}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_the_shards_are_listed_at_start_and_then_only_now_and_then(stream: StreamUnderTest, boto_session: Any) -> None:
    listings: list[str] = []
    boto_session.events.register(
        "before-call.dynamodbstreams.DescribeStream",
        lambda **kwargs: listings.append(kwargs["model"].name),
        unique_id="shard-listings",
    )
    try:
        poller = stream.start(consumer(), starting_position="LATEST")
        for number in range(5):
            stream.put(f"change-{number}")
            assert poller.wait_idle(10)
    finally:
        boto_session.events.unregister("before-call.dynamodbstreams.DescribeStream", unique_id="shard-listings")
    assert stream.batches() == [[f"change-{number}"] for number in range(5)]
    # At start only: the next listing is 10 seconds away (PollerSettings.shard_discovery_seconds).
    assert len(listings) == 1
