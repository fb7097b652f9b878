"""Push stream changes to the WebSocket connections subscribed to them, and only to those whose person
may see what the message is about now: a channel finds the candidates, the person's record (read
through the store's short cache, as every request's) decides, with the rules of the HTTP dashboards. A
connection past its token's expiry, or whose person is retired or whose organization is disabled, gets
no push; an expired one is told so and closed (the client reconnects with a fresh token).

Posts go out in parallel on a bounded pool: one slow or failing connection never holds back the
others, a gone connection (410) is forgotten, and no failure of one post fails the record (the record is
only retried when finding the subscribers fails, so nobody gets a push twice because someone else failed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from contactcenter import assignments as rules
from contactcenter.access import Principal, may_view_agent, permissions_for
from contactcenter.errors import Forbidden, NotFound
from contactcenter.people import principal_of
from contactcenter.store import assignments as assignment_store
from contactcenter.store import clients
from contactcenter.store import connections as connection_store
from contactcenter.store import organizations as organization_store

logger = Logger(child=True)

POOL_SIZE = clients.CONCURRENT_POSTS


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="push")


@dataclass
class PushOutcome:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def channels_for_change(image: Mapping[str, Any]) -> list[str]:
    """Who hears about a change to an agent: the agent, the unit it happened in and the unit the agent is
    listed under now (they differ at clock-out), and the queues the agent is in or just left."""
    agent = image.get("agent") or {}
    units = agent.get("units") or []
    listed_under = agent.get("unitId") or (units[0] if units else None)
    queues = set(agent.get("queues") or [])
    if (image.get("detail") or {}).get("queue"):
        queues.add(image["detail"]["queue"])
    channels = [connection_store.agent_channel(image["agentId"])]
    units_heard = {unit for unit in (image.get("unitId"), listed_under) if isinstance(unit, str)}
    channels += [connection_store.unit_channel(unit) for unit in sorted(units_heard)]
    channels += [connection_store.queue_channel(q) for q in sorted(queues)]
    return channels


Reader = Callable[[Principal], bool]  # whether a connection's person may receive a message


def units_of_change(image: Mapping[str, Any]) -> frozenset[str]:
    """The units an agent change concerns: the agent's, and the one it happened in."""
    agent = image.get("agent") or {}
    units = {u for u in (agent.get("units") or []) if isinstance(u, str)}
    units |= {u for u in (image.get("unitId"), agent.get("unitId")) if isinstance(u, str)}
    return frozenset(units)


def may_read_change(image: Mapping[str, Any]) -> Reader:
    """The agent, and whoever may see the agent on a dashboard (queue channels included)."""
    agent_id, units = image["agentId"], units_of_change(image)
    return lambda reader: may_view_agent(reader, agent_id, units)


def push_change(image: Mapping[str, Any]) -> PushOutcome:
    return push(image["organizationId"], channels_for_change(image), message_for_change(image), may_read_change(image))


def push_message(image: Mapping[str, Any]) -> PushOutcome:
    """A supervisor's message, to the agent's own connections."""
    message = {
        "type": "agent.message",
        **{k: image.get(k) for k in ("agentId", "messageId", "at", "fromId", "fromName", "text")},
    }
    agent_id = image["agentId"]
    return push(
        image["organizationId"],
        [connection_store.agent_channel(agent_id)],
        message,
        lambda reader: reader.user_id == agent_id,
    )


def close_changed_person_sessions(image: Mapping[str, Any], old_image: Mapping[str, Any] | None) -> int:
    """A person retired, or their roles or units supervised changed: their open sessions are closed (the
    client reconnects and is authorized afresh). Other changes to the record (a name) leave them open."""
    after = organization_store.standing_from_item(image)
    before = organization_store.standing_from_item(old_image) if old_image else None
    organization_id, user_id = after.person.organization_id, after.person.user_id
    organization_store.forget_standing(organization_id, user_id)
    if before is not None and _authority(before) == _authority(after):
        return 0
    reason = "person_retired" if after.retired else "roles_changed"
    if _outbox is not None:
        _outbox.afterwards(lambda: _end_sessions(organization_id, user_id, reason))
        return 0
    return _end_sessions(organization_id, user_id, reason)


def _authority(standing: organization_store.Standing) -> tuple[bool, frozenset[str], frozenset[str]]:
    return standing.retired, standing.person.roles, standing.person.supervised_units


def _end_sessions(organization_id: str, user_id: str, reason: str) -> int:
    connection_ids = connection_store.subscribers(organization_id, [connection_store.person_channel(user_id)])
    for connection_id in sorted(connection_ids):
        end_session(connection_id, reason)
    return len(connection_ids)


def end_session(connection_id: str, reason: str) -> None:
    """Tell the client why, then close the connection and forget it."""
    try:
        connection_store.post(connection_id, {"type": "session.ended", "reason": reason})
        connection_store.disconnect(connection_id)
    except connection_store.ConnectionGone:
        pass
    except Exception as error:  # a failure to say goodbye must not keep the records, nor fail the batch
        logger.warning("closing failed", extra={"connection_id": connection_id, "error": repr(error)})
    connection_store.close_connection_records(connection_id)


def push_rule_firing(image: Mapping[str, Any]) -> PushOutcome:
    """A status rule's tier fired: the supervisors of the agent's unit see it (and the agent, if the tier
    says so). A tier that only forces or publishes still shows on the dashboard, as an action."""
    message = {"type": "rule.fired", **{k: image.get(k) for k in _FIRING_KEYS}}
    channels = [connection_store.unit_channel(image["unitId"])] if image.get("unitId") else []
    if image.get("notifyAgent"):
        channels.append(connection_store.agent_channel(image["agentId"]))
    agent_id, units = image["agentId"], frozenset([image["unitId"]] if image.get("unitId") else [])
    return push(image["organizationId"], channels, message, lambda reader: may_view_agent(reader, agent_id, units))


_FIRING_KEYS = (
    "organizationId",
    "agentId",
    "agentName",
    "unitId",
    "firingId",
    "ruleId",
    "ruleName",
    "tier",
    "tiers",
    "notice",
    "force",
    "publishEvent",
    "status",
    "reason",
    "since",
    "at",
)


def push_adherence(image: Mapping[str, Any], old_image: Mapping[str, Any] | None) -> PushOutcome:
    """An agent's live adherence changed: their units' supervisors and the agent hear it (a rewrite with
    the same view, only the next check moved, pushes nothing)."""
    if old_image is not None and old_image.get("digest") == image.get("digest"):
        return PushOutcome()
    channels = [connection_store.agent_channel(image["agentId"])]
    channels += [connection_store.unit_channel(unit) for unit in image.get("unitIds") or []]
    message = {
        "type": "adherence.changed",
        "organizationId": image["organizationId"],
        "agentId": image["agentId"],
        "adherence": image.get("view"),
    }
    agent_id, units = image["agentId"], frozenset(image.get("unitIds") or [])
    return push(image["organizationId"], channels, message, lambda reader: may_view_agent(reader, agent_id, units))


def close_forced_out_sessions(image: Mapping[str, Any]) -> int:
    """A supervisor forced the agent AWAY: after the push, the agent's open sessions are closed."""
    if image.get("toStatus") != "AWAY" or image.get("actorKind") != "supervisor" or image.get("kind") != "status":
        return 0
    if _outbox is not None:
        _outbox.afterwards(lambda: _close_sessions(image))
        return 0
    return _close_sessions(image)


def _close_sessions(image: Mapping[str, Any]) -> int:
    connection_ids = connection_store.subscribers(
        image["organizationId"], [connection_store.agent_channel(image["agentId"])]
    )
    for connection_id in sorted(connection_ids):
        connection_store.disconnect(connection_id)
        connection_store.close_connection_records(connection_id)
    return len(connection_ids)


def message_for_change(image: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "sequence",
        "at",
        "kind",
        "fromStatus",
        "toStatus",
        "reason",
        "note",
        "actorKind",
        "actorId",
        "platform",
        "unitId",
    )
    return {
        "type": "agent.changed",
        "organizationId": image["organizationId"],
        "agentId": image["agentId"],
        "sequence": image["sequence"],
        "change": {key: image.get(key) for key in keys},
        "agent": image.get("agent"),
    }


class Outbox:
    """One stream batch's pushes. Each channel's subscribers are looked up once per batch, and each
    subscriber's person once; each connection then gets its messages in the order of the records,
    connections in parallel; what must happen after the pushes (closing sessions) runs last."""

    def __init__(self, now: datetime) -> None:
        self._now = now.timestamp()
        self._subscribers: dict[tuple[str, str], list[connection_store.Subscriber]] = {}
        self._readers: dict[tuple[str, str], Principal | None] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._expired: set[str] = set()
        self._afterwards: list[Callable[[], object]] = []

    def _subscriptions(self, organization_id: str, channels: Iterable[str]) -> dict[str, connection_store.Subscriber]:
        found: dict[str, connection_store.Subscriber] = {}
        for channel in channels:
            key = (organization_id, channel)
            if key not in self._subscribers:
                self._subscribers[key] = connection_store.subscriptions(organization_id, [channel])
            found.update((s.connection_id, s) for s in self._subscribers[key])
        return found

    def listened(self, organization_id: str, channels: Iterable[str]) -> bool:
        """Whether any connection is on the channels (before building what only a listener needs)."""
        return bool(self._subscriptions(organization_id, channels))

    def add(self, organization_id: str, channels: Iterable[str], message: dict[str, Any], reader: Reader) -> int:
        found = self._subscriptions(organization_id, channels)
        live = []
        for subscriber in found.values():
            if subscriber.expires_at is not None and subscriber.expires_at <= self._now:
                self._expired.add(subscriber.connection_id)
            else:
                live.append(subscriber)
        readers = self._principals(organization_id, {s.user_id for s in live})
        targets = [s.connection_id for s in live if (p := readers.get(s.user_id)) is not None and reader(p)]
        for connection_id in sorted(targets):
            self._messages.setdefault(connection_id, []).append(message)
        return len(targets)

    def _principals(self, organization_id: str, user_ids: set[str]) -> dict[str, Principal | None]:
        """Each subscriber's person as recorded now (None: refused), read once per batch."""
        unknown = sorted(u for u in user_ids if (organization_id, u) not in self._readers)
        if unknown:
            try:
                settings = organization_store.get_settings(organization_id)
                standings = organization_store.get_standings(organization_id, unknown)
            except NotFound:
                settings, standings = None, {}
            for user_id in unknown:
                standing = standings.get(user_id)
                try:
                    principal: Principal | None = principal_of(
                        standing.person if standing else None,
                        retired=bool(standing and standing.retired),
                        organization_disabled=settings is None or settings.disabled,
                        custom_roles=settings.custom_roles if settings else {},
                    )
                except Forbidden:
                    principal = None
                self._readers[(organization_id, user_id)] = principal
        return {u: self._readers[(organization_id, u)] for u in user_ids}

    def afterwards(self, action: Callable[[], object]) -> None:
        self._afterwards.append(action)

    def deliver(self) -> PushOutcome:
        outcome = PushOutcome()
        futures = {cid: _pool().submit(_post_in_order, cid, messages) for cid, messages in self._messages.items()}
        for connection_id, future in futures.items():
            delivered, error = future.result()
            outcome.delivered += delivered
            if isinstance(error, connection_store.ConnectionGone):
                outcome.gone.append(connection_id)
            elif error is not None:
                logger.warning("push failed", extra={"connection_id": connection_id, "error": repr(error)})
                outcome.failed.append(connection_id)
        for connection_id in outcome.gone:
            connection_store.close_connection_records(connection_id)
        for connection_id in sorted(self._expired - set(outcome.gone)):
            end_session(connection_id, "token_expired")
        for action in self._afterwards:
            action()
        self._messages.clear()
        self._expired.clear()
        self._afterwards.clear()
        return outcome


def _post_in_order(connection_id: str, messages: list[dict[str, Any]]) -> tuple[int, BaseException | None]:
    """A connection's messages one after the other; the first failure stops the rest for it alone."""
    for delivered, message in enumerate(messages):
        try:
            connection_store.post(connection_id, message)
        except Exception as error:  # one connection's failure is recorded, never raised to the others
            return delivered, error
    return len(messages), None


_outbox: Outbox | None = None


@contextmanager
def batch(*, now: datetime) -> Iterator[Outbox]:
    """Collect the pushes of one invocation and deliver them together at the end; `now` decides which
    connections' tokens have expired."""
    global _outbox  # noqa: PLW0603 - one invocation at a time per execution environment
    _outbox = Outbox(now)
    try:
        yield _outbox
        _outbox.deliver()
    finally:
        _outbox = None


def push(organization_id: str, channels: Iterable[str], message: dict[str, Any], reader: Reader) -> PushOutcome:
    """The message joins the batch's outbox (pushes are made inside `batch()`), for the connections on
    the channels whose person `reader` accepts."""
    return PushOutcome(delivered=_current().add(organization_id, channels, message, reader))


def _current() -> Outbox:
    if _outbox is None:
        raise RuntimeError("pushes are made inside fanout.batch()")
    return _outbox


def post_all(connection_ids: list[str], message: dict[str, Any], *, parallel: bool = True) -> PushOutcome:
    outcome = PushOutcome()
    if parallel:
        futures = {cid: _pool().submit(connection_store.post, cid, message) for cid in connection_ids}
        results = {cid: future.exception() for cid, future in futures.items()}
    else:
        results = {cid: _post_catching(cid, message) for cid in connection_ids}
    for connection_id, error in results.items():
        if error is None:
            outcome.delivered += 1
        elif isinstance(error, connection_store.ConnectionGone):
            outcome.gone.append(connection_id)
        else:
            logger.warning("push failed", extra={"connection_id": connection_id, "error": repr(error)})
            outcome.failed.append(connection_id)
    for connection_id in outcome.gone:
        connection_store.close_connection_records(connection_id)
    return outcome


def _post_catching(connection_id: str, message: dict[str, Any]) -> BaseException | None:
    try:
        connection_store.post(connection_id, message)
    except Exception as error:  # one connection's failure is recorded, never raised to the others
        return error
    return None


# --- assignments ---------------------------------------------------------------------------------


def push_assignment(image: Mapping[str, Any], old_image: Mapping[str, Any] | None) -> PushOutcome:
    """A new agent copy, or a saved one: the agent hears every change (their other devices learn the
    new version) with their new counts; those who may see the agent's units hear new copies and state
    changes."""
    copy = assignment_store.copy_from_item(image)
    organization_id = copy.organization_id
    previous = old_image.get("state") if old_image else None
    outcome = PushOutcome()
    if old_image is not None and old_image.get("version") == image.get("version"):
        return outcome  # not a save: nothing the agent or a supervisor needs to hear
    own = [connection_store.agent_channel(copy.agent_id)]
    units = [connection_store.unit_channel(unit) for unit in copy.unit_ids] if previous != copy.state.value else []
    if not _current().listened(organization_id, own + units):
        return outcome
    copies = assignment_store.agent_copies(organization_id, copy.agent_id)
    view = assignment_store.copy_view(copy)
    base = {"organizationId": organization_id, "agentId": copy.agent_id, "previousState": previous}
    try:
        settings = organization_store.get_settings(organization_id)
        person = organization_store.get_person(organization_id, copy.agent_id, cached=True)
        # The agent's custom roles count as much as built-in ones: the types their permissions show.
        visible = rules.visible_types(permissions_for(person.roles, settings.custom_roles))
    except NotFound:
        visible = frozenset()
    if copy.type in visible:  # a type the agent may not see is not pushed to them either
        message = {"type": "assignment.changed", **base, "assignment": view, "counts": rules.counts(copies, visible)}
        _merge(outcome, push(organization_id, own, message, lambda reader: reader.user_id == copy.agent_id))
    if units:
        counts = rules.counts(copies, frozenset(rules.AssignmentType))
        message = {"type": "assignment.progress", **base, "assignment": view, "counts": counts}
        agent_units = frozenset(copy.unit_ids)
        _merge(outcome, push(organization_id, units, message, lambda r: may_view_agent(r, copy.agent_id, agent_units)))
    return outcome


def _merge(total: PushOutcome, part: PushOutcome) -> None:
    total.delivered += part.delivered
    total.gone += part.gone
    total.failed += part.failed
