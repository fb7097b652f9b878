"""Fixtures for the local stack's own tests: its parts built in this process around recording handlers,
served on 127.0.0.1 and driven with real clients (httpx, websockets, boto3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra.wiring import WIRING, StreamConsumer, Wiring
from local.control import ISSUER_PATH, Drainable, LocalControl
from local.gateway import Gateway
from local.http_api import HttpApi
from local.issuer import LocalIssuer
from local.jwt_authorizer import JwtAuthorizer
from local.moto_server import MotoServer
from local.resources import create_queue, create_table
from local.runtime import LambdaRuntime
from local.scheduler import Scheduler
from local.streams import PollerSettings, StreamPoller
from local.websocket import WebSocketApi, WebSocketLimits
from tests.local.support import (
    ALICE,
    LocalGateway,
    Recorder,
    StreamUnderTest,
    allow_with_issuer,
    recording_wiring,
    unique,
)

REGION = "us-east-1"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def start_gateway(recorder: Recorder) -> Iterator[Callable[..., LocalGateway]]:
    """Starts a gateway over a recording wiring; keyword arguments choose limits, routes and the like."""
    started: list[tuple[Gateway, LambdaRuntime, Scheduler | None]] = []

    def start(
        *,
        wiring: Wiring | None = None,
        limits: WebSocketLimits | None = None,
        route_responses: frozenset[str] | None = None,
        with_scheduler: bool = False,
        poller: Drainable | None = None,
        management_round_trip_seconds: float = 0.0,
    ) -> LocalGateway:
        wiring = wiring or recording_wiring()
        gateway = Gateway(management_round_trip_seconds=management_round_trip_seconds)
        issuer = LocalIssuer(gateway.base_url + ISSUER_PATH, users=[ALICE])
        recorder.behaviours.setdefault("authorizer", allow_with_issuer(issuer))
        runtime = LambdaRuntime(wiring, resolve=recorder.resolve)
        scheduler = Scheduler(wiring.schedules, invoker=runtime) if with_scheduler else None
        api_id = "testapi123"
        websocket_api = WebSocketApi(
            wiring.socket_routes,
            runtime=runtime,
            authorizer_function=wiring.socket_authorizer,
            api_id=api_id,
            stage=gateway.stage,
            limits=limits,
            route_responses=route_responses,
        )
        authorizer = JwtAuthorizer(issuer=issuer.issuer, audiences=(issuer.audience,), jwks=issuer.jwks)
        started.append((gateway, runtime, scheduler))
        gateway.start(
            http_api=HttpApi(wiring.http_routes, runtime=runtime, authorizer=authorizer, api_id=api_id),
            websocket_api=websocket_api,
            local_routes=LocalControl(issuer=issuer, scheduler=scheduler, poller=poller).routes(),
        )
        return LocalGateway(gateway, runtime, issuer, recorder, websocket_api, scheduler)

    yield start
    for gateway, runtime, scheduler in started:
        if scheduler is not None:
            scheduler.stop()
        gateway.stop()
        runtime.close()


@pytest.fixture
def stream(
    aws: Callable[[str], Any], moto_endpoint: str, boto_session: boto3.session.Session, recorder: Recorder
) -> Iterator[StreamUnderTest]:
    dynamodb, sqs = aws("dynamodb"), aws("sqs")
    table = unique("stream")
    stream_arn = create_table(dynamodb, table, WIRING.table)
    queue_url = create_queue(sqs, unique("failures"))
    runtime = LambdaRuntime(recording_wiring(), resolve=recorder.resolve)
    pollers: list[StreamPoller] = []

    def start(consumer: StreamConsumer, *, starting_position: str = "TRIM_HORIZON") -> StreamPoller:
        poller = StreamPoller.for_consumers(
            [consumer],
            invoker=runtime,
            stream_arn=stream_arn,
            on_failure_queue_url=queue_url,
            endpoint_url=moto_endpoint,
            session=boto_session,
            settings=PollerSettings(
                poll_interval_seconds=0.05, retry_delay_seconds=0, starting_position=starting_position
            ),
        )
        pollers.append(poller)
        poller.start()
        return poller

    yield StreamUnderTest(table, stream_arn, queue_url, dynamodb, sqs, recorder, start)
    for poller in pollers:
        poller.stop()
    runtime.close()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = MotoServer()
    server.start()
    try:
        yield server.endpoint_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    # One session per module: a new session parses the service models again (0.3 s a client).
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


@pytest.fixture
def aws(moto_endpoint: str, boto_session: boto3.session.Session) -> Iterator[Callable[[str], Any]]:
    """boto3 clients on the module's moto server, closed after the test."""
    clients: list[Any] = []

    def client(service: str) -> Any:
        made = boto_session.client(service, endpoint_url=moto_endpoint)
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()
