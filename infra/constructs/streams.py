"""Stream consumers: one event source mapping per wiring row, each with its on-failure queue."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import naming
from infra.constructs.nag import acknowledge, wildcard_resource
from infra.constructs.queues import failure_queue
from infra.wiring import StreamConsumer


@dataclass(frozen=True)
class Consumer:
    row: StreamConsumer
    function: lambda_.Function
    source: event_sources.DynamoEventSource
    failures: sqs.Queue


class Streams(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumers: tuple[StreamConsumer, ...],
        table: dynamodb.Table,
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.consumers = [self._consumer(row, table, functions[row.function]) for row in consumers]

    def _consumer(self, row: StreamConsumer, table: dynamodb.Table, function: lambda_.Function) -> Consumer:
        failures = failure_queue(
            self,
            naming.construct_id(row.function, "Failures"),
            holds=f"stream records the {row.function} function gave up on",
        )
        source = event_sources.DynamoEventSource(
            table,
            # Pushes are about what happens now; replaying a day of stream after a deployment is not.
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=row.batch_size,
            max_batching_window=Duration.seconds(row.max_batching_window_seconds),
            parallelization_factor=row.parallelization_factor,
            bisect_batch_on_error=row.bisect_on_error,
            retry_attempts=row.retry_attempts,
            max_record_age=Duration.seconds(row.max_record_age_seconds),
            # The consumer reports the records it failed (Powertools batch processing), so the ones
            # behind a poison record are not retried or lost with it.
            report_batch_item_failures=True,
            filters=[lambda_.FilterCriteria.filter(pattern) for pattern in row.filters],
            on_failure=event_sources.SqsDlq(failures),
        )
        function.add_event_source(source)
        acknowledge(
            function.role,  # type: ignore[arg-type]
            wildcard_resource("*"),
            "dynamodb:ListStreams has no resource-level permissions (the stream itself is granted by ARN).",
        )
        return Consumer(row=row, function=function, source=source, failures=failures)
