"""The HTTP edge: one resolver factory, one table mapping domain errors to status codes, and the
permission check every route gets from the wiring table (ROUTE_PERMISSIONS) before it runs."""

from __future__ import annotations

import base64
import json
import math
import os
import time
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from contactcenter.access import Permission, Principal
from contactcenter.edge.principal import as_operator, as_recorded, principal_from_http_event
from contactcenter.environment import environment
from contactcenter.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Retryable,
    Throttled,
    Unauthorized,
)
from contactcenter.fairness import TenantLimiter
from contactcenter.store.items import TRANSIENT_ERRORS, unanswered

STATUS_CODES: Mapping[type[DomainError], int] = {
    Invalid: 422,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Throttled: 429,
    Retryable: 503,
}


def status_code_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_CODES:
            return STATUS_CODES[kind]
    return 400


def _retry_after(error: DomainError) -> dict[str, str] | None:
    if isinstance(error, Throttled):
        return {"Retry-After": str(error.retry_after_seconds)}
    return {"Retry-After": "1"} if isinstance(error, Retryable) else None


def error_response(error: DomainError) -> Response[str]:
    headers = _retry_after(error)
    return Response(
        status_code=status_code_for(error),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error.body()),
        headers=headers,
    )


def validation_response(error: RequestValidationError) -> Response[str]:
    problems = []
    for detail in error.errors():
        location = [str(part) for part in detail.get("loc", ())]
        field = ".".join(location[1:]) if location[:1] == ["body"] else ".".join(location)
        problems.append(
            {
                "field": field or "body",
                "rule": detail.get("type", "invalid"),
                "message": detail.get("msg", ""),
            }
        )
    body = {"error": {"code": "validation", "message": "the request is not valid", "errors": problems}}
    return Response(status_code=422, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


# DynamoDB keeps documents at most 32 levels deep; no request body of this API needs more, and Python's
# parser gives up (RecursionError, a 500) on bodies nested a few thousand levels deep.
JSON_DEPTH_MAX = 32


def read_json_body(text: str) -> Any:
    """The routes' JSON parser: a body nested deeper than JSON_DEPTH_MAX is refused (422) naming the rule."""
    too_deep = Invalid(f"the body is nested deeper than {JSON_DEPTH_MAX} levels", field="body", rule="json_too_deep")
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise too_deep from error
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    for _ in range(JSON_DEPTH_MAX):
        level = [
            part
            for container in level
            for part in (container.values() if isinstance(container, dict) else container)
            if isinstance(part, dict | list)
        ]
        if not level:
            return value
    raise too_deep


class FunctionResolver(APIGatewayHttpResolver):
    """Powertools' HTTP resolver, holding the event it resolves on itself. Powertools keeps it on a class
    attribute (`BaseRouter.current_event`) that every resolver in the process shares: right in Lambda (a
    process runs one function, one event at a time), wrong where functions share a process and run side by
    side, as in the local stack, where one function's route would read another's body and caller."""

    _event: APIGatewayProxyEventV2 | None = None
    _limiter: tuple[object, TenantLimiter] | None = None  # (the environment it was built from, the limiter)

    def tenant_limiter(self) -> TenantLimiter:
        """This function's per-organization limits, built from the environment once (again if it changed)."""
        settings = environment()
        if self._limiter is None or self._limiter[0] is not settings:
            limiter = TenantLimiter(rate=settings.tenant_requests_per_second, burst=settings.tenant_burst)
            self._limiter = (settings, limiter)
        return self._limiter[1]

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEventV2:
        assert self._event is not None, "no event is being resolved"
        return self._event

    @current_event.setter
    def current_event(self, event: APIGatewayProxyEventV2) -> None:
        self._event = event

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._event = APIGatewayProxyEventV2(dict(event), json_deserializer=read_json_body)
        try:
            return super().resolve(event, context)
        finally:
            self._event = None


def build_resolver() -> APIGatewayHttpResolver:
    app = FunctionResolver()
    # Validate every route, but let Powertools build its validation middleware on the first request
    # (its lazy path for routes asking for validation) instead of at import: a third of the cold import.
    app._enable_validation = True
    app.exception_handler(DomainError)(error_response)
    # A timeout or a dropped connection to AWS is the caller's to retry (503), not a failure of ours (500).
    app.exception_handler(list(TRANSIENT_ERRORS))(lambda _: error_response(unanswered()))
    app.exception_handler(RequestValidationError)(validation_response)
    return app


@cache
def route_permissions() -> Mapping[str, str]:
    """Route key -> permission, handed to each function by the infrastructure from infra/wiring.py."""
    return json.loads(os.environ.get("ROUTE_PERMISSIONS", "{}"))


def _lambda_response(error: DomainError) -> dict[str, Any]:
    return {
        "statusCode": status_code_for(error),
        "headers": {"Content-Type": "application/json", **(_retry_after(error) or {})},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }


def _refusal(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _unreadable_body(event: Mapping[str, Any], csv_routes: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The answer to a body the routes cannot read, before the resolver parses it: 415 for anything but
    JSON (forms and multipart would be parsed into what no route expects; a multipart type without a
    boundary raised, a 500), 422 for bytes that are not UTF-8 (decoding them raised, a 500)."""
    body = event.get("body")
    if not body:
        return None
    content_type = str((event.get("headers") or {}).get("content-type", ""))
    media_type = content_type.split(";", 1)[0].strip().lower()
    csv_upload = media_type == "text/csv" and event.get("routeKey") in csv_routes
    if media_type not in ("", content_types.APPLICATION_JSON) and not media_type.endswith("+json") and not csv_upload:
        error = {
            "code": "unsupported_media_type",
            "message": "the body must be JSON (Content-Type: application/json)",
            "rule": "json_only",
            "field": "Content-Type",
        }
        return _refusal(415, {"error": error})
    try:
        if event.get("isBase64Encoded"):
            base64.b64decode(str(body), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        problem = {"field": "body", "rule": "json_invalid", "message": "the body is not UTF-8 JSON"}
        return _refusal(
            422, {"error": {"code": "validation", "message": "the request is not valid", "errors": [problem]}}
        )
    return None


def serve(
    app: APIGatewayHttpResolver, event: dict[str, Any], context: Any, *, csv_routes: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Authorize by the wiring table's permission for this route, held by the caller as recorded now,
    then let the resolver run it.

    Unknown routes are refused (fail closed): a route missing from the wiring never runs. Bodies are
    JSON, except on `csv_routes` (route keys), which also take text/csv (uploads).
    """
    try:
        caller = principal_from_http_event(event)
        _admit(app, caller.organization_id)  # before any read: a throttled request costs AWS nothing
        principal = as_operator(caller) or as_recorded(caller)
        needed = route_permissions().get(event.get("routeKey", ""))
        if needed is None:
            raise Forbidden("this route is not open to anyone", rule="route_not_wired")
        if not principal.has(Permission(needed)):
            raise Forbidden(f"this action needs the permission {needed}", rule="missing_permission")
    except DomainError as error:
        return _lambda_response(error)
    unreadable = _unreadable_body(event, csv_routes)
    if unreadable is not None:
        return unreadable
    app.append_context(principal=principal)
    return app.resolve(event, context)


def _admit(app: APIGatewayHttpResolver, organization_id: str) -> None:
    if not isinstance(app, FunctionResolver):
        return
    wait = app.tenant_limiter().admit(organization_id, now=time.monotonic())
    if wait is not None:
        raise Throttled(
            "your organization sent more requests than its share: retry after the time in Retry-After",
            retry_after_seconds=max(1, math.ceil(wait)),
            rule="organization_rate_limit",
        )


def current_principal(app: APIGatewayHttpResolver) -> Principal:
    principal = app.context.get("principal")
    if not isinstance(principal, Principal):
        raise Unauthorized("no verified caller", rule="token_missing")
    return principal


def idempotency_key(app: APIGatewayHttpResolver) -> str | None:
    """The Idempotency-Key header, if the client sent one (validated: printable, at most 128 chars)."""
    key = app.current_event.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 128 or not key.isprintable():
        raise Invalid("Idempotency-Key must be 1 to 128 printable characters", field="Idempotency-Key", rule="format")
    return key
