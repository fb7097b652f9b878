"""CloudWatch alarms on what needs a person: failing functions, lagging streams, parked failures."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import naming
from infra.constructs.streams import Consumer

PERIOD = Duration.minutes(5)
# Supervisors watch pushes live: a minute behind the table is already visible on a dashboard.
ITERATOR_AGE_THRESHOLD = Duration.minutes(1)


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.Function],
        consumers: list[Consumer],
        dead_letter_queues: dict[str, sqs.Queue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = self._topic()
        action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for name, function in functions.items():
            self._add(
                action,
                naming.construct_id(name, "Errors"),
                function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=0,
                description=f"The {name} function failed (unhandled errors or timeouts)",
            )
        for consumer in consumers:
            name = consumer.row.function
            # A consumer whose one invocation may run for its whole timeout (a report job) is only
            # late once records wait longer than that.
            timeout = consumer.function.timeout or ITERATOR_AGE_THRESHOLD
            threshold = max(ITERATOR_AGE_THRESHOLD.to_milliseconds(), timeout.to_milliseconds())
            self._add(
                action,
                naming.construct_id(name, "IteratorAge"),
                consumer.function.metric("IteratorAge", period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=threshold,
                description=f"{name} is falling behind the table stream",
            )
        parked = dead_letter_queues | {f"{c.row.function} stream": c.failures for c in consumers}
        for holds, queue in parked.items():
            self._add(
                action,
                naming.construct_id(holds, "Parked"),
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=0,
                description=f"Failures from {holds} are parked in a queue for inspection",
            )

    def _topic(self) -> sns.Topic:
        # CloudWatch publishes to an encrypted topic only with a customer managed key whose policy
        # lets it use the key; the AWS managed alias/aws/sns key cannot be shared that way.
        key = kms.Key(self, "TopicKey", enable_key_rotation=True, description="Encrypts the alarm topic")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" means this key
            )
        )
        return sns.Topic(self, "Topic", display_name="Contact center alarms", master_key=key, enforce_ssl=True)

    def _add(
        self,
        action: actions.SnsAction,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)  # so whoever was paged also learns it recovered
        self.alarms.append(alarm)
