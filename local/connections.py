"""The API Gateway Management API (`@connections`), as boto3's apigatewaymanagementapi client calls it.

With endpoint_url "http://host:port/{stage}" the client sends POST, GET and DELETE to
/{stage}/@connections/{connectionId} (rest-json: errors named by the x-amzn-ErrorType header, the
GetConnection answer in camel case). Request signatures are not checked: any credentials work.
moto's own implementation accepts any connection id and never answers 410, hence this one.

Each call takes `round_trip_seconds` (half before acting, half after), as a call from a function to
execute-api inside a region does: without it a function that posts one connection after another looks as
fast here as one that posts them in parallel, and would be slow only in AWS (docs/local-stack.md).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from local.apigw import iso_millis
from local.websocket import Gone, PayloadTooLarge, WebSocketApi


def _error(status: int, error_type: str, message: str) -> Response:
    return Response(
        json.dumps({"message": message}, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def _iso(epoch_ms: int) -> str:
    return iso_millis(datetime.fromtimestamp(epoch_ms / 1000, UTC))


class ManagementApi:
    def __init__(self, websocket_api: WebSocketApi, *, round_trip_seconds: float = 0.0) -> None:
        self._api = websocket_api
        self._half_trip = round_trip_seconds / 2

    async def handle(self, request: Request) -> Response:
        if self._half_trip:
            await asyncio.sleep(self._half_trip)  # the request's way in
        response = await self._answer(request)
        if self._half_trip:
            await asyncio.sleep(self._half_trip)  # the answer's way back
        return response

    async def _answer(self, request: Request) -> Response:
        stage = request.path_params.get("stage")
        if stage is not None and stage != self._api.stage:
            return _error(403, "ForbiddenException", "Forbidden")
        connection_id = request.path_params["connection_id"]
        try:
            if request.method == "POST":
                await self._api.post(connection_id, await request.body())
                return Response(status_code=200)
            if request.method == "GET":
                return self._describe(connection_id)
            await self._api.delete(connection_id)
            return Response(status_code=204)
        except Gone:
            return _error(410, "GoneException", f"Connection {connection_id} is gone")
        except PayloadTooLarge:
            return _error(413, "PayloadTooLargeException", "Message too long")

    def _describe(self, connection_id: str) -> Response:
        connection = self._api.connection(connection_id)
        body = {
            "connectedAt": _iso(connection.connected_at_ms),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "lastActiveAt": _iso(connection.last_active_ms),
        }
        return Response(json.dumps(body), media_type="application/json")
