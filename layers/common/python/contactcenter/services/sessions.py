"""WebSocket sessions: who is connected, to which channels, and what they may subscribe to.

A session lives as long as the token it was opened with: every action checks the token's expiry
(the client reconnects with a fresh token), and the fan-out serves no connection past it.
"""

from __future__ import annotations

from datetime import datetime

from contactcenter.access import Permission, Principal, may_watch_unit
from contactcenter.errors import Forbidden, Invalid, Unauthorized
from contactcenter.store import connections as connection_store
from contactcenter.store import organizations as organization_store

MAX_CHANNELS = 50  # keeps a subscription change inside one transaction


def connect(connection_id: str, principal: Principal, *, now: datetime, token_expires_at: int | None = None) -> None:
    if not principal.has(Permission.CONNECT):
        raise Forbidden("this role may not open a session", rule="missing_permission")
    require_unexpired(token_expires_at, now=now)
    # Every connection is on its person's channel (to be closed when they are retired or their roles
    # change); an agent's also hears about changes made to that agent and messages for them.
    own = {connection_store.person_channel(principal.user_id)}
    if principal.has(Permission.ATTENDANCE_SELF):
        own.add(connection_store.agent_channel(principal.user_id))
    connection_store.open_connection(
        connection_store.Connection(
            connection_id=connection_id,
            organization_id=principal.organization_id,
            user_id=principal.user_id,
            roles=tuple(sorted(principal.roles)),
            channels=frozenset(own),
            connected_at=now,
            token_expires_at=token_expires_at,
        ),
        now=now,
    )


def require_unexpired(token_expires_at: int | None, *, now: datetime) -> None:
    if token_expires_at is not None and now.timestamp() >= token_expires_at:
        raise Unauthorized("the token this session was opened with has expired: reconnect", rule="token_expired")


def subscribe(
    connection_id: str, principal: Principal, *, units: list[str], queues: list[str], now: datetime
) -> frozenset[str]:
    connection = _own_connection(connection_id, principal)
    _require_may_watch(principal, units, queues)
    wanted = frozenset(connection_store.unit_channel(u) for u in units) | frozenset(
        connection_store.queue_channel(q) for q in queues
    )
    channels = connection.channels | wanted
    if len(channels) > MAX_CHANNELS:
        raise Invalid(f"at most {MAX_CHANNELS} subscriptions per connection", field="units", rule="too_many")
    if channels != connection.channels:
        connection_store.set_channels(connection, channels, now=now)
    return _visible(channels, principal)


def unsubscribe(
    connection_id: str, principal: Principal, *, units: list[str], queues: list[str], now: datetime
) -> frozenset[str]:
    connection = _own_connection(connection_id, principal)
    dropped = frozenset(connection_store.unit_channel(u) for u in units) | frozenset(
        connection_store.queue_channel(q) for q in queues
    )
    channels = connection.channels - dropped
    if channels != connection.channels:
        connection_store.set_channels(connection, channels, now=now)
    return _visible(channels, principal)


def disconnect(connection_id: str) -> None:
    connection_store.close_connection_records(connection_id)


def _visible(channels: frozenset[str], principal: Principal) -> frozenset[str]:
    """The channels a client is told it is on: its person's channel is the server's, not the client's."""
    return channels - {connection_store.person_channel(principal.user_id)}


def _own_connection(connection_id: str, principal: Principal) -> connection_store.Connection:
    connection = connection_store.get_connection(connection_id)
    if connection is None or connection.user_id != principal.user_id:
        raise Forbidden("this connection is not yours or has closed", rule="unknown_connection")
    return connection


def _require_may_watch(principal: Principal, units: list[str], queues: list[str]) -> None:
    """The HTTP dashboards' rules: a unit to its supervisors and administrators; a queue of the
    organization to any holder of supervision.view (pushes about its agents then reach only those who may
    see each agent, as the queue dashboard lists only them)."""
    if not units and not queues:
        return
    if not principal.has(Permission.SUPERVISION_VIEW):
        raise Forbidden("watching units or queues needs the permission supervision.view", rule="missing_permission")
    settings = organization_store.get_settings(principal.organization_id)
    unknown = sorted(set(units) - settings.unit_ids())
    if unknown:
        raise Invalid(f"unknown units {unknown}", field="units", rule="unknown_unit")
    unknown_queues = sorted(q for q in set(queues) if settings.queue(q) is None)
    if unknown_queues:
        raise Invalid(f"unknown queues {unknown_queues}", field="queues", rule="unknown_queue")
    foreign = sorted(u for u in units if not may_watch_unit(principal, u))
    if foreign:
        raise Forbidden(f"you do not supervise {foreign}", field="units", rule="unit_not_supervised")
