"""Push stream changes to the WebSocket connections subscribed to them.

Posts go out in parallel on a bounded pool: one slow or failing connection never holds back the
others, a gone connection (410) is forgotten, and no failure of one post fails the record (the record is
only retried when finding the subscribers fails, so nobody gets a push twice because someone else failed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from contactcenter import assignments as rules
from contactcenter.access import permissions_for
from contactcenter.errors import NotFound
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


def push_message(image: Mapping[str, Any]) -> PushOutcome:
    """A supervisor's message, to the agent's own connections."""
    message = {
        "type": "agent.message",
        **{k: image.get(k) for k in ("agentId", "messageId", "at", "fromId", "fromName", "text")},
    }
    return push(image["organizationId"], [connection_store.agent_channel(image["agentId"])], message)


def push_rule_firing(image: Mapping[str, Any]) -> PushOutcome:
    """A status rule's tier fired: the supervisors of the agent's unit see it (and the agent, if the tier
    says so). A tier that only forces or publishes still shows on the dashboard, as an action."""
    message = {"type": "rule.fired", **{k: image.get(k) for k in _FIRING_KEYS}}
    channels = [connection_store.unit_channel(image["unitId"])] if image.get("unitId") else []
    if image.get("notifyAgent"):
        channels.append(connection_store.agent_channel(image["agentId"]))
    return push(image["organizationId"], channels, message)


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
    return push(image["organizationId"], channels, message)


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
    """One stream batch's pushes. Each channel's subscribers are looked up once per batch; each
    connection then gets its messages in the order of the records, connections in parallel; what must
    happen after the pushes (closing a forced-out agent's sessions) runs last."""

    def __init__(self) -> None:
        self._subscribers: dict[tuple[str, str], frozenset[str]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._afterwards: list[Callable[[], object]] = []

    def add(self, organization_id: str, channels: Iterable[str], message: dict[str, Any]) -> int:
        targets: set[str] = set()
        for channel in channels:
            key = (organization_id, channel)
            if key not in self._subscribers:
                self._subscribers[key] = frozenset(connection_store.subscribers(organization_id, [channel]))
            targets |= self._subscribers[key]
        for connection_id in sorted(targets):
            self._messages.setdefault(connection_id, []).append(message)
        return len(targets)

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
        for action in self._afterwards:
            action()
        self._messages.clear()
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
def batch() -> Iterator[Outbox]:
    """Collect the pushes of one invocation and deliver them together at the end."""
    global _outbox  # noqa: PLW0603 - one invocation at a time per execution environment
    _outbox = Outbox()
    try:
        yield _outbox
        _outbox.deliver()
    finally:
        _outbox = None


def push(organization_id: str, channels: Iterable[str], message: dict[str, Any]) -> PushOutcome:
    """Inside `batch()` the message joins the batch's outbox; outside it is delivered at once."""
    if _outbox is not None:
        return PushOutcome(delivered=_outbox.add(organization_id, channels, message))
    outbox = Outbox()
    outbox.add(organization_id, channels, message)
    return outbox.deliver()


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
    new version) with their new counts; the units they work in hear new copies and state changes."""
    copy = assignment_store.copy_from_item(image)
    organization_id = copy.organization_id
    previous = old_image.get("state") if old_image else None
    outcome = PushOutcome()
    if old_image is not None and old_image.get("version") == image.get("version"):
        return outcome  # not a save: nothing the agent or a supervisor needs to hear
    own = sorted(connection_store.subscribers(organization_id, [connection_store.agent_channel(copy.agent_id)]))
    units = [connection_store.unit_channel(unit) for unit in copy.unit_ids]
    supervising = sorted(connection_store.subscribers(organization_id, units)) if previous != copy.state.value else []
    if not own and not supervising:
        return outcome
    copies = assignment_store.agent_copies(organization_id, copy.agent_id)
    view = assignment_store.copy_view(copy)
    base = {"organizationId": organization_id, "agentId": copy.agent_id, "previousState": previous}
    if own:
        try:
            person = organization_store.get_person(organization_id, copy.agent_id)
            visible = rules.visible_types(permissions_for(person.roles))
        except NotFound:
            visible = frozenset()
        if copy.type in visible:  # a type the agent may not see is not pushed to them either
            message = {"type": "assignment.changed", **base, "assignment": view}
            _merge(outcome, post_all(own, {**message, "counts": rules.counts(copies, visible)}))
    if supervising:
        counts = rules.counts(copies, frozenset(rules.AssignmentType))
        message = {"type": "assignment.progress", **base, "assignment": view, "counts": counts}
        _merge(outcome, post_all(supervising, message))
    return outcome


def _merge(total: PushOutcome, part: PushOutcome) -> None:
    total.delivered += part.delivered
    total.gone += part.gone
    total.failed += part.failed
