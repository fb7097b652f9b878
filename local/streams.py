"""Lambda's event source mapping for the table's DynamoDB stream, one thread per stream consumer.

As Lambda does it: poll every shard four times a second (DescribeStream, GetShardIterator, GetRecords;
a child shard waits for its parent to end), drop the records no filter pattern matches, invoke the
function with batches of up to batch_size records in shard order, adding eventSourceARN to each record.
A batch fails when the function raises or reports item failures (ReportBatchItemFailures: the
checkpoint moves to just before the lowest failed sequence number and the rest is retried; a malformed
report fails the whole batch). A failed batch is split in two when bisect_on_error is set (a split is
not a retry) and retried up to retry_attempts times; records that run out of retries or grow older
than max_record_age_seconds go to the on-failure destination (an SQS message in Lambda's
invocation-record shape) and the records behind them carry on.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.wiring import StreamConsumer
from local.apigw import REGION, iso_millis, iso_seconds
from local.filters import matches_any, validate
from local.runtime import FunctionError, Invoker

logger = logging.getLogger("local.streams")

_UNLIMITED_RETRIES = 10_000  # Lambda's maximum for MaximumRetryAttempts; -1 means "until the record expires"
_STREAM_RETENTION_SECONDS = 24 * 3600  # what -1 (infinite) record age comes to: the stream's retention


@dataclass(frozen=True)
class PollerSettings:
    poll_interval_seconds: float = 0.25  # Lambda polls each shard four times a second
    retry_delay_seconds: float = 0.5  # before the first retry of a failed batch; doubles after each
    max_retry_delay_seconds: float = 5.0
    # As infra/constructs/streams.py sets it: only what is written after the mapping starts is delivered.
    starting_position: str = "LATEST"
    read_limit: int = 1000  # GetRecords' maximum
    # The stream's shards are listed again this often, and whenever a shard ends; not on every poll (a
    # DescribeStream four times a second would cost more than the reads).
    shard_discovery_seconds: float = 10.0


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    checkpoint: str | None = None  # sequence number of the last record dealt with
    finished: bool = False


@dataclass
class _Batch:
    records: list[dict[str, Any]]
    attempts: int = 0  # retries so far
    invocations: int = 0
    function_error: bool = False


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    failed_from: int | None = None  # index of the first record to retry after a partial failure


def _attribute_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level attribute value as the event carries it: binary as base64 text."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(content).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode("ascii") for item in content]}
    if kind == "M":
        return {"M": {name: _attribute_value(item) for name, item in content.items()}}
    if kind == "L":
        return {"L": [_attribute_value(item) for item in content]}
    return {kind: content}


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 returns it) in the form Lambda delivers it."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    for image in ("Keys", "NewImage", "OldImage"):
        if image in dynamodb:
            dynamodb[image] = {name: _attribute_value(value) for name, value in dynamodb[image].items()}
    converted = {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}
    return converted


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _created(record: Mapping[str, Any]) -> float:
    return float(record["dynamodb"].get("ApproximateCreationDateTime") or time.time())


def parse_batch_response(result: Any, records: Sequence[Mapping[str, Any]]) -> _Outcome:
    """How Lambda reads a function's answer when ReportBatchItemFailures is on."""
    if not isinstance(result, dict):
        return _Outcome(ok=True)
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return _Outcome(ok=True)
    if not isinstance(failures, list):
        return _Outcome(ok=False)
    positions = {_sequence(record): index for index, record in enumerate(records)}
    indexes: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in positions:
            return _Outcome(ok=False)  # empty, null or unknown identifiers fail the whole batch
        indexes.append(positions[identifier])
    return _Outcome(ok=False, failed_from=min(indexes))


class EventSourceMapping:
    def __init__(
        self,
        consumer: StreamConsumer,
        *,
        invoker: Invoker,
        stream_arn: str,
        on_failure_queue_url: str | None,
        endpoint_url: str,
        region: str = REGION,
        settings: PollerSettings | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        for pattern in consumer.filters:
            validate(pattern)
        self.consumer = consumer
        self.uuid = str(uuid.uuid4())
        self._invoker = invoker
        self._stream_arn = stream_arn
        self._queue_url = on_failure_queue_url
        self._settings = settings or PollerSettings()
        session = session or boto3.session.Session()
        self._streams = session.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
        self._sqs = session.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._shards: dict[str, _Shard] = {}
        self._next_discovery = 0.0  # time.monotonic() of the next DescribeStream
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._condition = threading.Condition()
        self._cycles = 0
        self._last_read = -1
        self._waiters = 0
        self.records_read = 0
        self._thread = threading.Thread(target=self._run, name=f"esm-{consumer.function}", daemon=True)

    def start(self) -> None:
        # Take LATEST iterators now, not at the first poll, so that nothing written once start()
        # has returned can fall before them.
        try:
            for listed in self._describe_shards():
                shard = self._shards.setdefault(
                    listed["ShardId"], _Shard(listed["ShardId"], listed.get("ParentShardId"))
                )
                shard.iterator = self._iterator(shard)
            self._next_discovery = time.monotonic() + self._settings.shard_discovery_seconds
        except (BotoCoreError, ClientError) as exc:
            logger.warning("could not read the stream's shards at start: %s", exc)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._streams.close()
        self._sqs.close()

    def wait_idle(self, timeout: float) -> bool:
        """True once a poll that began after this call found nothing new to deliver."""
        with self._condition:
            start = self._cycles
            self._waiters += 1
            self._wake.set()
            try:
                # The poll under way at the call may have read before the caller's writes: wait for the
                # one after it.
                return (
                    self._condition.wait_for(
                        lambda: self._stop.is_set() or (self._cycles >= start + 2 and self._last_read == 0),
                        timeout=timeout,
                    )
                    and not self._stop.is_set()
                )
            finally:
                self._waiters -= 1

    def _run(self) -> None:
        while not self._stop.is_set():
            read = self._poll_safely()
            with self._condition:
                self._cycles += 1
                self._last_read = read
                self.records_read += max(read, 0)
                self._condition.notify_all()
                # Like Lambda's event source mapping: idle shards are polled four times a second, but
                # after a batch the next one is read at once.
                hurry = (self._waiters > 0 and read == 0) or read > 0
            if not hurry:
                self._wake.wait(self._settings.poll_interval_seconds)
                self._wake.clear()

    def _poll_safely(self) -> int:
        try:
            return self._poll()
        except (BotoCoreError, ClientError) as exc:
            logger.warning("polling the stream for %s failed: %s", self.consumer.function, exc)
            for shard in self._shards.values():
                shard.iterator = None  # start again from the checkpoint
            return -1
        except Exception:
            logger.exception("polling the stream for %s failed", self.consumer.function)
            return -1

    def _describe_shards(self) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {"StreamArn": self._stream_arn}
        for _ in range(1000):  # pages of up to 100 shards; a table has far fewer
            description = self._streams.describe_stream(**arguments)["StreamDescription"]
            yield from description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return
            arguments["ExclusiveStartShardId"] = last

    def _discover_shards(self) -> None:
        now = time.monotonic()
        if self._shards and now < self._next_discovery:
            return
        listed_ids = set()
        for listed in self._describe_shards():
            listed_ids.add(listed["ShardId"])
            self._shards.setdefault(listed["ShardId"], _Shard(listed["ShardId"], listed.get("ParentShardId")))
        for shard_id in list(self._shards):
            if shard_id not in listed_ids and self._shards[shard_id].finished:
                del self._shards[shard_id]  # trimmed from the stream after it ended
        self._next_discovery = now + self._settings.shard_discovery_seconds

    def _poll(self) -> int:
        read = 0
        self._discover_shards()
        for shard in list(self._shards.values()):
            parent = self._shards.get(shard.parent_id or "")
            if shard.finished or (parent is not None and not parent.finished):
                continue  # Lambda finishes a parent shard before it starts on its children
            records = self._read(shard)
            read += len(records)
            if records:
                self._process(shard, records)
        return read

    def _iterator(self, shard: _Shard) -> str:
        arguments: dict[str, Any] = {"StreamArn": self._stream_arn, "ShardId": shard.shard_id}
        if shard.checkpoint is None:
            arguments["ShardIteratorType"] = self._settings.starting_position
        else:
            arguments["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            arguments["SequenceNumber"] = shard.checkpoint
        return str(self._streams.get_shard_iterator(**arguments)["ShardIterator"])

    def _read(self, shard: _Shard) -> list[dict[str, Any]]:
        if shard.iterator is None:
            shard.iterator = self._iterator(shard)
        response = self._streams.get_records(ShardIterator=shard.iterator, Limit=self._settings.read_limit)
        shard.iterator = response.get("NextShardIterator")
        shard.finished = shard.iterator is None
        if shard.finished:
            self._next_discovery = 0.0  # its children are to be found now
        return [lambda_record(record, self._stream_arn) for record in response.get("Records", [])]

    def _process(self, shard: _Shard, records: list[dict[str, Any]]) -> None:
        filters = self.consumer.filters
        delivered = [record for record in records if not filters or matches_any(filters, record)]
        size = max(1, self.consumer.batch_size)
        for start in range(0, len(delivered), size):
            if self._stop.is_set():
                return
            self._deliver(shard.shard_id, delivered[start : start + size])
        shard.checkpoint = _sequence(records[-1])

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        consumer = self.consumer
        max_retries = _UNLIMITED_RETRIES if consumer.retry_attempts < 0 else consumer.retry_attempts
        pending = deque([_Batch(records)])
        # Bounded: every turn consumes records, halves a batch, or spends one of its retries.
        while pending and not self._stop.is_set():
            batch = pending.popleft()
            batch.records = self._without_expired(shard_id, batch)
            if not batch.records:
                continue
            outcome = self._invoke(batch)
            if outcome.ok:
                continue
            if outcome.failed_from is not None:
                batch.records = batch.records[outcome.failed_from :]
            elif consumer.bisect_on_error and len(batch.records) > 1:
                half = len(batch.records) // 2
                pending.appendleft(_Batch(batch.records[half:], batch.attempts))
                pending.appendleft(_Batch(batch.records[:half], batch.attempts))
                continue
            batch.attempts += 1
            if batch.attempts > max_retries:
                self._discard(shard_id, batch, "RetryAttemptsExhausted")
                continue
            delay = self._settings.retry_delay_seconds * 2 ** (batch.attempts - 1)
            self._stop.wait(min(delay, self._settings.max_retry_delay_seconds))
            pending.appendleft(batch)

    def _without_expired(self, shard_id: str, batch: _Batch) -> list[dict[str, Any]]:
        max_age = self.consumer.max_record_age_seconds
        oldest_allowed = time.time() - (_STREAM_RETENTION_SECONDS if max_age < 0 else max_age)
        expired = [record for record in batch.records if _created(record) < oldest_allowed]
        if expired:
            stale = _Batch(expired, batch.attempts, batch.invocations, batch.function_error)
            self._discard(shard_id, stale, "RecordAgeExceeded")
        return [record for record in batch.records if _created(record) >= oldest_allowed]

    def _invoke(self, batch: _Batch) -> _Outcome:
        batch.invocations += 1
        try:
            result = self._invoker.invoke(self.consumer.function, {"Records": batch.records})
        except FunctionError:
            batch.function_error = True
            return _Outcome(ok=False)
        batch.function_error = False
        return parse_batch_response(result, batch.records)

    def _discard(self, shard_id: str, batch: _Batch, condition: str) -> None:
        first, last = batch.records[0], batch.records[-1]
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if batch.function_error:
            response_context["functionError"] = "Unhandled"
        invocation_record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._invoker.function_arn(self.consumer.function),
                "condition": condition,
                "approximateInvokeCount": batch.invocations,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": iso_millis(datetime.now(UTC)),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": _sequence(first),
                "endSequenceNumber": _sequence(last),
                "approximateArrivalOfFirstRecord": iso_seconds(datetime.fromtimestamp(_created(first), UTC)),
                "approximateArrivalOfLastRecord": iso_seconds(datetime.fromtimestamp(_created(last), UTC)),
                "batchSize": len(batch.records),
                "streamArn": self._stream_arn,
            },
        }
        logger.warning(
            "%s: %d record(s) %s..%s discarded (%s)",
            self.consumer.function,
            len(batch.records),
            _sequence(first),
            _sequence(last),
            condition,
        )
        if self._queue_url is None:
            return
        try:
            self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(invocation_record))
        except (BotoCoreError, ClientError):
            logger.exception("could not send the invocation record to %s", self._queue_url)


@dataclass
class StreamPoller:
    """Every stream consumer of the wiring, as event source mappings on the table's stream."""

    mappings: list[EventSourceMapping] = field(default_factory=list)

    @classmethod
    def for_consumers(
        cls,
        consumers: Sequence[StreamConsumer],
        *,
        invoker: Invoker,
        stream_arn: str,
        on_failure_queue_url: str | None,
        endpoint_url: str,
        settings: PollerSettings | None = None,
        session: boto3.session.Session | None = None,
    ) -> StreamPoller:
        return cls(
            [
                EventSourceMapping(
                    consumer,
                    invoker=invoker,
                    stream_arn=stream_arn,
                    on_failure_queue_url=on_failure_queue_url,
                    endpoint_url=endpoint_url,
                    settings=settings,
                    session=session,
                )
                for consumer in consumers
            ]
        )

    def start(self) -> None:
        for mapping in self.mappings:
            mapping.start()

    def stop(self) -> None:
        for mapping in self.mappings:
            mapping.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once every mapping has delivered all it can see, including what deliveries wrote."""
        deadline = time.monotonic() + timeout
        while True:  # bounded by the deadline
            before = sum(mapping.records_read for mapping in self.mappings)
            for mapping in self.mappings:
                if not mapping.wait_idle(max(0.0, deadline - time.monotonic())):
                    return False
            # One consumer's deliveries may write records another one already looked past.
            if sum(mapping.records_read for mapping in self.mappings) == before or len(self.mappings) < 2:
                return True
            if time.monotonic() >= deadline:
                return False
