"""Queues that hold what failed (stream batches, scheduled invocations) until someone looks."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge

# The longest SQS allows: a failure found after a holiday weekend is still there to inspect and replay.
RETENTION = Duration.days(14)


def failure_queue(scope: Construct, construct_id: str, *, holds: str) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=RETENTION,
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is itself the dead-letter destination for {holds}; nothing consumes it "
        "automatically, so a further dead-letter queue would never receive anything.",
    )
    return queue
