"""An agent's live state and history entries: plain data. The rules that change them are in status.py."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from contactcenter.organization import Channel, OrganizationSettings
from contactcenter.statuses import CLOCKED_IN, Platform, Status

# The largest history sequence number (and version) a client may name: 2^53 - 1, what a browser's JSON
# numbers hold exactly, and far within DynamoDB's 38 digits (a larger one was a 500 where AWS refused it).
SEQUENCE_MAX = 2**53 - 1


class ActorKind(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"  # the system itself, or an integration (router, ticketing) reporting work


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user_id: str  # the agent's, supervisor's or integration client's id; "system" for the timer

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "system")


class WorkState(StrEnum):
    OFFERED = "offered"
    ACTIVE = "active"


@dataclass(frozen=True)
class WorkItem:
    item_id: str
    channel: Channel
    state: WorkState
    since: datetime
    reference: str | None = None  # the external ticket / call id to jump to
    queue_id: str | None = None


@dataclass(frozen=True)
class NextStatus:
    """What to become when work and wrap-up are over, in place of AVAILABLE."""

    status: Status
    reason: str | None
    note: str | None
    requested_by: Actor
    requested_at: datetime


@dataclass(frozen=True)
class DayTotals:
    """Today's time per status and per unavailable reason, in milliseconds, kept by every change."""

    day: str  # the organization's local date, ISO format
    per_status_ms: dict[str, int] = field(default_factory=dict)
    per_reason_ms: dict[str, int] = field(default_factory=dict)
    entered: dict[str, int] = field(default_factory=dict)  # times each status was entered (for averages)
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
    assigned_queues: tuple[str, ...] = ()  # standing membership, set by administrators
    status: Status = Status.AWAY
    since: datetime | None = None
    reason: str | None = None
    note: str | None = None
    unit_id: str | None = None  # the unit the agent clocked in for
    platform: Platform | None = None
    queues: tuple[str, ...] = ()  # queues the agent is logged into now
    work_items: tuple[WorkItem, ...] = ()
    stop_new: bool = False
    auto_assignment: bool = True
    next_status: NextStatus | None = None
    wrap_up_ends_at: datetime | None = None
    wrap_up_queue: str | None = None  # whose wrap-up mode applies (None: the organization's)
    idle_since: datetime | None = None  # for "longest idle first"
    sequence: int = 0  # one more with every change; pushes carry it so clients can spot a gap
    today: DayTotals | None = None

    @property
    def clocked_in(self) -> bool:
        return self.status in CLOCKED_IN

    @property
    def home_unit(self) -> str | None:
        return self.unit_id or (self.units[0] if self.units else None)

    def active_items(self) -> tuple[WorkItem, ...]:
        return tuple(item for item in self.work_items if item.state is WorkState.ACTIVE)

    def item(self, item_id: str) -> WorkItem | None:
        return next((item for item in self.work_items if item.item_id == item_id), None)


class EntryKind(StrEnum):
    STATUS = "status"  # the status changed (clock-in and clock-out included)
    WORK = "work"  # work items changed, status did not
    QUEUE = "queue"  # queue login or logout
    FLAG = "flag"  # stopNew / autoAssignment
    NEXT_STATUS = "next_status"  # a next status set, replaced or cancelled


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: append-only, numbered by the agent's sequence."""

    sequence: int
    at: datetime
    kind: EntryKind
    from_status: Status
    to_status: Status
    reason: str | None
    note: str | None
    actor: Actor
    platform: Platform | None
    unit_id: str | None
    detail: dict[str, str] = field(default_factory=dict)  # what else changed: queue, item, flag...


@dataclass(frozen=True)
class Change:
    """The state after one request, and the entries recording it (usually one; a wrap-up that elapsed
    before the request was noticed is recorded first, at the moment it elapsed)."""

    state: AgentState
    entries: tuple[HistoryEntry, ...]

    @property
    def entry(self) -> HistoryEntry:
        return self.entries[-1]


def local_day(now: datetime, settings: OrganizationSettings) -> str:
    return now.astimezone(settings.zone).date().isoformat()


def accumulate(state: AgentState, *, settings: OrganizationSettings, now: datetime) -> DayTotals:
    """Today's totals with the time in the current status up to `now` added (split at local midnight)."""
    day = local_day(now, settings)
    if state.today is not None and state.today.day == day:
        totals = state.today
    else:
        # A new local day: a status carried over midnight counts as entered once today.
        totals = DayTotals(day=day, entered={state.status.value: 1} if state.clocked_in else {})
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
