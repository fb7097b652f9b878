"""An agent's live state and the one function every change goes through.

`decide(state, action, ...)` is pure: it takes the current state, an action, the organization's
settings, who acts and when, and returns the new state with the history entry that records it, or
raises a domain error. Callers (services) store both in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from contactcenter.errors import Conflict, Forbidden, Invalid
from contactcenter.organization import OrganizationSettings
from contactcenter.statuses import CLOCKED_IN, Platform, Status


class ActorKind(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user_id: str  # the agent's or supervisor's id; "system" for automatic changes

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "system")


@dataclass(frozen=True)
class DayTotals:
    """Today's time per status and per unavailable reason, in milliseconds, kept by every change."""

    day: str  # the organization's local date, ISO format
    per_status_ms: dict[str, int] = field(default_factory=dict)
    per_reason_ms: dict[str, int] = field(default_factory=dict)
    first_clock_in: datetime | None = None
    last_clock_in: datetime | None = None
    last_clock_out: datetime | None = None


@dataclass(frozen=True)
class AgentState:
    organization_id: str
    agent_id: str
    display_name: str
    units: tuple[str, ...]
    groups: tuple[str, ...]
    status: Status = Status.AWAY
    since: datetime | None = None
    reason: str | None = None
    note: str | None = None
    unit_id: str | None = None  # the unit the agent clocked in for
    platform: Platform | None = None
    sequence: int = 0  # one more with every change; pushes carry it so clients can spot a gap
    today: DayTotals | None = None

    @property
    def clocked_in(self) -> bool:
        return self.status in CLOCKED_IN


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: append-only, numbered by the agent's sequence."""

    sequence: int
    at: datetime
    kind: str  # "status" for now; queue and flag changes join later
    from_status: Status
    to_status: Status
    reason: str | None
    note: str | None
    actor: Actor
    platform: Platform | None
    unit_id: str | None


@dataclass(frozen=True)
class Change:
    state: AgentState
    entry: HistoryEntry


# --- actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockIn:
    platform: Platform
    unit_id: str | None = None  # required when the agent belongs to several units


@dataclass(frozen=True)
class ClockOut:
    reason: str
    description: str | None = None


Action = ClockIn | ClockOut


def decide(
    state: AgentState,
    action: Action,
    *,
    settings: OrganizationSettings,
    actor: Actor,
    now: datetime,
) -> Change:
    """Apply one action to one agent, or raise Invalid/Forbidden/Conflict naming the rule."""
    if isinstance(action, ClockIn):
        return _clock_in(state, action, settings=settings, actor=actor, now=now)
    return _clock_out(state, action, settings=settings, actor=actor, now=now)


def _clock_in(
    state: AgentState, action: ClockIn, *, settings: OrganizationSettings, actor: Actor, now: datetime
) -> Change:
    _require_tracked(state, settings)
    if action.platform not in settings.clock_in_platforms:
        raise Forbidden(
            f"clock-in from {action.platform} is not allowed in this organization",
            field="platform",
            rule="platform_not_allowed",
        )
    if state.clocked_in:
        raise Conflict("the agent is already clocked in", rule="already_clocked_in")
    unit_id = _pick_unit(state, action.unit_id, settings)
    moved = _move(state, Status.AVAILABLE, reason=None, note=None, settings=settings, now=now)
    moved = replace(moved, unit_id=unit_id, platform=action.platform)
    today = moved.today or DayTotals(day=_local_day(now, settings))
    moved = replace(
        moved,
        today=replace(today, first_clock_in=today.first_clock_in or now, last_clock_in=now),
    )
    return _record(state, moved, actor=actor, now=now)


def _clock_out(
    state: AgentState, action: ClockOut, *, settings: OrganizationSettings, actor: Actor, now: datetime
) -> Change:
    if not state.clocked_in:
        raise Conflict("the agent is not clocked in", rule="not_clocked_in")
    if state.status is Status.ACTIVE and not settings.clock_out_while_active:
        raise Conflict(
            "clocking out while handling work is not allowed in this organization",
            rule="clock_out_while_active",
        )
    if not settings.policy.allows(state.status, Status.AWAY):
        raise Conflict(f"the policy does not allow {state.status} -> AWAY", rule="transition_not_allowed")
    reason = settings.clock_out_reason(action.reason)
    if reason is None:
        raise Invalid(f"unknown clock-out reason {action.reason!r}", field="reason", rule="unknown_reason")
    if reason.needs_description and not (action.description and action.description.strip()):
        raise Invalid(
            f"clock-out reason {reason.code} needs a description",
            field="description",
            rule="description_required",
        )
    moved = _move(state, Status.AWAY, reason=reason.code, note=action.description, settings=settings, now=now)
    today = moved.today or DayTotals(day=_local_day(now, settings))
    moved = replace(moved, unit_id=None, today=replace(today, last_clock_out=now))
    return _record(state, moved, actor=actor, now=now)


# --- shared mechanics ----------------------------------------------------------------------------


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
        raise Invalid(
            f"unit {requested!r} is not one of the agent's units", field="unitId", rule="unknown_unit"
        )
    return requested


def _local_day(now: datetime, settings: OrganizationSettings) -> str:
    return now.astimezone(settings.zone).date().isoformat()


def _move(
    state: AgentState,
    target: Status,
    *,
    reason: str | None,
    note: str | None,
    settings: OrganizationSettings,
    now: datetime,
) -> AgentState:
    """Close the time spent in the current status into today's totals and enter `target`."""
    today = accumulate(state, settings=settings, now=now)
    return replace(state, status=target, since=now, reason=reason, note=note, today=today)


def accumulate(state: AgentState, *, settings: OrganizationSettings, now: datetime) -> DayTotals:
    """Today's totals with the time in the current status up to `now` added (split at local midnight)."""
    day = _local_day(now, settings)
    totals = state.today if state.today is not None and state.today.day == day else DayTotals(day=day)
    if state.since is None or not state.clocked_in:
        return totals
    local_midnight = datetime.fromisoformat(day).replace(tzinfo=settings.zone)
    start = max(state.since, local_midnight)
    elapsed_ms = max(0, (now - start) // timedelta(milliseconds=1))
    per_status = dict(totals.per_status_ms)
    per_status[state.status] = per_status.get(state.status, 0) + elapsed_ms
    per_reason = dict(totals.per_reason_ms)
    if state.status is Status.UNAVAILABLE and state.reason:
        per_reason[state.reason] = per_reason.get(state.reason, 0) + elapsed_ms
    return replace(totals, per_status_ms=per_status, per_reason_ms=per_reason)


def _record(before: AgentState, after: AgentState, *, actor: Actor, now: datetime) -> Change:
    sequence = before.sequence + 1
    entry = HistoryEntry(
        sequence=sequence,
        at=now,
        kind="status",
        from_status=before.status,
        to_status=after.status,
        reason=after.reason,
        note=after.note,
        actor=actor,
        platform=after.platform or before.platform,
        unit_id=after.unit_id or before.unit_id,
    )
    return Change(state=replace(after, sequence=sequence), entry=entry)
