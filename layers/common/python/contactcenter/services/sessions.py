"""WebSocket sessions: who is connected, to which channels, and what they may subscribe to."""

from __future__ import annotations

from datetime import datetime

from contactcenter.access import Permission, Principal
from contactcenter.errors import Forbidden, Invalid
from contactcenter.store import connections as connection_store
from contactcenter.store import organizations as organization_store

MAX_CHANNELS = 50  # keeps a subscription change inside one transaction


def connect(connection_id: str, principal: Principal, *, now: datetime) -> None:
    if not principal.has(Permission.CONNECT):
        raise Forbidden("this role may not open a session", rule="missing_permission")
    # An agent's connection always hears about changes made to that agent and messages for them.
    own = (
        frozenset({connection_store.agent_channel(principal.user_id)})
        if principal.has(Permission.ATTENDANCE_SELF)
        else frozenset()
    )
    connection_store.open_connection(
        connection_store.Connection(
            connection_id=connection_id,
            organization_id=principal.organization_id,
            user_id=principal.user_id,
            roles=tuple(sorted(principal.roles)),
            channels=own,
            connected_at=now,
        ),
        now=now,
    )


def subscribe(
    connection_id: str, principal: Principal, *, units: list[str], queues: list[str], now: datetime
) -> frozenset[str]:
    connection = _own_connection(connection_id, principal)
    _require_may_watch_units(principal, units)
    wanted = frozenset(connection_store.unit_channel(u) for u in units) | frozenset(
        connection_store.queue_channel(q) for q in queues
    )
    channels = connection.channels | wanted
    if len(channels) > MAX_CHANNELS:
        raise Invalid(f"at most {MAX_CHANNELS} subscriptions per connection", field="units", rule="too_many")
    if channels != connection.channels:
        connection_store.set_channels(connection, channels, now=now)
    return channels


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
    return channels


def disconnect(connection_id: str) -> None:
    connection_store.close_connection_records(connection_id)


def _own_connection(connection_id: str, principal: Principal) -> connection_store.Connection:
    connection = connection_store.get_connection(connection_id)
    if connection is None or connection.user_id != principal.user_id:
        raise Forbidden("this connection is not yours or has closed", rule="unknown_connection")
    return connection


def _require_may_watch_units(principal: Principal, units: list[str]) -> None:
    if not units:
        return
    if not principal.has(Permission.SUPERVISION_VIEW):
        raise Forbidden("watching units needs the permission supervision.view", rule="missing_permission")
    settings = organization_store.get_settings(principal.organization_id)
    unknown = sorted(set(units) - settings.unit_ids())
    if unknown:
        raise Invalid(f"unknown units {unknown}", field="units", rule="unknown_unit")
    if "ADMIN" in principal.roles:
        return
    person = organization_store.get_person(principal.organization_id, principal.user_id)
    foreign = sorted(u for u in units if not person.supervises(u))
    if foreign:
        raise Forbidden(f"you do not supervise {foreign}", field="units", rule="unit_not_supervised")
