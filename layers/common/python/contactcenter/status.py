"""The status engine: every change to an agent, manual, automatic or forced, goes through `decide`.

`decide(state, action, settings=, actor=, now=)` is pure. It first settles what time alone has done (a
wrap-up that elapsed before anyone noticed is recorded at the moment it elapsed), then applies the
action, and returns the new state with the history entries recording it, or raises a domain error
naming the rule. Services store the result in one transaction, conditional on the agent's sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contactcenter.agents import (
    Actor,
    ActorKind,
    AgentState,
    Change,
    DayTotals,
    EntryKind,
    HistoryEntry,
    NextStatus,
    WorkItem,
    WorkState,
    accumulate,
    local_day,
)
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.organization import Channel, OrganizationSettings, WrapUpMode
from contactcenter.statuses import Platform, Status

# Queues an agent is logged into at once: every change rewrites one routing item per queue in the change's
# transaction (store/agents.py), which DynamoDB limits to 100 items.
QUEUE_LOGINS_MAX = 25

# --- actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockIn:
    platform: Platform
    unit_id: str | None = None  # required when the agent belongs to several units


@dataclass(frozen=True)
class ClockOut:
    reason: str
    description: str | None = None


@dataclass(frozen=True)
class SetStatus:
    """A manual change (by the agent) or a forced one (by a supervisor); AWAY means clock-out."""

    status: Status
    reason: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class SetNextStatus:
    status: Status
    reason: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class CancelNextStatus:
    pass


@dataclass(frozen=True)
class StopNew:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class SetAutoAssignment:
    enabled: bool


@dataclass(frozen=True)
class LogIntoQueue:
    queue_id: str


@dataclass(frozen=True)
class LogOutOfQueue:
    queue_id: str


@dataclass(frozen=True)
class OfferWork:
    item_id: str
    channel: Channel
    reference: str | None = None
    queue_id: str | None = None


@dataclass(frozen=True)
class AcceptWork:
    item_id: str
    channel: Channel
    reference: str | None = None
    queue_id: str | None = None


@dataclass(frozen=True)
class RejectWork:
    item_id: str


@dataclass(frozen=True)
class EndWork:
    item_id: str


@dataclass(frozen=True)
class EndWrapUp:
    pass


@dataclass(frozen=True)
class Settle:
    """Record what time alone has done (the wrap-up sweep); nothing else."""


Action = (
    ClockIn
    | ClockOut
    | SetStatus
    | SetNextStatus
    | CancelNextStatus
    | StopNew
    | Resume
    | SetAutoAssignment
    | LogIntoQueue
    | LogOutOfQueue
    | OfferWork
    | AcceptWork
    | RejectWork
    | EndWork
    | EndWrapUp
    | Settle
)

MANUAL_TARGETS = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.OFFLINE_WORK, Status.AWAY})
WORKING = frozenset({Status.ACTIVE, Status.WRAP_UP})


# --- the one entry point -------------------------------------------------------------------------


def decide(state: AgentState, action: Action, *, settings: OrganizationSettings, actor: Actor, now: datetime) -> Change:
    """Apply one action to one agent, or raise Invalid/Forbidden/Conflict/NotFound naming the rule."""
    recorder = _Recorder(state, settings)
    settle(recorder, now)
    if isinstance(action, Settle):
        if not recorder.entries:
            raise Conflict("nothing to settle", rule="nothing_to_settle")
    else:
        _RULES[type(action)](recorder, action, actor, now)
    return Change(state=recorder.state, entries=tuple(recorder.entries))


def settled(state: AgentState, *, settings: OrganizationSettings, now: datetime) -> AgentState:
    """The state as every read shows it: a wrap-up already elapsed is over, even if not yet recorded."""
    recorder = _Recorder(state, settings)
    settle(recorder, now)
    return recorder.state


def settle(recorder: _Recorder, now: datetime) -> None:
    state = recorder.state
    if state.status is Status.WRAP_UP and state.wrap_up_ends_at is not None and state.wrap_up_ends_at <= now:
        _finish_work(recorder, Actor.system(), state.wrap_up_ends_at)


class _Recorder:
    """Accumulates the moves of one decision and the entries recording them."""

    def __init__(self, state: AgentState, settings: OrganizationSettings) -> None:
        self.state = state
        self.settings = settings
        self.entries: list[HistoryEntry] = []

    def move(
        self,
        target: Status,
        *,
        actor: Actor,
        at: datetime,
        reason: str | None = None,
        note: str | None = None,
        detail: dict[str, str] | None = None,
        **fields: object,
    ) -> None:
        """Close the time in the current status into today's totals, enter `target`, record it."""
        before = self.state
        today = accumulate(before, settings=self.settings, now=at)
        today = replace(today, entered=today.entered | {target.value: today.entered.get(target.value, 0) + 1})
        after = replace(before, status=target, since=at, reason=reason, note=note, today=today, **fields)  # type: ignore[arg-type]
        if target is Status.AVAILABLE:
            after = replace(after, idle_since=at)
        if target is not Status.ACTIVE:
            after = replace(after, stop_new=False)
        if target is not Status.WRAP_UP:
            after = replace(after, wrap_up_ends_at=None, wrap_up_queue=None)
        if target is Status.AWAY:
            # Clocked out holds nothing, not even an offer (rejecting it would otherwise clock the agent back in).
            after = replace(
                after, today=replace(today, last_clock_out=at), unit_id=None, queues=(), next_status=None, work_items=()
            )
        self.record(after, EntryKind.STATUS, actor=actor, at=at, before=before, detail=detail)

    def record(
        self,
        after: AgentState,
        kind: EntryKind,
        *,
        actor: Actor,
        at: datetime,
        before: AgentState | None = None,
        detail: dict[str, str] | None = None,
    ) -> None:
        before = before or self.state
        sequence = before.sequence + 1
        self.entries.append(
            HistoryEntry(
                sequence=sequence,
                at=at,
                kind=kind,
                from_status=before.status,
                to_status=after.status,
                reason=after.reason,
                note=after.note,
                actor=actor,
                platform=after.platform or before.platform,
                unit_id=after.unit_id or before.unit_id,
                detail=detail or {},
            )
        )
        self.state = replace(after, sequence=sequence)


# --- rules, one function per action --------------------------------------------------------------


def _clock_in(recorder: _Recorder, action: ClockIn, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    if actor.kind is ActorKind.SUPERVISOR:
        raise Forbidden("only the agent clocks in", rule="agent_clocks_in")
    _require_tracked(state, settings)
    if action.platform not in settings.clock_in_platforms:
        raise Forbidden(
            f"clock-in from {action.platform} is not allowed in this organization",
            field="platform",
            rule="platform_not_allowed",
        )
    if state.clocked_in:
        raise Conflict("the agent is already clocked in", rule="already_clocked_in")
    if not settings.policy.allows(Status.AWAY, Status.AVAILABLE):
        raise Conflict("the policy does not allow clock-in", rule="transition_not_allowed")
    unit_id = _pick_unit(state, action.unit_id, settings)
    recorder.move(Status.AVAILABLE, actor=actor, at=now, unit_id=unit_id, platform=action.platform)
    today = recorder.state.today or DayTotals(day=local_day(now, settings))
    recorder.state = replace(
        recorder.state, today=replace(today, first_clock_in=today.first_clock_in or now, last_clock_in=now)
    )


def _clock_out(recorder: _Recorder, action: ClockOut, actor: Actor, now: datetime) -> None:
    _apply_status(recorder, SetStatus(Status.AWAY, action.reason, action.description), actor, now)


def _set_status(recorder: _Recorder, action: SetStatus, actor: Actor, now: datetime) -> None:
    _apply_status(recorder, action, actor, now)


def _apply_status(recorder: _Recorder, action: SetStatus, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    forced = actor.kind is ActorKind.SUPERVISOR
    target = action.status
    if target not in MANUAL_TARGETS:
        raise Invalid(f"{target} is set only by the system", field="status", rule="automatic_status")
    if not state.clocked_in:
        if target is Status.AWAY:
            raise Conflict("the agent is not clocked in", rule="not_clocked_in")
        raise Conflict("clock in first", rule="not_clocked_in")
    reason, note = _validated_reason(target, action.reason, action.description, settings)
    if target is state.status and reason == state.reason:
        raise Conflict(f"the agent is already {target}", rule="no_change")
    if state.status in WORKING:
        _check_leaving_work(state, target, forced=forced, settings=settings)
    elif not settings.policy.allows(state.status, target):
        raise Conflict(f"the policy does not allow {state.status} -> {target}", rule="transition_not_allowed")
    released = {"released": ",".join(i.item_id for i in state.work_items)} if state.work_items else None
    recorder.move(
        target,
        actor=actor,
        at=now,
        reason=reason,
        note=note,
        detail=released,
        work_items=(),
        next_status=None,
    )


def _check_leaving_work(state: AgentState, target: Status, *, forced: bool, settings: OrganizationSettings) -> None:
    """ACTIVE and WRAP_UP end by themselves; clock-out (where allowed) or a supervisor may cut them short."""
    if target is Status.AWAY:
        if not settings.policy.allows(state.status, target):  # a replaced policy may keep work to the end
            raise Conflict(f"the policy does not allow {state.status} -> {target}", rule="transition_not_allowed")
        if state.status is Status.ACTIVE and not forced and not settings.clock_out_while_active:
            raise Conflict(
                "clocking out while handling work is not allowed in this organization",
                rule="clock_out_while_active",
            )
        return
    if forced and target is Status.AVAILABLE:
        return  # the seeds: forcing ACTIVE -> AVAILABLE releases the work items
    raise Conflict(
        f"the agent is {state.status}: set a next status instead",
        field="status",
        rule="status_set_automatically",
    )


def _validated_reason(
    target: Status, code: str | None, description: str | None, settings: OrganizationSettings
) -> tuple[str | None, str | None]:
    if target is Status.UNAVAILABLE:
        if not code:
            raise Invalid("UNAVAILABLE needs a reason", field="reason", rule="reason_required")
        reason = settings.unavailable_reason(code)
    elif target is Status.AWAY:
        if not code:
            raise Invalid("clock-out needs a reason", field="reason", rule="reason_required")
        reason = settings.clock_out_reason(code)
    else:
        if code:
            raise Invalid(f"{target} takes no reason", field="reason", rule="reason_not_allowed")
        return None, description.strip() if description and description.strip() else None
    if reason is None:
        raise Invalid(f"unknown reason {code!r}", field="reason", rule="unknown_reason")
    note = description.strip() if description and description.strip() else None
    if reason.needs_description and note is None:
        raise Invalid(f"reason {reason.code} needs a description", field="description", rule="description_required")
    return reason.code, note


def _set_next_status(recorder: _Recorder, action: SetNextStatus, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    if state.status not in WORKING:
        raise Conflict(
            f"a next status is for agents handling work; the agent is {state.status}: change the status now",
            rule="not_working",
        )
    if action.status not in MANUAL_TARGETS:
        raise Invalid(f"{action.status} cannot be a next status", field="status", rule="automatic_status")
    reason, note = _validated_reason(action.status, action.reason, action.description, settings)
    # After work the agent would be AVAILABLE: the next status must be reachable from there.
    if action.status not in (Status.AVAILABLE, Status.AWAY) and not settings.policy.allows(
        Status.AVAILABLE, action.status
    ):
        raise Conflict(f"the policy does not allow {action.status} after work", rule="transition_not_allowed")
    pending = NextStatus(action.status, reason, note, requested_by=actor, requested_at=now)
    detail = {"nextStatus": action.status.value, "nextReason": reason or ""}
    if note:
        detail["nextNote"] = note
    if state.next_status is not None:
        detail["replaced"] = state.next_status.status.value
    recorder.record(replace(state, next_status=pending), EntryKind.NEXT_STATUS, actor=actor, at=now, detail=detail)


def _cancel_next_status(recorder: _Recorder, action: CancelNextStatus, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if state.next_status is None:
        raise Conflict("no next status is pending", rule="no_next_status")
    detail = {"cancelled": state.next_status.status.value}
    recorder.record(replace(state, next_status=None), EntryKind.NEXT_STATUS, actor=actor, at=now, detail=detail)


def _stop_new(recorder: _Recorder, action: StopNew, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if state.status is not Status.ACTIVE:
        raise Conflict("stop-new is for an agent handling work", rule="not_active")
    if state.stop_new:
        raise Conflict("new work is already stopped", rule="no_change")
    recorder.record(replace(state, stop_new=True), EntryKind.FLAG, actor=actor, at=now, detail={"stopNew": "true"})


def _resume(recorder: _Recorder, action: Resume, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if not state.stop_new:
        raise Conflict("new work is not stopped", rule="no_change")
    recorder.record(replace(state, stop_new=False), EntryKind.FLAG, actor=actor, at=now, detail={"stopNew": "false"})


def _set_auto_assignment(recorder: _Recorder, action: SetAutoAssignment, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if actor.kind is ActorKind.AGENT:
        raise Forbidden("automatic assignment is switched by a supervisor", rule="supervisor_only")
    if state.auto_assignment == action.enabled:
        raise Conflict(f"automatic assignment is already {'on' if action.enabled else 'off'}", rule="no_change")
    detail = {"autoAssignment": "true" if action.enabled else "false"}
    recorder.record(replace(state, auto_assignment=action.enabled), EntryKind.FLAG, actor=actor, at=now, detail=detail)


def _log_into_queue(recorder: _Recorder, action: LogIntoQueue, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    if settings.queue(action.queue_id) is None:
        raise NotFound(f"no queue {action.queue_id!r}", field="queueId", rule="unknown_queue")
    if not state.clocked_in:
        raise Conflict("clock in before logging into queues", rule="not_clocked_in")
    if action.queue_id in state.queues:
        raise Conflict("already logged into this queue", rule="no_change")
    if len(state.queues) >= QUEUE_LOGINS_MAX:
        raise Conflict(
            f"an agent is logged into at most {QUEUE_LOGINS_MAX} queues: log out of one first",
            field="queueId",
            rule="queue_login_limit",
        )
    unassigned = action.queue_id not in state.assigned_queues
    if unassigned and settings.restrict_unassigned_queues and actor.kind is ActorKind.AGENT:
        raise Forbidden(
            "this organization restricts access to queues you are not assigned to",
            field="queueId",
            rule="unassigned_queue",
        )
    detail = {"queue": action.queue_id, "queueAction": "login"}
    after = replace(state, queues=(*state.queues, action.queue_id))
    recorder.record(after, EntryKind.QUEUE, actor=actor, at=now, detail=detail)


def _log_out_of_queue(recorder: _Recorder, action: LogOutOfQueue, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if action.queue_id not in state.queues:
        raise Conflict("not logged into this queue", field="queueId", rule="not_logged_in")
    detail = {"queue": action.queue_id, "queueAction": "logout"}
    after = replace(state, queues=tuple(q for q in state.queues if q != action.queue_id))
    recorder.record(after, EntryKind.QUEUE, actor=actor, at=now, detail=detail)


def _offer_work(recorder: _Recorder, action: OfferWork, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if not state.clocked_in:
        raise Conflict("the agent is not clocked in", rule="not_clocked_in")
    if state.item(action.item_id) is not None:
        raise Conflict("this work item is already with the agent", field="itemId", rule="duplicate_item")
    _check_room_for(state, action.channel, recorder.settings)
    item = WorkItem(action.item_id, action.channel, WorkState.OFFERED, now, action.reference, action.queue_id)
    detail = _item_detail(item, "offered")
    recorder.record(
        replace(state, work_items=(*state.work_items, item)),
        EntryKind.WORK,
        actor=actor,
        at=now,
        detail=detail,
    )


def _accept_work(recorder: _Recorder, action: AcceptWork, actor: Actor, now: datetime) -> None:
    state = recorder.state
    if not state.clocked_in:
        raise Conflict("an agent who is not clocked in cannot start work", rule="not_clocked_in")
    existing = state.item(action.item_id)
    if existing is not None and existing.state is WorkState.ACTIVE:
        raise Conflict("this work item is already in hand", field="itemId", rule="duplicate_item")
    if existing is None:
        _check_room_for(state, action.channel, recorder.settings)
    item = WorkItem(
        action.item_id,
        existing.channel if existing else action.channel,
        WorkState.ACTIVE,
        now,
        action.reference or (existing.reference if existing else None),
        action.queue_id or (existing.queue_id if existing else None),
    )
    others = tuple(i for i in state.work_items if i.item_id != action.item_id)
    detail = _item_detail(item, "accepted")
    if state.status is Status.ACTIVE:
        recorder.record(
            replace(state, work_items=(*others, item), idle_since=now),
            EntryKind.WORK,
            actor=actor,
            at=now,
            detail=detail,
        )
        return
    recorder.move(Status.ACTIVE, actor=actor, at=now, detail=detail, work_items=(*others, item), idle_since=now)


def _check_room_for(state: AgentState, channel: Channel, settings: OrganizationSettings) -> None:
    """An agent holds at most the organization's limit of work items per channel (offered or in hand)."""
    limit = settings.work_item_limit(channel)
    if sum(1 for item in state.work_items if item.channel is channel) >= limit:
        raise Conflict(
            f"the agent already holds {limit} {channel.value} work items, this organization's limit: end or "
            "reject one first",
            field="itemId",
            rule="work_item_limit",
        )


def _reject_work(recorder: _Recorder, action: RejectWork, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    item = state.item(action.item_id)
    if item is None or item.state is not WorkState.OFFERED:
        raise Conflict("no such offer to reject", field="itemId", rule="not_offered")
    remaining = tuple(i for i in state.work_items if i.item_id != action.item_id)
    detail = {"item": action.item_id, "workAction": "rejected"}
    if not settings.break_on_reject or state.status is Status.UNAVAILABLE:
        recorder.record(replace(state, work_items=remaining), EntryKind.WORK, actor=actor, at=now, detail=detail)
        return
    if state.status in WORKING:
        # Busy with other work: the break comes when that work is over (unless the agent chose otherwise).
        pending = state.next_status or NextStatus(Status.UNAVAILABLE, "BREAK", None, Actor.system(), now)
        if state.next_status is None:
            detail |= {"nextStatus": pending.status.value, "nextReason": "BREAK"}
        recorder.record(
            replace(state, work_items=remaining, next_status=pending),
            EntryKind.WORK,
            actor=actor,
            at=now,
            detail=detail,
        )
        return
    recorder.move(Status.UNAVAILABLE, actor=Actor.system(), at=now, reason="BREAK", detail=detail, work_items=remaining)


def _end_work(recorder: _Recorder, action: EndWork, actor: Actor, now: datetime) -> None:
    state = recorder.state
    item = state.item(action.item_id)
    if item is None or item.state is not WorkState.ACTIVE:
        raise Conflict("this work item is not in hand", field="itemId", rule="not_in_hand")
    remaining = tuple(i for i in state.work_items if i.item_id != action.item_id)
    detail = {"item": action.item_id, "workAction": "ended"}
    if any(i.state is WorkState.ACTIVE for i in remaining):
        recorder.record(replace(state, work_items=remaining), EntryKind.WORK, actor=actor, at=now, detail=detail)
        return
    seconds, _ = recorder.settings.wrap_up_for(item.queue_id)
    if seconds > 0:
        ends_at = now + timedelta(seconds=seconds)
        detail["wrapUpEndsAt"] = ends_at.isoformat(timespec="milliseconds")
        if item.queue_id:
            detail["wrapUpQueue"] = item.queue_id
        recorder.move(
            Status.WRAP_UP,
            actor=Actor.system(),
            at=now,
            detail=detail,
            work_items=remaining,
            wrap_up_ends_at=ends_at,
            wrap_up_queue=item.queue_id,
        )
        return
    recorder.state = replace(state, work_items=remaining)
    _finish_work(recorder, Actor.system(), now, detail=detail)


def _item_detail(item: WorkItem, work_action: str) -> dict[str, str]:
    """What the history needs to rebuild the item (replay.py): the channel counts for routing."""
    detail = {"item": item.item_id, "workAction": work_action, "channel": item.channel.value}
    if item.queue_id:
        detail["queueId"] = item.queue_id
    if item.reference:
        detail["reference"] = item.reference
    return detail


def _end_wrap_up(recorder: _Recorder, action: EndWrapUp, actor: Actor, now: datetime) -> None:
    state, settings = recorder.state, recorder.settings
    if state.status is not Status.WRAP_UP:
        raise Conflict("the agent is not in wrap-up", rule="not_in_wrap_up")
    _, mode = settings.wrap_up_for(state.wrap_up_queue)
    if actor.kind is ActorKind.AGENT and mode is WrapUpMode.TIMEBOXED:
        raise Forbidden("wrap-up is timeboxed here: it ends by itself", rule="wrap_up_timeboxed")
    _finish_work(recorder, actor, now)


def _finish_work(recorder: _Recorder, actor: Actor, at: datetime, detail: dict[str, str] | None = None) -> None:
    """Work and wrap-up are over: the pending next status applies, else AVAILABLE."""
    pending = recorder.state.next_status
    if pending is None:
        recorder.move(Status.AVAILABLE, actor=actor, at=at, detail=detail)
    else:
        recorder.move(
            pending.status,
            actor=actor,
            at=at,
            reason=pending.reason,
            note=pending.note,
            detail=detail,
            next_status=None,
        )


# One rule per action; each takes (recorder, action, actor, now).
_RULES: dict[type, Callable[[_Recorder, Any, Actor, datetime], None]] = {
    ClockIn: _clock_in,
    ClockOut: _clock_out,
    SetStatus: _set_status,
    SetNextStatus: _set_next_status,
    CancelNextStatus: _cancel_next_status,
    StopNew: _stop_new,
    Resume: _resume,
    SetAutoAssignment: _set_auto_assignment,
    LogIntoQueue: _log_into_queue,
    LogOutOfQueue: _log_out_of_queue,
    OfferWork: _offer_work,
    AcceptWork: _accept_work,
    RejectWork: _reject_work,
    EndWork: _end_work,
    EndWrapUp: _end_wrap_up,
}


# --- checks shared by the rules ------------------------------------------------------------------


def _require_tracked(state: AgentState, settings: OrganizationSettings) -> None:
    if not settings.tracking_enabled:
        raise Forbidden("attendance tracking is off in this organization", rule="tracking_disabled")
    if not settings.tracked_groups.intersection(state.groups):
        raise Forbidden("this agent is not in a tracked group", rule="agent_not_tracked")


def _pick_unit(state: AgentState, requested: str | None, settings: OrganizationSettings) -> str:
    if requested is None:
        if len(state.units) == 1:
            return state.units[0]
        raise Invalid("the agent belongs to several units: pick one", field="unitId", rule="unit_required")
    if requested not in state.units or requested not in settings.unit_ids():
        raise Invalid(f"unit {requested!r} is not one of the agent's units", field="unitId", rule="unknown_unit")
    return requested


# --- what a client may do next, and routing ------------------------------------------------------


def allowed_statuses(state: AgentState, settings: OrganizationSettings) -> list[str]:
    """The statuses the agent may choose now (AWAY = clock-out), for the console's menu."""
    if state.status in WORKING:
        allowed = {Status.AWAY} if state.status is not Status.ACTIVE or settings.clock_out_while_active else set()
        return sorted(allowed & settings.policy.targets(state.status))
    targets = set(settings.policy.targets(state.status)) & MANUAL_TARGETS
    if state.status is not Status.UNAVAILABLE:
        targets.discard(state.status)
    return sorted(targets)


def is_routable(state: AgentState, queue_id: str, settings: OrganizationSettings) -> bool:
    """Clocked in, logged into the queue, automatic assignment on, and AVAILABLE or ACTIVE with room."""
    if not state.clocked_in or queue_id not in state.queues or not state.auto_assignment:
        return False
    if state.status is Status.AVAILABLE:
        return True
    if state.status is not Status.ACTIVE or state.stop_new:
        return False
    queue = settings.queue(queue_id)
    if queue is None:
        return False
    in_hand = sum(1 for item in state.work_items if item.channel is queue.channel)
    return in_hand < settings.concurrency.get(queue.channel, 1)
