"""WebSocket routes: $connect, subscribe, unsubscribe, ping, $default, $disconnect.

The authorizer has verified the token; its context (organizationId, userId, roles) arrives on every
event. Replies go back over the management API, as API Gateway has no route responses configured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from contactcenter.access import Principal
from contactcenter.agents import SEQUENCE_MAX
from contactcenter.edge.clock import utc_now
from contactcenter.edge.principal import principal_from_socket_event, token_expiry
from contactcenter.errors import DomainError
from contactcenter.services import catch_up, fanout, sessions
from contactcenter.store import connections as connection_store

logger = Logger(service="socket")

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ChannelsMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str
    units: list[Identifier] = Field(default_factory=list, max_length=50)
    queues: list[Identifier] = Field(default_factory=list, max_length=50)
    request_id: str | None = Field(default=None, alias="requestId", max_length=64)


def _reply(connection_id: str, message: dict[str, Any]) -> None:
    try:
        connection_store.post(connection_id, message)
    except connection_store.ConnectionGone:
        sessions.disconnect(connection_id)


def _caller(event: dict[str, Any]) -> Principal:
    """The caller as recorded now, while the token the connection was opened with is valid."""
    sessions.require_unexpired(token_expiry(event), now=utc_now())
    return principal_from_socket_event(event)


def _on_connect(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    principal = principal_from_socket_event(event)
    sessions.connect(connection_id, principal, now=utc_now(), token_expires_at=token_expiry(event))
    return {"statusCode": 200}


def _on_disconnect(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    sessions.disconnect(connection_id)
    return {"statusCode": 200}


def _on_channels(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    message = ChannelsMessage.model_validate_json(event.get("body") or "{}")
    change = sessions.subscribe if message.action == "subscribe" else sessions.unsubscribe
    channels = change(connection_id, _caller(event), units=message.units, queues=message.queues, now=utc_now())
    _reply(
        connection_id,
        {"type": f"{message.action}d", "requestId": message.request_id, "channels": sorted(channels)},
    )
    return {"statusCode": 200}


class CatchUpMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["catchup"]
    since: dict[Identifier, Annotated[int, Field(ge=0, le=SEQUENCE_MAX)]] = Field(max_length=200)
    request_id: str | None = Field(default=None, alias="requestId", max_length=64)


def _on_catch_up(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    """A reconnecting client sends the last sequence it holds per agent and gets exactly what it missed,
    then `caughtup`; what does not fit one request's bounds ends with `catchup.continue` instead, naming
    the sequences to send back in the next `catchup` (docs/decisions.md)."""
    message = CatchUpMessage.model_validate_json(event.get("body") or "{}")
    principal = _caller(event)
    outcome = catch_up.replay(
        principal,
        message.since,
        deliver=lambda change: _reply(connection_id, fanout.message_for_change(change)),
        time_left_ms=context.get_remaining_time_in_millis,
    )
    if outcome.complete:
        _reply(connection_id, {"type": "caughtup", "requestId": message.request_id})
    else:
        _reply(connection_id, {"type": "catchup.continue", "requestId": message.request_id, "since": outcome.since})
    return {"statusCode": 200}


def _on_ping(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    _reply(connection_id, {"type": "pong"})
    return {"statusCode": 200}


def _on_default(event: dict[str, Any], connection_id: str, context: Any) -> dict[str, Any]:
    _reply(
        connection_id,
        {
            "type": "error",
            "error": {
                "code": "invalid",
                "rule": "unknown_action",
                "field": "action",
                "message": "send JSON with an action: subscribe, unsubscribe, catchup or ping",
            },
        },
    )
    return {"statusCode": 200}


# Refusals that no later message on this connection can get past: the session is closed after the
# error, and the client reconnects (with a fresh token) or stops.
ENDS_THE_SESSION = frozenset(
    {"token_expired", "person_retired", "unknown_person", "organization_disabled", "unknown_organization"}
)


def _close(connection_id: str) -> None:
    connection_store.disconnect(connection_id)
    sessions.disconnect(connection_id)


ROUTES: dict[str, Callable[[dict[str, Any], str, Any], dict[str, Any]]] = {
    "$connect": _on_connect,
    "$disconnect": _on_disconnect,
    "subscribe": _on_channels,
    "unsubscribe": _on_channels,
    "ping": _on_ping,
    "catchup": _on_catch_up,
    "$default": _on_default,
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    route = event["requestContext"]["routeKey"]
    connection_id = event["requestContext"]["connectionId"]
    try:
        return ROUTES.get(route, _on_default)(event, connection_id, context)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "rule": e["type"], "message": e["msg"]}
            for e in error.errors()
        ]
        _reply(connection_id, {"type": "error", "error": {"code": "validation", "errors": problems}})
        return {"statusCode": 200}
    except DomainError as error:
        if route == "$connect":
            return {"statusCode": 403 if error.code == "forbidden" else 401}
        _reply(connection_id, {"type": "error", **error.body()})
        if error.rule in ENDS_THE_SESSION:
            _close(connection_id)
        return {"statusCode": 200}
