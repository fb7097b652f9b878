"""The events the local stack delivers have the shape of the events AWS delivers.

Each event is captured by a recording handler and compared with the AWS sample in tests/events/: the
same keys at every level and the same JSON types (values differ), then validated with the Powertools
parser model for its source. Every allowed difference is listed with its reason.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
    DynamoDBStreamModel,
    EventBridgeModel,
)
from websockets.asyncio.client import connect

from infra.wiring import Schedule
from local.runtime import LambdaRuntime
from local.scheduler import Scheduler
from tests.local.support import Recorder, StreamUnderTest, consumer, recording_wiring, run, shape_differences
from tests.support.events import load

# Maps whose keys are data, not structure.
HEADERS = frozenset({"headers", "multiValueHeaders"})
# API Gateway adds requestContext.authorizer when the connection went through a Lambda authorizer (the
# samples were captured without one), passes the query string when there is one (the token travels
# there), and reports the User-Agent in identity when the client sent one.
WEBSOCKET_EXTRAS = frozenset(
    {
        "requestContext.authorizer",
        "requestContext.identity.userAgent",
        "queryStringParameters",
        "multiValueQueryStringParameters",
    }
)


def test_an_http_api_event(start_gateway) -> None:
    stack = start_gateway()
    response = httpx.post(
        f"{stack.api_url}/agents/agent-7/status?parameter1=value1&parameter1=value2&parameter2=value",
        headers=[
            ("authorization", f"Bearer {stack.token()}"),
            ("content-type", "application/json"),
            ("cookie", "cookie1=a; cookie2=b"),
            ("header2", "value1"),
            ("header2", "value2"),
        ],
        content=json.dumps({"message": "hello world", "username": "tom"}),
    )
    assert response.status_code == 200
    event = stack.recorder.events["api"][0]

    differences = shape_differences(
        event,
        load("http-api-v2"),
        free=HEADERS | {"queryStringParameters", "pathParameters", "requestContext.authorizer.jwt.claims"},
        # The stage has no stage variables, so API Gateway sends none.
        optional=frozenset({"stageVariables"}),
        # No route requires authorization scopes; API Gateway then sends null.
        nullable=frozenset({"requestContext.authorizer.jwt.scopes"}),
    )
    assert differences == []
    APIGatewayProxyEventV2Model.model_validate(event)


def test_websocket_authorizer_connect_message_and_disconnect_events(start_gateway) -> None:
    stack = start_gateway()

    async def session() -> None:
        async with connect(stack.ws_url_with_token(), ping_interval=None) as ws:
            await ws.send(json.dumps({"action": "subscribe", "message": "Hello from client"}))
            await asyncio.to_thread(stack.recorder.wait_for, "socket", 2)

    run(session())
    authorizer = stack.recorder.events["authorizer"][0]
    connected, message, disconnected = stack.recorder.wait_for("socket", 3)

    assert (
        shape_differences(
            authorizer,
            load("websocket-authorizer-request"),
            free=HEADERS | {"queryStringParameters", "multiValueQueryStringParameters", "stageVariables"},
            extra=frozenset({"requestContext.identity.userAgent"}),
        )
        == []
    )
    for event, sample, model in (
        (connected, "websocket-connect", APIGatewayWebSocketConnectEventModel),
        (message, "websocket-message", APIGatewayWebSocketMessageEventModel),
        (disconnected, "websocket-disconnect", APIGatewayWebSocketDisconnectEventModel),
    ):
        assert shape_differences(event, load(sample), free=HEADERS, extra=WEBSOCKET_EXTRAS) == [], sample
        model.model_validate(event)
    assert connected["requestContext"]["authorizer"]["principalId"] == "agent-alice"
    assert message["requestContext"]["authorizer"] == connected["requestContext"]["authorizer"]
    assert disconnected["requestContext"]["connectionId"] == connected["requestContext"]["connectionId"]


def test_a_dynamodb_stream_event(stream: StreamUnderTest) -> None:
    poller = stream.start(consumer(batch_size=10), starting_position="LATEST")
    stream.put_together(("agent-1", "AgentChange"))
    stream.put("agent-1", "AgentChange", note="changed")
    assert poller.wait_idle(10)

    records = [record for event in stream.recorder.events["consumer"] for record in event["Records"]]
    inserted, modified = records
    sample_insert, sample_modify = load("dynamodb-stream")["Records"]
    images = frozenset({"dynamodb.Keys", "dynamodb.NewImage", "dynamodb.OldImage"})
    assert shape_differences(inserted, sample_insert, free=images) == []
    # The sample's MODIFY record leaves out ApproximateCreationDateTime, which its INSERT record and
    # every record DynamoDB Streams delivers carry.
    assert (
        shape_differences(
            modified, sample_modify, free=images, extra=frozenset({"dynamodb.ApproximateCreationDateTime"})
        )
        == []
    )
    for event in stream.recorder.events["consumer"]:
        DynamoDBStreamModel.model_validate(event)


def test_a_scheduled_event(recorder: Recorder) -> None:
    wiring = recording_wiring(schedules=(Schedule("compile-daily-attendance", "job", "rate(1 hour)"),))
    runtime = LambdaRuntime(wiring, resolve=recorder.resolve)
    try:
        firing = Scheduler(wiring.schedules, invoker=runtime).fire("compile-daily-attendance")
    finally:
        runtime.close()
    assert firing.ok
    event: dict[str, Any] = recorder.events["job"][0]
    assert shape_differences(event, load("eventbridge-scheduler")) == []
    assert event["source"] == "aws.scheduler" and event["detail-type"] == "Scheduled Event"
    assert event["detail"] == "{}"  # a string, as the schedule's input template writes it
    EventBridgeModel.model_validate(event)
