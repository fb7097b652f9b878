"""The WebSocket API: $connect with its Lambda authorizer, route selection on `action`, $disconnect,
API Gateway's limits, and the connection registry that the @connections endpoint acts on.

Choices where API Gateway offers options, with the default taken:
- Every message route has a route response and $connect/$disconnect have none, as
  infra/constructs/socket_api.py sets them up: the `body` a message route's function returns, if any,
  is sent back to the sender. Pass `route_responses` to choose other routes.
- A function that fails on a message route makes API Gateway send the client
  {"message": "Internal server error", "connectionId": ..., "requestId": ...}; a message no route takes
  (no matching action and no $default) gets {"message": "Forbidden", ...}.
- Limits: 128 KB per message (the server's WebSocket protocol also refuses frames over 32 KB, see
  gateway.py), 10 minutes idle (no message either way), 2 hours per connection. Over a size limit the
  connection closes with 1009; at a time limit with 1001 "Going away". $disconnect follows every close.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.websockets import WebSocket

from infra.wiring import SocketRoute
from local.apigw import ACCOUNT_ID, REGION, epoch_millis, new_gateway_id, new_trace_id, request_time
from local.lambda_authorizer import (
    MISCONFIGURED,
    UNAUTHORIZED,
    Authorization,
    Rejected,
    authorizer_event,
    evaluate,
)
from local.runtime import FunctionError, LambdaRuntime

logger = logging.getLogger("local.websocket")

# disconnectReason API Gateway reports for the close codes the local gateway produces or sees.
DISCONNECT_REASONS = {
    1000: "Connection Closed Normally",
    1001: "Going away",
    1005: "Client-side close frame status not set",
    1006: "Connection Closed Abnormally",
    1009: "Message too big",
}
# Headers of the $connect request that API Gateway does not pass on to the $connect route.
_HANDSHAKE_ONLY = frozenset({"connection", "upgrade"})


@dataclass(frozen=True)
class WebSocketLimits:
    max_message_bytes: int = 128 * 1024
    max_frame_bytes: int = 32 * 1024  # enforced by the WebSocket protocol layer (gateway.py)
    idle_timeout_seconds: float = 600.0
    max_connection_seconds: float = 7200.0


class Gone(Exception):
    """No open connection has this id (the management API's 410)."""


class PayloadTooLarge(Exception):
    """More data than one message may carry (the management API's 413)."""


@dataclass
class Connection:
    connection_id: str
    socket: WebSocket
    connected_at_ms: int
    source_ip: str
    user_agent: str
    domain_name: str
    authorization: Authorization | None
    last_active_ms: int
    opened: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    closing: bool = False
    close_code: int | None = None
    close_reason: str = ""
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def touch(self) -> None:
        self.last_active = time.monotonic()
        self.last_active_ms = epoch_millis()


@dataclass(frozen=True)
class _Handshake:
    connection_id: str
    request_id: str
    now_ms: int
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    source_ip: str
    user_agent: str
    domain_name: str
    port: int


def _single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """REST-style maps: the last value of each name, and all values of each name."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


class WebSocketApi:
    def __init__(
        self,
        routes: Sequence[SocketRoute],
        *,
        runtime: LambdaRuntime,
        authorizer_function: str | None,
        api_id: str,
        stage: str,
        limits: WebSocketLimits | None = None,
        route_responses: frozenset[str] | None = None,
        identity_query_parameter: str = "token",
    ) -> None:
        self._functions = {route.route_key: route.function for route in routes}
        self._runtime = runtime
        self._authorizer_function = authorizer_function
        self.api_id = api_id
        self.stage = stage
        self.limits = limits or WebSocketLimits()
        self._route_responses = (
            frozenset(key for key in self._functions if key not in ("$connect", "$disconnect"))
            if route_responses is None
            else route_responses
        )
        self._identity_parameter = identity_query_parameter
        self.connections: dict[str, Connection] = {}  # touched only on the event loop
        self._tasks: set[asyncio.Task[None]] = set()  # strong references to message dispatches
        self._shutting_down = False

    # The endpoint, one call per WebSocket connection.

    async def handle(self, websocket: WebSocket) -> None:
        handshake = self._handshake(websocket)
        try:
            authorization = await self._authorize(handshake)
            await self._connect(handshake, authorization)
        except Rejected as rejection:
            body = json.dumps({"message": rejection.message}, separators=(",", ":"))
            await websocket.send_denial_response(
                Response(body, status_code=rejection.status, media_type="application/json")
            )
            return
        await websocket.accept()
        connection = Connection(
            connection_id=handshake.connection_id,
            socket=websocket,
            connected_at_ms=handshake.now_ms,
            source_ip=handshake.source_ip,
            user_agent=handshake.user_agent,
            domain_name=handshake.domain_name,
            authorization=authorization,
            last_active_ms=handshake.now_ms,
        )
        self.connections[connection.connection_id] = connection
        watchdog = asyncio.create_task(self._watch(connection))
        try:
            code, reason = await self._receive(connection)
        finally:
            watchdog.cancel()
            connection.closing = True
            self.connections.pop(connection.connection_id, None)
        try:
            await self._disconnect(connection, code, reason)
        except asyncio.CancelledError:  # the server stopped waiting: nothing is left to do for this connection
            logger.info("$disconnect of %s cut short by the gateway stopping", connection.connection_id)

    # The management API's operations (served by connections.py).

    def connection(self, connection_id: str) -> Connection:
        connection = self.connections.get(connection_id)
        if connection is None or connection.closing:
            raise Gone(connection_id)
        return connection

    async def post(self, connection_id: str, data: bytes) -> None:
        if len(data) > self.limits.max_message_bytes:
            raise PayloadTooLarge(connection_id)
        connection = self.connection(connection_id)
        try:
            await self._send(connection, data.decode("utf-8"))
        except UnicodeDecodeError:
            await self._send(connection, data)

    async def delete(self, connection_id: str) -> None:
        await self._close(self.connection(connection_id), 1000, DISCONNECT_REASONS[1000])

    async def shut_down(self, code: int = 1001) -> None:
        """Closes every connection without running $disconnect: the stack's data dies with it, and a
        thousand queued $disconnect invocations would only hold up Ctrl-C."""
        self._shutting_down = True
        for connection in list(self.connections.values()):
            await self._close(connection, code, DISCONNECT_REASONS.get(code, ""))

    # Connecting.

    def _handshake(self, websocket: WebSocket) -> _Handshake:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in websocket.scope["headers"]]
        lowered = {name.lower(): value for name, value in headers}
        client = websocket.client
        server = websocket.scope.get("server") or ("127.0.0.1", 80)
        return _Handshake(
            connection_id=new_gateway_id(),
            request_id=new_gateway_id(),
            now_ms=epoch_millis(),
            headers=headers,
            query=parse_qsl(websocket.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            source_ip=client.host if client else "127.0.0.1",
            user_agent=lowered.get("user-agent", ""),
            domain_name=lowered.get("host", "127.0.0.1"),
            port=int(server[1] or 80),
        )

    def _forwarded_headers(self, handshake: _Handshake, *, keep_handshake: bool) -> list[tuple[str, str]]:
        headers = [
            (name, value) for name, value in handshake.headers if keep_handshake or name.lower() not in _HANDSHAKE_ONLY
        ]
        headers += [
            ("X-Amzn-Trace-Id", new_trace_id(handshake.now_ms / 1000)),
            ("X-Forwarded-For", handshake.source_ip),
            ("X-Forwarded-Port", str(handshake.port)),
            ("X-Forwarded-Proto", "http"),
        ]
        return headers

    def _identity(self, source_ip: str, user_agent: str) -> dict[str, str]:
        identity = {"sourceIp": source_ip}
        if user_agent:
            identity["userAgent"] = user_agent
        return identity

    def _connect_context(self, handshake: _Handshake) -> dict[str, Any]:
        return {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "extendedRequestId": handshake.request_id,
            "requestTime": request_time(handshake.now_ms),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": handshake.now_ms,
            "requestTimeEpoch": handshake.now_ms,
            "identity": self._identity(handshake.source_ip, handshake.user_agent),
            "requestId": handshake.request_id,
            "domainName": handshake.domain_name,
            "connectionId": handshake.connection_id,
            "apiId": self.api_id,
        }

    async def _authorize(self, handshake: _Handshake) -> Authorization | None:
        if self._authorizer_function is None:
            return None
        query, multi_query = _single_and_multi(handshake.query)
        if not query.get(self._identity_parameter):
            raise UNAUTHORIZED  # the identity source is missing: the authorizer is not called
        headers, multi_headers = _single_and_multi(self._forwarded_headers(handshake, keep_handshake=True))
        method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.api_id}/{self.stage}/$connect"
        event = authorizer_event(
            method_arn=method_arn,
            headers=headers,
            multi_value_headers=multi_headers,
            query=query,
            multi_value_query=multi_query,
            request_context=self._connect_context(handshake),
        )
        try:
            answer = await self._runtime.invoke_async(self._authorizer_function, event)
        except FunctionError as exc:
            raise UNAUTHORIZED if exc.error_message == "Unauthorized" else MISCONFIGURED from exc
        return evaluate(answer, method_arn)

    async def _connect(self, handshake: _Handshake, authorization: Authorization | None) -> None:
        function = self._functions.get("$connect")
        if function is None:
            return
        headers, multi_headers = _single_and_multi(self._forwarded_headers(handshake, keep_handshake=False))
        context = self._connect_context(handshake)
        if authorization is not None:
            context["authorizer"] = authorization.as_request_context()
        event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
        if handshake.query:
            query, multi_query = _single_and_multi(handshake.query)
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = multi_query
        event["requestContext"] = context
        event["isBase64Encoded"] = False
        try:
            result = await self._runtime.invoke_async(function, event)
        except FunctionError as exc:
            raise MISCONFIGURED from exc
        status = _status_of(result)
        if not 200 <= status <= 299:
            raise Rejected(status, "Forbidden" if status == 403 else "Connection refused")

    # Messages.

    async def _receive(self, connection: Connection) -> tuple[int, str]:
        """Reads until the connection closes; returns the close code and reason."""
        while True:
            message = await connection.socket.receive()
            if message["type"] == "websocket.disconnect":
                return self._close_details(connection, message)
            if connection.closing:
                continue  # already queued when the gateway closed the connection
            text: str | None = message.get("text")
            data: bytes | None = message.get("bytes")
            size = len(text.encode("utf-8")) if text is not None else len(data or b"")
            if size > self.limits.max_message_bytes:
                await self._close(connection, 1009, DISCONNECT_REASONS[1009])
                continue
            connection.touch()
            # Each message is its own integration request; the function's executor keeps them in order.
            task = asyncio.create_task(self._dispatch(connection, text if text is not None else data or b""))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _close_details(connection: Connection, message: Mapping[str, Any]) -> tuple[int, str]:
        if connection.close_code is not None:  # the gateway closed it
            return connection.close_code, connection.close_reason
        code = int(message.get("code") or 1005)
        reason = str(message.get("reason") or "")
        if code == 1009 or not reason:  # 1009 here is a frame over the limit, refused by the protocol layer
            reason = DISCONNECT_REASONS.get(code, reason)
        return code, reason

    def _route_key(self, data: str | bytes) -> str | None:
        if isinstance(data, str):
            try:
                body = json.loads(data)
            except ValueError:
                body = None
            action = body.get("action") if isinstance(body, dict) else None
            if isinstance(action, str) and not action.startswith("$") and action in self._functions:
                return action
        return "$default" if "$default" in self._functions else None

    def _connection_context(
        self, connection: Connection, route_key: str, event_type: str, **specific: object
    ) -> dict[str, Any]:
        """The request context of an event on an open connection ($default, a route, $disconnect), with
        the fields only that kind of event carries (`specific`) right after the route key."""
        request_id = new_gateway_id()
        now_ms = epoch_millis()
        context: dict[str, Any] = {
            "routeKey": route_key,
            **specific,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(now_ms),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": connection.connected_at_ms,
            "requestTimeEpoch": now_ms,
            "identity": self._identity(connection.source_ip, connection.user_agent),
            "requestId": request_id,
            "domainName": connection.domain_name,
            "connectionId": connection.connection_id,
            "apiId": self.api_id,
        }
        if connection.authorization is not None:
            context["authorizer"] = connection.authorization.as_request_context()
        return context

    def _message_event(self, connection: Connection, route_key: str, data: str | bytes) -> dict[str, Any]:
        context = self._connection_context(connection, route_key, "MESSAGE", messageId=new_gateway_id())
        if isinstance(data, str):
            return {"requestContext": context, "body": data, "isBase64Encoded": False}
        return {"requestContext": context, "body": base64.b64encode(data).decode("ascii"), "isBase64Encoded": True}

    async def _dispatch(self, connection: Connection, data: str | bytes) -> None:
        route_key = self._route_key(data)
        if route_key is None:
            await self._error_to_client(connection, "Forbidden", new_gateway_id())
            return
        event = self._message_event(connection, route_key, data)
        request_id = event["requestContext"]["requestId"]
        try:
            result = await self._runtime.invoke_async(self._functions[route_key], event)
        except FunctionError:
            await self._error_to_client(connection, "Internal server error", request_id)
            return
        if route_key in self._route_responses and isinstance(result, dict) and result.get("body") is not None:
            body = result["body"]
            with contextlib.suppress(Gone):  # the sender left before the answer
                await self._send(connection, body if isinstance(body, str) else json.dumps(body))

    async def _error_to_client(self, connection: Connection, message: str, request_id: str) -> None:
        payload = {"message": message, "connectionId": connection.connection_id, "requestId": request_id}
        with contextlib.suppress(Gone):
            await self._send(connection, json.dumps(payload))

    async def _send(self, connection: Connection, data: str | bytes) -> None:
        if connection.closing:
            raise Gone(connection.connection_id)
        async with connection.send_lock:
            try:
                if isinstance(data, str):
                    await connection.socket.send_text(data)
                else:
                    await connection.socket.send_bytes(data)
            except Exception as exc:  # the peer went away between the check and the send
                raise Gone(connection.connection_id) from exc
        connection.touch()

    # Closing.

    async def _close(self, connection: Connection, code: int, reason: str) -> None:
        if connection.closing:
            return
        connection.closing = True
        connection.close_code, connection.close_reason = code, reason
        self.connections.pop(connection.connection_id, None)
        async with connection.send_lock:
            try:
                await connection.socket.close(code, reason)
            except Exception:  # already closed by the peer; $disconnect follows either way
                logger.debug("closing %s: socket already closed", connection.connection_id)

    async def _watch(self, connection: Connection) -> None:
        """Closes the connection when it has been idle, or open, for too long."""
        limits = self.limits
        while not connection.closing:
            deadline = min(
                connection.last_active + limits.idle_timeout_seconds,
                connection.opened + limits.max_connection_seconds,
            )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._close(connection, 1001, DISCONNECT_REASONS[1001])
                return
            await asyncio.sleep(remaining)

    async def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        function = self._functions.get("$disconnect")
        if function is None or self._shutting_down:
            return
        headers = [
            ("Host", connection.domain_name),
            ("x-api-key", ""),
            ("X-Forwarded-For", ""),
            ("x-restapi", ""),
        ]
        single, multi = _single_and_multi(headers)
        context = self._connection_context(
            connection, "$disconnect", "DISCONNECT", disconnectStatusCode=code, disconnectReason=reason
        )
        event = {"headers": single, "multiValueHeaders": multi, "requestContext": context, "isBase64Encoded": False}
        # $disconnect is best effort in API Gateway too; the runtime has logged any failure.
        with contextlib.suppress(FunctionError):
            await self._runtime.invoke_async(function, event)


def _status_of(result: Any) -> int:
    if isinstance(result, dict) and "statusCode" in result:
        try:
            return int(result["statusCode"])
        except (TypeError, ValueError):
            return 500
    return 200  # a function that returns no status code lets the connection through
