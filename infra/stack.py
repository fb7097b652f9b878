"""The stack composes the constructs; everything per route, function, consumer or schedule comes
from the wiring table (infra/wiring.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import Alarms
from infra.constructs.catalog import Catalog
from infra.constructs.console import Console
from infra.constructs.data import Data
from infra.constructs.functions import Functions
from infra.constructs.http_api import HttpApi
from infra.constructs.identity import Identity
from infra.constructs.schedules import Schedules
from infra.constructs.socket_api import SocketApi
from infra.constructs.streams import Streams
from infra.constructs.timers import Timers
from infra.settings import DeploySettings
from infra.wiring import WIRING, Wiring


class ContactCenterStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dependencies_layer_dir: Path,
        settings: DeploySettings | None = None,
        wiring: Wiring = WIRING,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.wiring = wiring
        self.settings = settings = settings or DeploySettings()
        self.data = data = Data(self, "Data", definition=wiring.table)
        self.catalog = catalog = Catalog(self, "Catalog", bucket=data.report_bucket)
        self.identity = identity = Identity(self, "Identity", settings=settings)
        self.functions = functions = Functions(
            self,
            "Functions",
            wiring=wiring,
            data=data,
            identity=identity,
            dependencies_layer_dir=dependencies_layer_dir,
            report_link_seconds=settings.report_link_seconds,
        ).by_name
        if wiring.token_trigger:
            identity.customize_tokens_with(functions[wiring.token_trigger])
        # API Gateway's hosts of this region: see Console for why not this API's own.
        gateway_hosts = f"execute-api.{self.region}.{self.url_suffix}"
        self.console = console = Console(
            self,
            "Console",
            api_origin=f"https://*.{gateway_hosts}",
            socket_origin=f"wss://*.{gateway_hosts}",
            sign_in_origins=[f"https://cognito-idp.{self.region}.{self.url_suffix}", identity.domain.base_url()],
        )
        self.http_api = http_api = HttpApi(
            self,
            "HttpApi",
            routes=wiring.http_routes,
            functions=functions,
            identity=identity,
            cors=wiring.cors,
            allowed_origins=(*settings.allowed_origins, console.origin),
            lambda_authorizer=functions[wiring.http_authorizer],
        )
        self.socket_api = socket_api = SocketApi(
            self, "SocketApi", wiring=wiring, functions=functions, access_logs=settings.stage_access_logs
        )
        self.streams = streams = Streams(
            self,
            "Streams",
            consumers=wiring.stream_consumers,
            table=data.table,
            functions=functions,
        )
        parked: dict[str, sqs.Queue] = {}
        if wiring.timers is not None:
            self.timers = timers = Timers(
                self,
                "Timers",
                row=wiring.timers,
                functions=functions,
                senders=tuple(row for row in wiring.functions if row.sends_timers),
            )
            parked["timers"] = timers.dead_letters
        self.schedules = schedules = Schedules(self, "Schedules", schedules=wiring.schedules, functions=functions)
        self.alarms = Alarms(
            self,
            "Alarms",
            functions=functions,
            consumers=streams.consumers,
            dead_letter_queues={"schedules": schedules.dead_letters} | parked,
        )

        CfnOutput(self, "ConsoleUrl", value=f"{console.origin}/")
        CfnOutput(self, "ConsoleBucketName", value=console.bucket.bucket_name)
        CfnOutput(self, "ConsoleDistributionId", value=console.distribution.distribution_id)
        # What ops/publish_console.py writes as config.json (web/src/config.ts).
        CfnOutput(
            self,
            "ConsoleConfig",
            value=self.to_json_string(
                {
                    "apiUrl": http_api.url,
                    "wsUrl": socket_api.url,
                    "authority": identity.issuer,
                    "clientId": identity.people_client.user_pool_client_id,
                    "redirectUri": f"{console.origin}/",
                    "postLogoutRedirectUri": f"{console.origin}/",
                    "logoutUrl": f"{identity.domain.base_url()}/logout",
                }
            ),
        )
        CfnOutput(self, "HttpApiUrl", value=http_api.url)
        CfnOutput(self, "WebSocketUrl", value=socket_api.url)
        CfnOutput(self, "UserPoolId", value=identity.user_pool.user_pool_id)
        CfnOutput(self, "PeopleClientId", value=identity.people_client.user_pool_client_id)
        CfnOutput(self, "TokenEndpoint", value=f"{identity.domain.base_url()}/oauth2/token")
        # A browser app's OpenID Connect authority (discovery at <IssuerUrl>/.well-known/openid-configuration)
        # and the managed login domain (sign-in pages, /logout).
        CfnOutput(self, "IssuerUrl", value=identity.issuer)
        CfnOutput(self, "ManagedLoginUrl", value=identity.domain.base_url())
        CfnOutput(self, "ReportBucketName", value=data.report_bucket.bucket_name)
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "ReportDatabaseName", value=catalog.database_name)
