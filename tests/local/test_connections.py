"""The @connections management API, called with boto3 as the functions call it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.local.support import LocalGateway, run


@pytest.fixture
def management() -> Iterator[Any]:
    clients: list[Any] = []

    def client(endpoint_url: str) -> Any:
        made = boto3.session.Session(
            aws_access_key_id="any", aws_secret_access_key="any", region_name="us-east-1"
        ).client("apigatewaymanagementapi", endpoint_url=endpoint_url)
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()


def _error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _connection_id(stack: LocalGateway) -> str:
    connect_event = stack.recorder.wait_for("socket")[0]
    return str(connect_event["requestContext"]["connectionId"])


def test_post_get_and_delete_a_connection(start_gateway, management) -> None:
    stack = start_gateway()
    client = management(stack.management_url)

    async def session() -> tuple[str, dict[str, Any], tuple[int, str]]:
        async with connect(stack.ws_url_with_token(), ping_interval=None, user_agent_header="probe/1.0") as ws:
            connection_id = _connection_id(stack)
            await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b'{"hello":1}')
            received = str(await ws.recv())
            await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"\xff\x00")
            binary = await ws.recv()
            assert binary == b"\xff\x00"  # not UTF-8: sent as a binary frame
            described = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
            try:
                await ws.recv()
            except ConnectionClosed as closed:
                assert closed.rcvd is not None
                return received, described, (closed.rcvd.code, closed.rcvd.reason)
            raise AssertionError("the connection stayed open")

    received, described, closed = run(session())
    assert json.loads(received) == {"hello": 1}
    assert isinstance(described["ConnectedAt"], datetime) and isinstance(described["LastActiveAt"], datetime)
    assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/1.0"}
    assert closed[0] == 1000
    disconnect = stack.recorder.wait_for("socket", 2)[-1]["requestContext"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (1000, "Connection Closed Normally")

    connection_id = disconnect["connectionId"]
    for call in (
        lambda: client.post_to_connection(ConnectionId=connection_id, Data=b"x"),
        lambda: client.get_connection(ConnectionId=connection_id),
        lambda: client.delete_connection(ConnectionId=connection_id),
    ):
        with pytest.raises(ClientError) as gone:
            call()
        assert _error_code(gone) == ("GoneException", 410)


def test_an_unknown_connection_is_gone(start_gateway, management) -> None:
    stack = start_gateway()
    with pytest.raises(ClientError) as gone:
        management(stack.management_url).post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert _error_code(gone) == ("GoneException", 410)


def test_more_than_128_kb_is_refused_with_413(start_gateway, management) -> None:
    stack = start_gateway()
    client = management(stack.management_url)

    async def session() -> None:
        async with connect(stack.ws_url_with_token(), ping_interval=None):
            connection_id = _connection_id(stack)
            with pytest.raises(ClientError) as too_large:
                await asyncio.to_thread(
                    client.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1)
                )
            assert _error_code(too_large) == ("PayloadTooLargeException", 413)
            await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * 1024))

    run(session())


def test_the_endpoint_without_a_stage_works_and_another_stage_is_forbidden(start_gateway, management) -> None:
    stack = start_gateway()

    async def session() -> None:
        async with connect(stack.ws_url_with_token(), ping_interval=None) as ws:
            connection_id = _connection_id(stack)
            await asyncio.to_thread(
                management(stack.api_url).post_to_connection, ConnectionId=connection_id, Data=b"plain"
            )
            assert await ws.recv() == "plain"
            with pytest.raises(ClientError) as forbidden:
                await asyncio.to_thread(management(f"{stack.api_url}/prod").get_connection, ConnectionId=connection_id)
            assert _error_code(forbidden) == ("ForbiddenException", 403)

    run(session())


def test_a_function_cannot_post_to_a_connection_still_connecting(start_gateway, management) -> None:
    stack = start_gateway()
    client = management(stack.management_url)
    outcomes: list[str] = []

    def on_socket(event: dict[str, Any], _: Any) -> dict[str, Any]:
        context = event["requestContext"]
        if context["routeKey"] == "$connect":
            try:
                client.post_to_connection(ConnectionId=context["connectionId"], Data=b"too early")
                outcomes.append("posted")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
        return {"statusCode": 200}

    stack.recorder.behaviours["socket"] = on_socket

    async def session() -> None:
        async with connect(stack.ws_url_with_token(), ping_interval=None):
            pass

    run(session())
    assert outcomes == ["GoneException"]


def test_each_call_takes_the_configured_round_trip(start_gateway, management) -> None:
    # As from a function inside the region: each call waits its round trip, a gone connection's too.
    stack = start_gateway(management_round_trip_seconds=0.25)
    client = management(stack.management_url)
    for call in (
        lambda: client.post_to_connection(ConnectionId="bm8tc3VjaC1jb25u", Data=b"x"),
        lambda: client.get_connection(ConnectionId="bm8tc3VjaC1jb25u"),
    ):
        started = time.monotonic()
        with pytest.raises(ClientError) as gone:
            call()
        assert time.monotonic() - started >= 0.25
        assert _error_code(gone) == ("GoneException", 410)
