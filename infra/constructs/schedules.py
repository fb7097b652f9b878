"""EventBridge Scheduler schedules from the wiring table, each invoking its function."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from infra import naming
from infra.constructs.nag import acknowledge, attribute, wildcard_resource
from infra.constructs.queues import failure_queue
from infra.wiring import Schedule

RETRY_ATTEMPTS = 3
# Every scheduled job catches up on what earlier runs missed, so a run that could not be delivered
# within an hour is superseded by later ones.
MAXIMUM_EVENT_AGE = Duration.hours(1)


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedules: tuple[Schedule, ...],
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = failure_queue(self, "DeadLetters", holds="scheduled invocations that failed")
        # One role for all schedules here, instead of the stack-level singleton LambdaInvoke would
        # create, so its grants and their acknowledgements live in this construct.
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "InvokeRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                # Only schedules of this account may use the role (confused-deputy protection).
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="EventBridge Scheduler invokes the scheduled functions",
        )
        self.schedules = {row.name: self._schedule(row, functions[row.function]) for row in schedules}
        # Scheduler hands the event to Lambda asynchronously: its dead-letter queue only holds what could
        # not be handed over. A run that fails inside the function is parked by Lambda, in the same queue.
        for name in dict.fromkeys(row.function for row in schedules):
            functions[name].configure_async_invoke(
                on_failure=destinations.SqsDestination(self.dead_letters), max_event_age=MAXIMUM_EVENT_AGE
            )

    def _schedule(self, row: Schedule, function: lambda_.Function) -> scheduler.Schedule:
        target = targets.LambdaInvoke(
            function,
            input=_scheduled_event(self, row.detail),
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=MAXIMUM_EVENT_AGE,
            dead_letter_queue=self.dead_letters,
            role=self.role,
        )
        schedule = scheduler.Schedule(
            self,
            naming.construct_id(row.name, "Schedule"),
            description=row.description or row.name,
            schedule=scheduler.ScheduleExpression.expression(row.expression),
            target=target,
        )
        acknowledge(
            self.role,
            wildcard_resource(f"{attribute(function)}:*"),
            "LambdaInvoke grants the function and its qualified ARNs (versions, aliases) together; "
            "the wildcard is the qualifier of this one function.",
        )
        return schedule


def _scheduled_event(scope: Construct, detail: str) -> scheduler.ScheduleTargetInput:
    """The payload a scheduled function receives: shaped like EventBridge's "Scheduled Event" (the
    file tests/events/eventbridge-scheduler.json, which the local scheduler also sends), filled with
    Scheduler's own context attributes, so one parser serves both."""
    stack = Stack.of(scope)
    return scheduler.ScheduleTargetInput.from_object(
        {
            "version": "0",
            "id": scheduler.ContextAttribute.execution_id,
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": stack.account,
            "time": scheduler.ContextAttribute.scheduled_time,
            "region": stack.region,
            "resources": [scheduler.ContextAttribute.schedule_arn],
            "detail": detail,
        }
    )
