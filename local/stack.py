"""The whole local stack, assembled from the wiring table: what `python -m local` starts."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3

from contactcenter.store.identity_local import local_directory
from infra import naming
from infra.wiring import WIRING, Wiring
from local.apigw import REGION, new_api_id
from local.console import ConsoleSite
from local.control import ISSUER_PATH, LocalControl
from local.cors import CorsPolicy
from local.gateway import Gateway
from local.http_api import HttpApi
from local.issuer import LocalIssuer, LocalUser
from local.jwt_authorizer import JwtAuthorizer
from local.moto_server import MotoServer
from local.oidc import OpenIdProvider
from local.queues import QueuePoller
from local.resources import create_bucket, create_queue, create_table, create_timer_queue
from local.runtime import LambdaRuntime
from local.scheduler import Scheduler
from local.streams import PollerSettings, StreamPoller
from local.websocket import WebSocketApi, WebSocketLimits

logger = logging.getLogger("local.stack")


DEFAULT_ALLOWED_ORIGINS = (
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:4173",
    "http://127.0.0.1:4173",
)


@dataclass(frozen=True)
class StackSettings:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    moto_port: int = 0
    stage: str = naming.WEBSOCKET_STAGE  # the WebSocket API's stage
    table_name: str = "contactcenter-local"
    report_bucket: str = "contactcenter-reports-local"
    failure_queue: str = "contactcenter-stream-failures-local"
    timer_queue: str = "contactcenter-timers-local"
    event_bus_name: str = naming.EVENT_BUS_NAME
    token_ttl_seconds: int = 12 * 3600
    websocket_limits: WebSocketLimits = field(default_factory=WebSocketLimits)
    # A function's call to the @connections API from inside the region: a keep-alive HTTPS round trip
    # (assumed 20 ms; docs/local-stack.md). 0 answers at once.
    management_round_trip_seconds: float = 0.020
    poller: PollerSettings = field(default_factory=PollerSettings)
    # Browser origins the HTTP API and the issuer's endpoints answer CORS for (a deploy-time setting on
    # AWS): the web console's dev and preview servers by default.
    allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS


class LocalStack:
    def __init__(
        self,
        settings: StackSettings | None = None,
        *,
        wiring: Wiring = WIRING,
        users: Iterable[LocalUser] = (),
        seed: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or StackSettings()
        self.wiring = wiring
        self._users = tuple(users)
        self._seed = seed
        self.api_id = new_api_id()
        self.moto = MotoServer(host=self.settings.host, port=self.settings.moto_port)
        self.gateway: Gateway | None = None
        self.issuer: LocalIssuer | None = None
        self.provider: OpenIdProvider | None = None
        self.runtime: LambdaRuntime | None = None
        self.poller: StreamPoller | None = None
        self.scheduler: Scheduler | None = None
        self.timers: QueuePoller | None = None
        self.stream_arn = ""
        self.failure_queue_url = ""
        self.timer_queue_url = ""

    def start(self) -> None:
        settings = self.settings
        self.moto.start()
        self.gateway = gateway = Gateway(
            host=settings.host,
            port=settings.port,
            stage=settings.stage,
            management_round_trip_seconds=settings.management_round_trip_seconds,
        )
        self.issuer = issuer = LocalIssuer(
            gateway.base_url + ISSUER_PATH, users=self._users, token_ttl_seconds=settings.token_ttl_seconds
        )
        self._configure_environment()
        self._create_resources()
        if self._seed is not None:
            self._seed(settings.table_name)
        self.runtime = runtime = LambdaRuntime(self.wiring)
        trigger = self.wiring.token_trigger
        self.provider = provider = OpenIdProvider(
            issuer, token_trigger=(lambda event: runtime.invoke(trigger, event)) if trigger else None
        )
        # People and integrations the admin API creates can sign in: the directory tells the issuer.
        local_directory().subscribe(provider.learn)
        cors = CorsPolicy.of(settings.allowed_origins, self.wiring.cors)
        self.poller = StreamPoller.for_consumers(
            self.wiring.stream_consumers,
            invoker=runtime,
            stream_arn=self.stream_arn,
            on_failure_queue_url=self.failure_queue_url,
            endpoint_url=self.moto.endpoint_url,
            settings=settings.poller,
        )
        self.scheduler = Scheduler(self.wiring.schedules, invoker=runtime)
        if self.wiring.timers is not None:
            self.timers = QueuePoller(
                self.wiring.timers, invoker=runtime, queue_url=self.timer_queue_url, endpoint_url=self.moto.endpoint_url
            )
        authorizer = JwtAuthorizer(issuer=issuer.issuer, audiences=(issuer.audience,), jwks=issuer.jwks)
        gateway.start(
            http_api=HttpApi(
                self.wiring.http_routes,
                runtime=runtime,
                authorizer=authorizer,
                api_id=self.api_id,
                cors=cors,
                lambda_authorizer=self.wiring.http_authorizer,
            ),
            websocket_api=WebSocketApi(
                self.wiring.socket_routes,
                runtime=runtime,
                authorizer_function=self.wiring.socket_authorizer,
                api_id=self.api_id,
                stage=settings.stage,
                limits=settings.websocket_limits,
            ),
            local_routes=[
                *LocalControl(
                    issuer=issuer,
                    poller=self.poller,
                    scheduler=self.scheduler,
                    endpoints=self.endpoints,
                    provider=provider,
                    cors=cors,
                ).routes(),
                *ConsoleSite(self.endpoints).routes(),
            ],
        )
        self.poller.start()
        self.scheduler.start()
        if self.timers is not None:
            self.timers.start()

    def stop(self) -> None:
        """Stops everything started, newest first; safe to call after a failed start."""
        for step in (
            self.timers.stop if self.timers else None,
            self.scheduler.stop if self.scheduler else None,
            self.poller.stop if self.poller else None,
            self.gateway.stop if self.gateway else None,
            self.runtime.close if self.runtime else None,
            self.moto.stop,
        ):
            if step is None:
                continue
            try:
                step()
            except Exception:
                logger.exception("stopping the local stack: %s failed", step)

    def endpoints(self) -> dict[str, Any]:
        assert self.gateway is not None and self.issuer is not None
        return {
            "apiUrl": self.gateway.api_url,
            "wsUrl": self.gateway.ws_url,
            "managementUrl": self.gateway.management_url,
            "issuer": self.issuer.issuer,
            "jwksUrl": self.issuer.jwks_url,
            "audience": self.issuer.audience,
            # OpenID Connect for a browser app: discovery at {issuer}/.well-known/openid-configuration.
            "clientId": self.issuer.audience,
            "authorizationEndpoint": f"{self.issuer.issuer}/oauth2/authorize",
            "tokenEndpoint": f"{self.issuer.issuer}/oauth2/token",
            "logoutEndpoint": f"{self.issuer.issuer}/logout",
            "allowedOrigins": list(self.settings.allowed_origins),
            "motoUrl": self.moto.endpoint_url,
            "region": REGION,
            "tableName": self.settings.table_name,
            "reportBucket": self.settings.report_bucket,
            "streamArn": self.stream_arn,
            "failureQueueUrl": self.failure_queue_url,
            "timerQueueUrl": self.timer_queue_url,
            "schedules": [schedule.name for schedule in self.wiring.schedules],
            "pid": os.getpid(),
        }

    def _configure_environment(self) -> None:
        """The variables the functions read, set for the whole process: Lambda's runtime sets them
        per function, but here every function shares one process and one environment."""
        assert self.gateway is not None and self.issuer is not None
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)  # a developer's own AWS setup must not leak in
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.moto.endpoint_url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                "TABLE_NAME": self.settings.table_name,
                "REPORT_BUCKET": self.settings.report_bucket,
                "WEBSOCKET_ENDPOINT": self.gateway.management_url,
                "JWT_ISSUER": self.issuer.issuer,
                "JWT_AUDIENCE": self.issuer.audience,
                "JWKS_URL": self.issuer.jwks_url,
                "EVENT_BUS_NAME": self.settings.event_bus_name,
                "REPORT_LINK_SECONDS": os.environ.get("REPORT_LINK_SECONDS", "900"),
                # infra gives each function only its own routes' permissions; route keys are unique,
                # so the union serves every function alike.
                "ROUTE_PERMISSIONS": json.dumps(
                    {route.route_key: route.permission for route in self.wiring.http_routes},
                    separators=(",", ":"),
                    sort_keys=True,
                ),
                # Per function in AWS (the function's name); one process here.
                "POWERTOOLS_SERVICE_NAME": naming.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": naming.METRICS_NAMESPACE,
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", naming.LOG_LEVEL),
                "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as infra/constructs/functions.py sets it
            }
        )

    def _create_resources(self) -> None:
        session = boto3.session.Session()
        endpoint = self.moto.endpoint_url
        dynamodb = session.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        s3 = session.client("s3", endpoint_url=endpoint, region_name=REGION)
        sqs = session.client("sqs", endpoint_url=endpoint, region_name=REGION)
        try:
            self.stream_arn = create_table(dynamodb, self.settings.table_name, self.wiring.table)
            create_bucket(s3, self.settings.report_bucket)
            self.failure_queue_url = create_queue(sqs, self.settings.failure_queue)
            if self.wiring.timers is not None:
                self.timer_queue_url = create_timer_queue(sqs, self.settings.timer_queue, self.wiring.timers)
                os.environ["TIMER_QUEUE_URL"] = self.timer_queue_url  # for every function, as _configure_environment
        finally:
            for client in (dynamodb, s3, sqs):
                client.close()
