"""Lambda's event source mapping for an SQS queue (the timer queue), in a thread.

As Lambda does it: receive up to batch_size messages, invoke the function with them in Lambda's SQS event
shape (tests/events/sqs.json), delete those that succeeded. With ReportBatchItemFailures the ones named
in `batchItemFailures` stay on the queue; a function error leaves the whole batch there. What stays
becomes visible again after the queue's visibility timeout and, after maxReceiveCount receives, SQS
moves it to the dead-letter queue (moto applies the redrive policy as SQS does).

Lambda long-polls; moto's long poll does not wake when a delayed message becomes visible, so this polls
short, every `poll_interval_seconds` (a message is picked up at most that much later than on AWS).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.wiring import TimerQueue
from local.apigw import REGION
from local.runtime import FunctionError, Invoker

logger = logging.getLogger("local.queues")


@dataclass(frozen=True)
class QueuePollerSettings:
    poll_interval_seconds: float = 0.1


def lambda_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """A ReceiveMessage message (as boto3 returns it) in the form Lambda delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def succeeded(result: Any, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records Lambda deletes after an invocation answered `result` (ReportBatchItemFailures on)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return list(records)
    failures = result["batchItemFailures"]
    known = {record["messageId"] for record in records}
    if not isinstance(failures, list):
        return []
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return []  # a malformed report fails the whole batch
        failed.add(identifier)
    return [record for record in records if record["messageId"] not in failed]


class QueuePoller:
    def __init__(
        self,
        row: TimerQueue,
        *,
        invoker: Invoker,
        queue_url: str,
        endpoint_url: str,
        settings: QueuePollerSettings | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.row = row
        self._invoker = invoker
        self._queue_url = queue_url
        self._settings = settings or QueuePollerSettings()
        session = session or boto3.session.Session()
        self._sqs = session.client("sqs", endpoint_url=endpoint_url, region_name=REGION)
        self._queue_arn = ""
        self._stop = threading.Event()
        self.delivered = 0
        self._thread = threading.Thread(target=self._run, name=f"sqs-{row.function}", daemon=True)

    def start(self) -> None:
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sqs.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self._poll()
            except (BotoCoreError, ClientError) as exc:
                logger.warning("receiving from %s failed: %s", self._queue_url, exc)
                received = 0
            except Exception:
                logger.exception("the %s queue mapping failed", self.row.function)
                received = 0
            if not received:
                self._stop.wait(self._settings.poll_interval_seconds)

    def _poll(self) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self.row.batch_size,
            VisibilityTimeout=self.row.visibility_timeout_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        records = [lambda_record(message, self._queue_arn) for message in messages]
        try:
            result = self._invoker.invoke(self.row.function, {"Records": records})
        except FunctionError as exc:
            logger.warning("%s failed a batch of %d: %s", self.row.function, len(records), exc)
            return len(records)  # all stay on the queue, visible again after the visibility timeout
        done = succeeded(result, records)
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
            )
        self.delivered += len(done)
        return len(records)
