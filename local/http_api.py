"""The HTTP API: payload format 2.0 events in, Lambda proxy results out, as API Gateway does.

Every route in the wiring sits behind the JWT authorizer. The event follows the format AWS documents
(tests/events/http-api-v2.json); the details below were measured on real HTTP APIs:
- header names lower-cased, repeated headers joined with commas, the cookie header moved to `cookies`;
- repeated query parameters joined with commas in queryStringParameters, rawQueryString as sent;
- the body is a UTF-8 string only for text/*, application/json, application/xml and
  application/javascript; any other content type (a missing one included) is base64 with
  isBase64Encoded true;
- `cookies`, `queryStringParameters`, `pathParameters` and `body` are left out when empty, and
  `stageVariables` because the stage has none;
- requestContext.authorizer.jwt.scopes is null because no route requires authorization scopes.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from infra.wiring import LAMBDA, HttpRoute
from local.apigw import ACCOUNT_ID, REGION, epoch_millis, new_gateway_id, new_trace_id, request_time
from local.cors import CorsPolicy, is_cors_header
from local.jwt_authorizer import JwtAuthorizer, Unauthorized, render_claims
from local.routes import RouteTable
from local.runtime import FunctionError, FunctionTimeout, LambdaRuntime

logger = logging.getLogger("local.http_api")

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # HTTP API payload quota
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})  # the gateway sets these


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP request that go into the event."""

    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    port: int = 80


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


def _joined_headers(headers: Sequence[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def build_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, Any],
    api_id: str,
    domain_name: str,
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    headers, cookies = _joined_headers(request.headers)
    # Headers API Gateway adds in front of the integration.
    headers["x-amzn-trace-id"] = new_trace_id(now_ms / 1000)
    headers["x-forwarded-for"] = request.source_ip
    headers["x-forwarded-port"] = str(request.port)
    headers["x-forwarded-proto"] = "http"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        event["queryStringParameters"] = _query_parameters(request.raw_query)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "authorizer": {"jwt": {"claims": render_claims(claims), "scopes": None}},
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request_time(now_ms),
        "timeEpoch": now_ms,
    }
    if request.body:
        if is_text(headers.get("content-type")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


class InvalidResult(ValueError):
    """The function's result is not a response API Gateway can return: it answers 500."""


def map_result(result: Any) -> HttpResult:
    """A Lambda result to the HTTP response API Gateway returns for payload format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200, JSON, and the whole result as the body.
        return HttpResult(200, [("content-type", "application/json")], json.dumps(result).encode("utf-8"))
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        raise InvalidResult(f"statusCode {result['statusCode']!r} is not a number") from None
    if not 100 <= status <= 599:
        raise InvalidResult(f"statusCode {status} is out of range")
    headers = [
        (str(name), _header_value(value))
        for name, value in (result.get("headers") or {}).items()
        if str(name).lower() not in _HOP_HEADERS
    ]
    # Format 2.0 has no multiValueHeaders; set-cookie values come from `cookies`.
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or ())
    body = result.get("body")
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(str(body), validate=True)
        except binascii.Error:
            raise InvalidResult("isBase64Encoded is true but the body is not base64") from None
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    return HttpResult(status, headers, payload)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _internal_error(request_id: str) -> Response:
    return _message(500, "Internal Server Error", request_id)


def _message(status: int, message: str, request_id: str, extra: Sequence[tuple[str, str]] = ()) -> Response:
    headers = {"apigw-requestid": request_id, **dict(extra)}
    body = json.dumps({"message": message}, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class HttpApi:
    """The Starlette endpoint serving every HTTP API route of the wiring."""

    def __init__(
        self,
        routes: Sequence[HttpRoute],
        *,
        runtime: LambdaRuntime,
        authorizer: JwtAuthorizer,
        api_id: str,
        cors: CorsPolicy | None = None,
        lambda_authorizer: str | None = None,
    ) -> None:
        self._table = RouteTable((route.method, route.path, route) for route in routes)
        self._runtime = runtime
        self._authorizer = authorizer
        self.api_id = api_id
        self._cors = cors
        self._lambda_authorizer = lambda_authorizer

    async def handle(self, request: Request) -> Response:
        request_id = new_gateway_id()
        if self._cors is None:
            return await self._route(request, request_id)
        if request.method == "OPTIONS":  # a preflight: answered here, before routes and authorizers
            headers = {"apigw-requestid": request_id, **self._cors.preflight_headers(request.headers)}
            return Response(status_code=204, headers=headers)
        response = await self._route(request, request_id)
        for name in [name for name in response.headers if is_cors_header(name)]:
            del response.headers[name]  # API Gateway ignores the integration's CORS headers
        response.headers.update(self._cors.response_headers(request.headers))
        return response

    async def _route(self, request: Request, request_id: str) -> Response:
        now_ms = epoch_millis()
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        match = self._table.match(request.method, raw_path)
        if match is None:
            return _message(404, "Not Found", request_id)
        route = match.target
        claims: dict[str, Any] = {}
        if route.authorized_by != LAMBDA:
            try:
                claims = self._authorizer.authorize(request.headers.get("authorization"))
            except Unauthorized as exc:
                return _message(401, "Unauthorized", request_id, [("www-authenticate", exc.www_authenticate)])
        elif not (request.headers.get("authorization") or "").strip():
            return _message(401, "Unauthorized", request_id)  # the identity source is missing: not invoked
        body = await _read_body(request)
        if body is None:
            return _message(413, "Request Entity Too Large", request_id)
        client = request.client
        server = request.scope.get("server") or ("127.0.0.1", 80)
        event = build_event(
            HttpRequest(
                method=request.method,
                raw_path=raw_path,
                raw_query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
                body=body,
                source_ip=client.host if client else "127.0.0.1",
                protocol=f"HTTP/{request.scope.get('http_version', '1.1')}",
                port=int(server[1] or 80),
            ),
            route_key=route.route_key,
            path_parameters=match.path_parameters,
            claims=claims,
            api_id=self.api_id,
            domain_name=request.headers.get("host", "127.0.0.1"),
            request_id=request_id,
            now_ms=now_ms,
        )
        if route.authorized_by == LAMBDA:
            refused = await self._authorize_with_lambda(event, request_id)
            if refused is not None:
                return refused
        return await self._invoke(route, event, request_id)

    async def _authorize_with_lambda(self, event: dict[str, Any], request_id: str) -> Response | None:
        """Runs the Lambda REQUEST authorizer (payload 2.0, simple responses) and, when it allows, puts
        its context into the event; else API Gateway's answer: 403 when refused, 401 when it failed with
        "Unauthorized", 500 when it failed otherwise."""
        assert self._lambda_authorizer is not None, "a route needs the wiring's http_authorizer"
        request = {key: value for key, value in event.items() if key not in ("body", "isBase64Encoded")}
        request["requestContext"] = {k: v for k, v in event["requestContext"].items() if k != "authorizer"}
        authorizer_event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{self.api_id}/$default/"
            + event["routeKey"].replace(" ", ""),
            "identitySource": [event["headers"].get("authorization", "")],
            **request,
        }
        try:
            answer = await self._runtime.invoke_async(self._lambda_authorizer, authorizer_event)
        except FunctionError as error:
            # "Unauthorized" is the one failure API Gateway answers with 401 (a timeout is a failure too).
            unauthorized = error.error_message == "Unauthorized" and not isinstance(error, FunctionTimeout)
            return _message(401, "Unauthorized", request_id) if unauthorized else _internal_error(request_id)
        if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
            logger.error("the HTTP authorizer returned %r, not a simple response", answer)
            return _internal_error(request_id)
        if not answer["isAuthorized"]:
            return _message(403, "Forbidden", request_id)
        event["requestContext"]["authorizer"] = {"lambda": dict(answer.get("context") or {})}
        return None

    async def _invoke(self, route: HttpRoute, event: dict[str, Any], request_id: str) -> Response:
        try:
            result = map_result(await self._runtime.invoke_async(route.function, event))
        except FunctionTimeout:
            return _message(503, "Service Unavailable", request_id)
        except FunctionError:
            # The traceback is already logged by the runtime; the client sees API Gateway's answer.
            return _message(500, "Internal Server Error", request_id)
        except InvalidResult as exc:
            logger.error("%s returned an invalid response for %s: %s", route.function, route.route_key, exc)
            return _message(500, "Internal Server Error", request_id)
        response = Response(result.body, status_code=result.status)
        response.headers["apigw-requestid"] = request_id
        for name, value in result.headers:
            response.headers.append(name, value)
        return response


async def _read_body(request: Request) -> bytes | None:
    """The body, or None past the HTTP API's 10 MB limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
