"""Replay what a stream consumer gave up on.

When a stream consumer's retries run out (or a record grows too old), Lambda sends an invocation record
to the consumer's on-failure queue: not the records themselves but where they are in the stream
(`DDBStreamBatchInfo`: stream ARN, shard, first and last sequence number). This reads each such batch
back from the stream (a shard iterator AT_SEQUENCE_NUMBER of the first record, up to the last), keeps
the records the consumer's filters let through (as the event source mapping did), and invokes the
consumer with them in Lambda's event shape. A message is deleted only when its batch went through with
no failed record; otherwise it becomes visible again after the visibility timeout, for a later attempt.

Batches are replayed in stream order (shard, then first sequence number), so per agent the pushes keep
their order. Stream records live 24 hours: a batch older than that is reported as `trimmed` and is left
in the queue (what it held is still in the table: see docs/operations.md).

    .venv/bin/python -m ops.stream_replay --queue-url URL --consumer fanout [--dry-run] [--max-messages 100]
                                          [--function-name NAME] [--endpoint-url URL]

The consumer runs again with records it may have handled in part before: both consumers are safe to run
twice (a push carries its sequence number, clients drop ones they hold; a report job that is done is
left alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.wiring import WIRING
from local.filters import matches_any
from local.streams import lambda_record

# An open shard can answer empty pages before the records after them; a bounded number is read past.
MAX_EMPTY_PAGES = 20
MAX_PAGES = 1000
RECEIVE_BATCH = 10

Invoke = Callable[[str, dict[str, Any]], "InvokeResult"]


@dataclass(frozen=True)
class InvokeResult:
    function_error: str | None = None  # Lambda's FunctionError ("Unhandled"), if the invocation failed
    failed_items: tuple[str, ...] = ()  # the batchItemFailures the consumer reported

    @property
    def ok(self) -> bool:
        return self.function_error is None and not self.failed_items


@dataclass(frozen=True)
class BatchInfo:
    """Where the records of one given-up batch are in the stream (Lambda's invocation record)."""

    stream_arn: str
    shard_id: str
    start: str
    end: str
    batch_size: int
    function_arn: str
    condition: str

    @classmethod
    def from_message(cls, body: str) -> BatchInfo:
        record = json.loads(body)
        info = record["DDBStreamBatchInfo"]
        context = record.get("requestContext", {})
        return cls(
            stream_arn=info["streamArn"],
            shard_id=info["shardId"],
            start=str(info["startSequenceNumber"]),
            end=str(info["endSequenceNumber"]),
            batch_size=int(info.get("batchSize", 0)),
            function_arn=str(context.get("functionArn", "")),
            condition=str(context.get("condition", "")),
        )

    @property
    def order(self) -> tuple[str, int]:
        return self.shard_id, int(self.start)


@dataclass
class Outcome:
    message_id: str
    info: BatchInfo
    status: str  # replayed | failed | trimmed | dry-run
    records: list[str] = field(default_factory=list)  # sequence numbers handed to the consumer
    failed_items: tuple[str, ...] = ()
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "status": self.status,
            "shardId": self.info.shard_id,
            "start": self.info.start,
            "end": self.info.end,
            "condition": self.info.condition,
            "records": self.records,
            "failedItems": list(self.failed_items),
            "detail": self.detail,
        }


class Trimmed(Exception):
    """The batch's records are no longer in the stream (older than its 24-hour retention)."""


def read_batch(streams: Any, info: BatchInfo, filters: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The batch's records, in Lambda's event shape, that the consumer's filters let through."""
    try:
        iterator: str | None = streams.get_shard_iterator(
            StreamArn=info.stream_arn,
            ShardId=info.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info.start,
        )["ShardIterator"]
    except streams.exceptions.TrimmedDataAccessException as error:
        raise Trimmed(str(error)) from error
    except streams.exceptions.ResourceNotFoundException as error:
        raise Trimmed(str(error)) from error
    last = int(info.end)
    records: list[dict[str, Any]] = []
    empty = 0
    for _ in range(MAX_PAGES):
        if iterator is None or empty >= MAX_EMPTY_PAGES:
            break
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        iterator = page.get("NextShardIterator")
        empty = 0 if page.get("Records") else empty + 1
        for raw in page.get("Records", []):
            if int(raw["dynamodb"]["SequenceNumber"]) > last:
                return records
            record = lambda_record(raw, info.stream_arn)
            if not filters or matches_any(filters, record):
                records.append(record)
    return records


def lambda_invoker(client: Any) -> Invoke:
    """Invokes the deployed consumer synchronously, as the event source mapping does."""

    def invoke(function: str, event: dict[str, Any]) -> InvokeResult:
        response = client.invoke(FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(event))
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            return InvokeResult(function_error=str(response["FunctionError"]))
        return parse_batch_response(json.loads(payload) if payload else None)

    return invoke


def parse_batch_response(result: Any) -> InvokeResult:
    if not isinstance(result, dict):
        return InvokeResult()
    failures = result.get("batchItemFailures") or []
    return InvokeResult(failed_items=tuple(str(f.get("itemIdentifier")) for f in failures))


def _receive_all(sqs: Any, queue_url: str, *, limit: int, visibility_seconds: int) -> list[dict[str, Any]]:
    messages: dict[str, dict[str, Any]] = {}
    while len(messages) < limit:
        page = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(RECEIVE_BATCH, limit - len(messages)),
            VisibilityTimeout=visibility_seconds,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        new = [message for message in page if message["MessageId"] not in messages]
        if not new:  # empty, or (with a short visibility timeout) the same messages again
            break
        messages.update((message["MessageId"], message) for message in new)
    return list(messages.values())


def replay(
    *,
    sqs: Any,
    streams: Any,
    queue_url: str,
    filters: Sequence[Mapping[str, Any]],
    invoke: Invoke,
    function_name: str | None = None,
    dry_run: bool = False,
    max_messages: int = 100,
    visibility_seconds: int = 300,
) -> list[Outcome]:
    """Replays the queue's given-up batches in stream order; deletes the messages of those that went through."""
    received = _receive_all(sqs, queue_url, limit=max_messages, visibility_seconds=visibility_seconds)
    batches = sorted(
        ((BatchInfo.from_message(message["Body"]), message) for message in received), key=lambda pair: pair[0].order
    )
    outcomes = []
    for info, message in batches:
        outcome = Outcome(message["MessageId"], info, "dry-run")
        outcomes.append(outcome)
        try:
            records = read_batch(streams, info, filters)
        except Trimmed as error:
            outcome.status, outcome.detail = "trimmed", str(error)
            continue
        outcome.records = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        if dry_run:
            continue
        result = invoke(function_name or info.function_arn, {"Records": records}) if records else InvokeResult()
        if not result.ok:
            outcome.status, outcome.failed_items = "failed", result.failed_items
            outcome.detail = result.function_error or "the consumer reported failed records"
            continue
        outcome.status = "replayed"
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    if dry_run:  # put the messages back at once instead of after the visibility timeout
        for message in received:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return outcomes


def consumer_filters(function: str) -> tuple[dict[str, object], ...]:
    return next(c.filters for c in WIRING.stream_consumers if c.function == function)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.stream_replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="the consumer's on-failure queue")
    parser.add_argument(
        "--consumer",
        required=True,
        choices=[c.function for c in WIRING.stream_consumers],
        help="the wiring row whose filters the event source mapping applies",
    )
    parser.add_argument("--function-name", help="invoke this function instead of the record's functionArn")
    parser.add_argument("--dry-run", action="store_true", help="read and list the batches, invoke nothing")
    parser.add_argument("--max-messages", type=int, default=100)
    parser.add_argument("--endpoint-url", help="an AWS endpoint (the local stack's moto) instead of AWS")
    arguments = parser.parse_args(argv)

    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=arguments.endpoint_url)

    outcomes = replay(
        sqs=client("sqs"),
        streams=client("dynamodbstreams"),
        queue_url=arguments.queue_url,
        filters=consumer_filters(arguments.consumer),
        invoke=lambda_invoker(client("lambda")),
        function_name=arguments.function_name,
        dry_run=arguments.dry_run,
        max_messages=arguments.max_messages,
    )
    for outcome in outcomes:
        print(json.dumps(outcome.as_json()))
    return 0 if all(o.status in ("replayed", "dry-run") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
