"""The on-failure path of the fan-out, end to end on moto: the event source mapping (the local stack's,
which behaves as Lambda's: partial batch failures, retries, bisection, the invocation record in SQS) runs
the real fan-out handler; a poison record ends up in the on-failure queue while the rest is pushed, and
batches given up during an outage are replayed from the queue by ops/stream_replay.py, in order, once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from contactcenter.store import clients
from functions.supervision import fanout
from infra.wiring import WIRING
from local.runtime import FunctionError
from local.streams import PollerSettings, StreamPoller
from ops.stream_replay import InvokeResult, consumer_filters, parse_batch_response, replay
from tests.faults.conftest import TABLE, Caller, pushed_changes, watch_north
from tests.faults.injection import ManagementApi, Outage, throttled

FANOUT = next(c for c in WIRING.stream_consumers if c.function == "fanout")


class InProcess:
    """Lambda's invoke for the event source mapping: the real handler, its event through JSON."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], context: Any) -> None:
        self.handler, self.context = handler, context

    def invoke(self, function_name: str, event: Any) -> Any:
        try:
            return self.handler(json.loads(json.dumps(event)), self.context)
        except Exception as error:  # an unhandled error is Lambda's function error
            raise FunctionError(function_name, type(error).__name__, str(error)) from error

    def function_arn(self, function_name: str) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def for_replay(self, function: str, event: dict[str, Any]) -> InvokeResult:
        try:
            return parse_batch_response(self.invoke(function, event))
        except FunctionError:
            return InvokeResult(function_error="Unhandled")


@pytest.fixture
def queue_url(aws: None) -> str:
    return str(boto3.client("sqs").create_queue(QueueName="fanout-failures")["QueueUrl"])


@pytest.fixture
def mapping(aws: None, queue_url: str, context: Any) -> Iterator[Callable[[], StreamPoller]]:
    """Starts the fan-out's event source mapping from the start of the stream (retries without delay)."""
    started: list[StreamPoller] = []
    arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]

    def start() -> StreamPoller:
        poller = StreamPoller.for_consumers(
            [FANOUT],
            invoker=InProcess(fanout.handler, context),
            stream_arn=arn,
            on_failure_queue_url=queue_url,
            endpoint_url=None,  # type: ignore[arg-type]  (moto's in-process mock answers AWS's own endpoints)
            settings=PollerSettings(
                poll_interval_seconds=0.02, retry_delay_seconds=0, starting_position="TRIM_HORIZON"
            ),
        )
        started.append(poller)
        poller.start()
        return poller

    yield start
    for poller in started:
        poller.stop()


def _parked(queue_url: str) -> list[dict[str, Any]]:
    """The invocation records in the queue, left visible."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def _write_poison() -> None:
    """A history entry the fan-out cannot push, written past our code (an old or foreign writer)."""
    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "ORG#acme#AGENT#ana"},
            "sk": {"S": "HIST#9999999999"},
            "entity": {"S": "AgentChange"},
            "agentId": {"S": "ana"},
        },
    )


def _replay(queue_url: str, context: Any, **options: Any) -> list[dict[str, Any]]:
    outcomes = replay(
        sqs=boto3.client("sqs"),
        streams=boto3.client("dynamodbstreams"),
        queue_url=queue_url,
        filters=consumer_filters("fanout"),
        invoke=InProcess(fanout.handler, context).for_replay,
        **options,
    )
    return [outcome.as_json() for outcome in outcomes]


def test_a_poison_record_lands_in_the_on_failure_queue_and_the_rest_is_pushed(
    ana: Caller, context: Any, api: ManagementApi, queue_url: str, mapping: Callable[[], StreamPoller]
) -> None:
    watch_north(context, api, "conn-1")
    ana.clock_in()
    _write_poison()
    ana.set_status("UNAVAILABLE", "BREAK")

    assert mapping().wait_idle(30)

    received = pushed_changes(api.received("conn-1"))
    # Lambda starts again at the failed record, so the change behind it is pushed again with each retry:
    # the same sequence number, which the client already holds.
    assert sorted(set(received)) == [("ana", 1), ("ana", 2)]
    assert received[:2] == [("ana", 1), ("ana", 2)]
    (parked,) = _parked(queue_url)
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert parked["requestContext"]["approximateInvokeCount"] == FANOUT.retry_attempts + 1
    info = parked["DDBStreamBatchInfo"]
    assert info["batchSize"] == 2  # the poison record and the change behind it

    # Replaying reads exactly that batch back from the stream; the poison still fails and stays parked.
    (listed,) = _replay(queue_url, context, dry_run=True)
    assert listed["status"] == "dry-run" and listed["records"][0] == info["startSequenceNumber"]
    assert len(listed["records"]) == 2
    (again,) = _replay(queue_url, context, visibility_seconds=0)
    assert again["status"] == "failed" and again["failedItems"] == [info["startSequenceNumber"]]
    assert len(_parked(queue_url)) == 1


def test_batches_given_up_during_an_outage_are_replayed_in_order_and_leave_the_queue(
    ana: Caller, context: Any, api: ManagementApi, queue_url: str, mapping: Callable[[], StreamPoller]
) -> None:
    watch_north(context, api, "conn-1")
    ana.clock_in()
    ana.set_status("UNAVAILABLE", "BREAK")
    ana.set_status("AVAILABLE")

    # Finding the subscribers is throttled for as long as the mapping retries: every batch is given up.
    with Outage(clients.dynamodb(), "Query", throttled(), matching=lambda r: b"CHANNEL#" in _body(r)):
        assert mapping().wait_idle(30)
    assert api.received("conn-1") == []
    parked = _parked(queue_url)
    assert sum(p["DDBStreamBatchInfo"]["batchSize"] for p in parked) == 3
    assert {p["requestContext"]["condition"] for p in parked} == {"RetryAttemptsExhausted"}

    outcomes = _replay(queue_url, context)

    assert [o["status"] for o in outcomes] == ["replayed"] * len(parked)
    assert pushed_changes(api.received("conn-1")) == [("ana", 1), ("ana", 2), ("ana", 3)]
    assert _parked(queue_url) == []


def _body(request: dict[str, Any]) -> bytes:
    body = request["body"]
    return body if isinstance(body, bytes) else str(body).encode()
