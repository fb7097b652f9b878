"""The timer queue (contactcenter/timers.py): an SQS queue with a dead-letter queue, delivered to the
timers function, sent to by every function that changes agents."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.queues import failure_queue
from infra.wiring import Function, TimerQueue

QUEUE_URL_VARIABLE = "TIMER_QUEUE_URL"
# A timer is useless after a day: the sweep has long recorded its wrap-up.
RETENTION = Duration.days(1)


class Timers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        row: TimerQueue,
        functions: dict[str, lambda_.Function],
        senders: tuple[Function, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = failure_queue(self, "DeadLetters", holds="timers that failed every delivery")
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=RETENTION,
            visibility_timeout=Duration.seconds(row.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=row.max_receive_count),
        )
        self.consumer = functions[row.function]
        self.consumer.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=row.batch_size,
                max_batching_window=Duration.seconds(row.max_batching_window_seconds),
                report_batch_item_failures=True,
            )
        )
        for sender in senders:
            function = functions[sender.name]
            self.queue.grant_send_messages(function)
            function.add_environment(QUEUE_URL_VARIABLE, self.queue.queue_url)
