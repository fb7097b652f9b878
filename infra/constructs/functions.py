"""The Lambda functions of the wiring table, each with its own role, log group and least-privilege grants."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import naming
from infra.constructs.data import Data
from infra.constructs.identity import Identity
from infra.constructs.nag import acknowledge, attribute, wildcard_resource
from infra.wiring import Function, Wiring

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Byte-compiled files differ per machine and would change the asset hash on every build.
ASSET_EXCLUDE = ["__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache"]

_BUCKET_ACTIONS = {
    "read": ("s3:GetObject",),
    "read_write": ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),
}


class Functions(Construct):
    """`by_name[row.name]` is the function for a wiring row."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        wiring: Wiring,
        data: Data,
        identity: Identity,
        dependencies_layer_dir: Path,
        report_link_seconds: int = 900,
    ) -> None:
        super().__init__(scope, construct_id)
        self._report_link_seconds = report_link_seconds
        self._data = data
        self._identity = identity
        self._wiring = wiring
        self.layers = [
            lambda_.LayerVersion(
                self,
                "CommonLayer",
                code=lambda_.Code.from_asset(str(naming.COMMON_LAYER_DIR), exclude=ASSET_EXCLUDE),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description="contactcenter: domain rules, store and edge shared by every function",
            ),
            lambda_.LayerVersion(
                self,
                "DependenciesLayer",
                code=lambda_.Code.from_asset(str(dependencies_layer_dir), exclude=ASSET_EXCLUDE),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description="Pinned runtime dependencies (Powertools, pydantic, PyJWT) for arm64",
            ),
        ]
        self.by_name: dict[str, lambda_.Function] = {row.name: self._function(row) for row in wiring.functions}

    def _function(self, row: Function) -> lambda_.Function:
        name = naming.construct_id(row.name)
        # An explicit role instead of the default one: the default attaches the AWS managed
        # AWSLambdaBasicExecutionRole (logs on every log group); this one may write its own log group only.
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{row.name}: {row.description}",
        )
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION)
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            f"{name}Function",
            description=row.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(naming.FUNCTIONS_DIR / row.area), exclude=ASSET_EXCLUDE),
            handler=row.asset_handler,
            layers=self.layers,
            memory_size=row.memory_mb,
            timeout=Duration.seconds(row.timeout_seconds),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment(row),
        )
        acknowledge(
            role,
            wildcard_resource("*"),
            "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.",
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to Python 3.13 on purpose: the dependencies layer's compiled wheels (pydantic-core, "
            "cryptography) are built for cp313 by `make layer`; 3.14 is an upgrade of both together.",
        )
        self._grant(row, function, role)
        return function

    def _environment(self, row: Function) -> dict[str, str]:
        environment = {
            # Every function reads its settings through one parser that requires TABLE_NAME; a name
            # grants nothing, the role decides what the function may do with it.
            "TABLE_NAME": self._data.table.table_name,
            "EVENT_BUS_NAME": naming.EVENT_BUS_NAME,
            "POWERTOOLS_SERVICE_NAME": row.name,
            "POWERTOOLS_METRICS_NAMESPACE": naming.METRICS_NAMESPACE,
            "LOG_LEVEL": naming.LOG_LEVEL,
            # No pydantic plugin is used: skip scanning every installed package's entry points at the
            # first model (a cold start's cost).
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }
        if row.bucket_access != "none":
            environment["REPORT_BUCKET"] = self._data.report_bucket.bucket_name
            # How long download links work (contactcenter/environment.py checks the range on start).
            environment["REPORT_LINK_SECONDS"] = str(self._report_link_seconds)
        if row.name in (self._wiring.socket_authorizer, self._wiring.http_authorizer):
            environment |= {
                "JWT_ISSUER": self._identity.issuer,
                "JWT_AUDIENCE": self._identity.people_client.user_pool_client_id,
                "JWKS_URL": self._identity.jwks_url,
            }
        if row.manages_identities:
            # contactcenter.store.identities picks the Cognito directory on this pool (else the local one).
            environment |= {"IDENTITY_PROVIDER": "cognito", "USER_POOL_ID": self._identity.user_pool.user_pool_id}
        return environment

    def _grant(self, row: Function, function: lambda_.Function, role: iam.Role) -> None:
        table = self._data.table
        if row.table_actions:
            # Exactly the actions the code calls (infra/wiring.py), not grant_read_write_data's (Scan,
            # DescribeTable and the stream's reads, which no function calls on the table).
            table.grant(function, *(f"dynamodb:{action}" for action in row.table_actions))
            acknowledge(
                role,
                wildcard_resource(f"{attribute(table)}/index/*"),
                "Queries on this table's own global secondary indexes, whose ARNs end in index/<name>.",
            )
        if row.bucket_access != "none":
            self._grant_bucket(row.bucket_access, role)
        if row.publishes_events:
            bus = events.EventBus.from_event_bus_name(
                self, f"{naming.construct_id(row.name)}Bus", naming.EVENT_BUS_NAME
            )
            bus.grant_put_events_to(function)
        if row.manages_identities:
            self._identity.grant_administration(function)

    def _grant_bucket(self, access: str, role: iam.Role) -> None:
        # Explicit actions: Bucket.grant_read_write would add wildcard actions (s3:GetObject*, s3:List*).
        bucket: s3.Bucket = self._data.report_bucket
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(_BUCKET_ACTIONS[access]), resources=[bucket.arn_for_objects("*")])
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        acknowledge(
            role,
            wildcard_resource(f"{attribute(bucket)}/*"),
            "Report files are objects whose keys are chosen at run time; the grant covers this bucket only.",
        )
