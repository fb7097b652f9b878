"""The local stack's own endpoints, all under /_local so they never collide with the product's routes.

- /_local/idp/...: the local issuer's OpenID Connect endpoints (local/oidc.py).
- GET  /_local/users: the users tokens can be minted for.
- POST /_local/tokens {"username", "expiresIn"?, "claims"?}: a fresh ID token for a user.
- POST /_local/streams/drain {"timeout"?}: waits until the stream poller has delivered everything.
- GET  /_local/clock, POST /_local/clock {"now": ISO 8601, "fire"?: bool}: read or move the scheduler's
  clock forward, firing what falls due on the way (unless "fire" is false).
- POST /_local/schedules/{name}/fire: fire one schedule now.
- GET  /_local/endpoints: the URLs of this stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from local.apigw import iso_seconds
from local.cors import CorsPolicy
from local.issuer import LocalIssuer, UnknownUser
from local.oidc import OidcEndpoints, OpenIdProvider
from local.scheduler import ClockError, Scheduler

ISSUER_PATH = "/_local/idp"


class Drainable(Protocol):
    def wait_idle(self, timeout: float = 30.0) -> bool: ...


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError('"now" must be an ISO 8601 time')
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class LocalControl:
    def __init__(
        self,
        *,
        issuer: LocalIssuer,
        poller: Drainable | None = None,
        scheduler: Scheduler | None = None,
        endpoints: Callable[[], dict[str, Any]] | None = None,
        provider: OpenIdProvider | None = None,
        cors: CorsPolicy | None = None,
    ) -> None:
        self._issuer = issuer
        self._oidc = OidcEndpoints(provider or OpenIdProvider(issuer), base_path=ISSUER_PATH, cors=cors)
        self._poller = poller
        self._scheduler = scheduler
        self._endpoints = endpoints

    def routes(self) -> list[BaseRoute]:
        return [
            *self._oidc.routes(),
            Route("/_local/users", self.users, methods=["GET"]),
            Route("/_local/tokens", self.tokens, methods=["POST"]),
            Route("/_local/streams/drain", self.drain, methods=["POST"]),
            Route("/_local/clock", self.clock, methods=["GET", "POST"]),
            Route("/_local/schedules/{name}/fire", self.fire, methods=["POST"]),
            Route("/_local/endpoints", self.endpoints, methods=["GET"]),
        ]

    async def users(self, request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "username": user.username,
                    "userId": user.user_id,
                    "organizationId": user.organization_id,
                    "roles": list(user.roles),
                    "displayName": user.display_name,
                }
                for user in self._issuer.users
            ]
        )

    async def tokens(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            username = body["username"]
            expires_in = body.get("expiresIn")
            claims = body.get("claims") or {}
            if not isinstance(username, str) or not isinstance(claims, dict):
                raise ValueError("username must be a string and claims an object")
            if expires_in is not None and not isinstance(expires_in, int):
                raise ValueError("expiresIn must be a whole number of seconds")
        except (ValueError, KeyError) as exc:
            return _problem(400, f"bad request: {exc}")
        try:
            token = self._issuer.mint(username, expires_in=expires_in, claims=claims)
        except UnknownUser:
            return _problem(404, f"no user named {username!r}")
        return JSONResponse({"username": username, "token": token})

    async def drain(self, request: Request) -> Response:
        try:
            timeout = float((await _json_body(request)).get("timeout", 30.0))
        except (ValueError, TypeError) as exc:
            return _problem(400, f"bad request: {exc}")
        if self._poller is None:
            return JSONResponse({"drained": True})
        drained = await run_in_threadpool(self._poller.wait_idle, timeout)
        return JSONResponse({"drained": drained}, status_code=200 if drained else 504)

    async def clock(self, request: Request) -> Response:
        if self._scheduler is None:
            return _problem(404, "this stack runs no scheduler")
        if request.method == "GET":
            return JSONResponse({"now": iso_seconds(self._scheduler.clock.now())})
        try:
            body = await _json_body(request)
            moment = _parse_time(body.get("now"))
            fire = body.get("fire", True)
            if not isinstance(fire, bool):
                raise ValueError('"fire" must be true or false')
        except ValueError as exc:
            return _problem(400, f"bad request: {exc}")
        try:
            firings = await run_in_threadpool(partial(self._scheduler.advance_to, moment, fire=fire))
        except ClockError as exc:
            return _problem(409, str(exc))
        return JSONResponse({"now": iso_seconds(moment), "fired": [firing.as_json() for firing in firings]})

    async def fire(self, request: Request) -> Response:
        if self._scheduler is None:
            return _problem(404, "this stack runs no scheduler")
        name = request.path_params["name"]
        try:
            firing = await run_in_threadpool(self._scheduler.fire, name)
        except KeyError:
            return _problem(404, f"no schedule named {name!r}")
        return JSONResponse({"fired": [firing.as_json()]})

    async def endpoints(self, request: Request) -> Response:
        return JSONResponse(self._endpoints() if self._endpoints else {})
