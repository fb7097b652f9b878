"""The timer queue's event source mapping: delayed messages delivered once visible, in Lambda's SQS event
shape; what succeeded deleted, what failed received again and then moved to the dead-letter queue."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import SqsModel

from infra.wiring import TimerQueue
from local.queues import QueuePoller, QueuePollerSettings
from local.resources import create_timer_queue
from local.runtime import LambdaRuntime
from tests.local.support import Recorder, recording_wiring, shape_differences, unique
from tests.support.events import load

ROW = TimerQueue("consumer", visibility_timeout_seconds=1, max_receive_count=2)


@pytest.fixture
def timer_queue(
    aws: Callable[[str], Any], moto_endpoint: str, boto_session: boto3.session.Session, recorder: Recorder
) -> Iterator[tuple[Any, str]]:
    sqs = aws("sqs")
    url = create_timer_queue(sqs, unique("timers"), ROW)
    runtime = LambdaRuntime(recording_wiring(), resolve=recorder.resolve)
    poller = QueuePoller(
        ROW,
        invoker=runtime,
        queue_url=url,
        endpoint_url=moto_endpoint,
        session=boto_session,
        settings=QueuePollerSettings(poll_interval_seconds=0.05),
    )
    poller.start()
    yield sqs, url
    poller.stop()
    runtime.close()


def _depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_a_delayed_message_is_delivered_after_its_delay_in_the_sqs_event_shape(
    timer_queue: tuple[Any, str], recorder: Recorder
) -> None:
    sqs, url = timer_queue
    sent = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="due in a second", DelaySeconds=1)
    (event,) = recorder.wait_for("consumer", timeout=5)
    assert time.monotonic() - sent >= 1.0
    (record,) = event["Records"]
    assert record["body"] == "due in a second"
    assert shape_differences(record, load("sqs")["Records"][0]) == []
    SqsModel.model_validate(event)
    deadline = time.monotonic() + 5
    while _depth(sqs, url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _depth(sqs, url) == 0  # deleted once the function succeeded


def test_a_reported_failure_is_received_again_then_dead_lettered(
    timer_queue: tuple[Any, str], recorder: Recorder
) -> None:
    sqs, url = timer_queue
    recorder.behaviours["consumer"] = lambda event, _: {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]
    }
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    sqs.send_message(QueueUrl=url, MessageBody="fine")
    dead_letters = sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1] + "-dead-letters")["QueueUrl"]
    deadline = time.monotonic() + 10
    moved: list[str] = []
    while not moved and time.monotonic() < deadline:  # received again after the 1 s visibility timeout
        moved = [m["Body"] for m in sqs.receive_message(QueueUrl=dead_letters).get("Messages", [])]
    assert moved == ["poison"]
    bodies = [r["body"] for e in recorder.events["consumer"] for r in e["Records"]]
    assert bodies.count("fine") == 1 and bodies.count("poison") == ROW.max_receive_count
