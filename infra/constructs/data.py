"""Where state lives: the single DynamoDB table and the report bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.wiring import TableDefinition


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, definition: TableDefinition) -> None:
        super().__init__(scope, construct_id)
        self.table = self._table(definition)
        self.report_bucket = self._report_bucket()

    def _table(self, definition: TableDefinition) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string_key(definition.partition_key),
            sort_key=_string_key(definition.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # The fan-out compares old and new images to push only real changes.
            stream=dynamodb.StreamViewType[definition.stream_view],
            time_to_live_attribute=definition.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # History is append-only and is the attendance record: never lose it to a stack change.
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in definition.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string_key(index.partition_key),
                sort_key=_string_key(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _report_bucket(self) -> s3.Bucket:
        access_logs = s3.Bucket(
            self,
            "AccessLogBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
        )
        acknowledge(
            access_logs,
            "AwsSolutions-S1",
            "This bucket is the server access log destination of the report bucket; logging it to "
            "itself would loop and a third bucket would only move the finding.",
        )
        return s3.Bucket(
            self,
            "ReportBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="reports/",
            removal_policy=RemovalPolicy.RETAIN,
        )


def _string_key(name: str) -> dynamodb.Attribute:
    # Every key in contactcenter/store/ is a string ("ORG#...#AGENT#...").
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)
