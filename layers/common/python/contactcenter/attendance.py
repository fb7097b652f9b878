"""Attendance: an agent's history split into clock-in sessions and per-day totals in the organization's
time zone, and the supervisor actions of a day. Pure: histories, days and cut-off instants come in.

Exact to the second by one rounding, applied once: every change is booked at the whole second in which
it happened (its millisecond time truncated). From then on every figure is a difference of whole
seconds, so everything adds up exactly without apportioning: per agent and day the seconds per status add
up to the clocked seconds, the reasons to the unavailable seconds, the session parts and the intervals to
the day, and a row's `end - start` is its seconds. No duration is off by more than a second against the
millisecond history, and rounding errors never accumulate across a day (boundaries are truncated, not
durations).

Days are local days: a day runs from the first instant of its local date to the first instant of the
next (82,800 s on the spring daylight-saving day, 90,000 s on the autumn one in Europe). Sessions crossing
local midnight are split there; a session still open at the end of a day (or at the cut-off of a
report asked for today) is cut there and marked open.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, repeat
from operator import attrgetter, floordiv, sub
from typing import NamedTuple
from zoneinfo import ZoneInfo

from contactcenter.errors import Invalid

AWAY = "AWAY"
UNAVAILABLE = "UNAVAILABLE"
UNSPECIFIED_REASON = "UNSPECIFIED"  # an UNAVAILABLE entry without a reason (the engine never writes one)
SUPERVISOR = "supervisor"

# A day is compiled once it has been over this long: an elapsed wrap-up is recorded at the moment it
# elapsed, possibly a little after (by the sweep), and such late entries must be in before the files are.
COMPILE_GRACE = timedelta(minutes=30)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float on the way)."""
    return (moment - _EPOCH) // _MILLISECOND


class Entry(NamedTuple):
    """One history entry as reports read it (store/agents.py projects the stored item onto this)."""

    sequence: int
    at_ms: int  # epoch milliseconds
    kind: str  # "status", "work", "queue", "flag", "next_status", ... (more kinds come)
    from_status: str
    to_status: str  # the status after the entry: the only status field the computation trusts
    reason: str | None
    note: str | None
    actor_kind: str  # "agent", "supervisor" or "system"
    actor_id: str
    unit_id: str | None
    platform: str | None
    detail: Mapping[str, str] | None = None


_AT_MS = attrgetter("at_ms")
_TO_STATUS = attrgetter("to_status")
_REASON = attrgetter("reason")


@dataclass(frozen=True)
class AgentHistory:
    """An agent's entries in sequence order. They may begin before the period: the entries from the
    clock-in of the session open at its start (or the last entry before it) tell the state there."""

    agent_id: str
    display_name: str
    entries: Sequence[Entry]
    employee_number: str | None = None  # payroll's number for the person, when the organization set one
    unit_id: str | None = None  # the person's first unit: the unit of rows no clock-in names


@dataclass(frozen=True, slots=True)
class Day:
    """A local day as a half-open range of epoch seconds [start, end)."""

    date: date
    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


def day_of(local: date, zone: ZoneInfo) -> Day:
    return Day(local, _first_instant(local, zone), _first_instant(local + timedelta(days=1), zone))


def _first_instant(local: date, zone: ZoneInfo) -> int:
    # fold=0 maps a midnight that does not exist (a zone that springs forward at 00:00) to the first
    # instant after the gap, which is where that local date begins.
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    return epoch_ms(midnight) // 1000


def days_between(first: date, last: date, zone: ZoneInfo) -> list[Day]:
    count = (last - first).days + 1
    return [day_of(first + timedelta(days=offset), zone) for offset in range(count)]


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def last_compilable_day(now: datetime, zone: ZoneInfo, grace: timedelta = COMPILE_GRACE) -> date:
    """The latest local day that has been over for at least `grace` at `now`."""
    return local_date(now - grace, zone) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def checked_period(first: date, last: date, *, today: date, max_days: int, oldest: date | None = None) -> Period:
    """A requested period, or Invalid naming the field and the rule."""
    if last < first:
        raise Invalid("the period ends before it begins", field="to", rule="period_order")
    if last > today:
        raise Invalid("the period may not end after today", field="to", rule="period_in_future")
    if (last - first).days + 1 > max_days:
        raise Invalid(f"the period may cover at most {max_days} days", field="to", rule="period_too_long")
    if oldest is not None and first < oldest:
        raise Invalid(
            f"the period may not begin before {oldest.isoformat()}: older days are in the daily files",
            field="from",
            rule="period_too_old",
        )
    return Period(first, last)


def parse_date(text: str | None, *, field: str) -> date:
    """A calendar date written YYYY-MM-DD, or Invalid naming the field."""
    if not text:
        raise Invalid(f"{field} is required (YYYY-MM-DD)", field=field, rule="missing")
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise Invalid(f"{field} must be a date written YYYY-MM-DD", field=field, rule="date_format")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise Invalid(f"{field} is not a valid date: {error}", field=field, rule="date_format") from error


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionPart:
    """The part of one clock-in session that falls in one local day."""

    date: date
    agent_id: str
    agent_name: str
    session: int  # sequence number of the session's clock-in entry: the session's id for this agent
    clock_in: int  # epoch seconds, possibly on an earlier day
    unit_id: str | None
    platform: str | None
    start: int  # max(clock-in, start of the day)
    end: int  # min(clock-out, end of the day or the cut-off)
    clock_out: int | None  # when the session ended within this day
    clock_out_reason: str | None
    clock_out_note: str | None
    continued: bool  # the session began on an earlier day
    open: bool  # still clocked in at the end of this part (cut at the end of the day or the cut-off)

    @property
    def seconds(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class AgentDay:
    """One row of attendance.csv: an agent's clocked time in one local day."""

    date: date
    agent_id: str
    agent_name: str
    first_clock_in: int | None  # first clock-in within the day (None when only continued from before)
    last_clock_out: int | None  # last clock-out within the day
    sessions: int  # session parts in the day
    per_status: dict[str, int]  # clocked-in status -> seconds
    per_reason: dict[str, int]  # unavailable reason -> seconds
    clock_out_reasons: tuple[str, ...]  # in the order the clock-outs happened
    continued: bool  # clocked in at the start of the day
    open: bool  # clocked in at the end of the day (or at the cut-off)

    @property
    def clocked(self) -> int:
        return sum(self.per_status.values())


@dataclass
class Attendance:
    days: list[AgentDay] = field(default_factory=list)
    sessions: list[SessionPart] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SupervisorAction:
    """One thing a supervisor did to an agent: who, whom, when, what, why."""

    date: date
    at: int  # epoch seconds
    supervisor_id: str
    agent_id: str
    agent_name: str
    sequence: int
    kind: str
    action: str
    from_status: str
    to_status: str
    reason: str | None
    note: str | None
    detail: tuple[tuple[str, str], ...]


# --- the computation -----------------------------------------------------------------------------


def booked_seconds(entries: Sequence[Entry]) -> list[int]:
    """Each entry's booked second: its time truncated to the second, never before the entry before it
    (two Lambdas' clocks may disagree by a little; the sequence number decides the order)."""
    # map/accumulate keep the per-entry work in C: this runs for every one of half a million entries.
    return list(accumulate(map(floordiv, map(_AT_MS, entries), repeat(1000)), max))


def attend(history: AgentHistory, days: Sequence[Day], *, until: int | None = None) -> Attendance:
    """The agent's rows for each day (days with no clocked-in moment give none), cut at `until`."""
    entries = history.entries
    times = booked_seconds(entries)
    result = Attendance()
    for day in days:
        end = day.end if until is None else min(day.end, until)
        if end <= day.start:
            continue
        lo = bisect_left(times, day.start)
        hi = bisect_left(times, end, lo)
        if lo == hi and (lo == 0 or entries[lo - 1].to_status == AWAY):
            continue  # nothing happened and the agent was away: the common case, kept cheap
        _attend_day(history, entries, times, day, end, lo, hi, result)
    return result


def _attend_day(
    history: AgentHistory,
    entries: Sequence[Entry],
    times: Sequence[int],
    day: Day,
    end: int,
    lo: int,
    hi: int,
    result: Attendance,
) -> None:
    # Stretch i runs from bounds[i] to bounds[i + 1] in statuses[i] / reasons[i]: stretch 0 in the state
    # at the start of the day, stretch i > 0 in the state entry window[i - 1] led to.
    head = entries[lo - 1] if lo else None
    window = entries[lo:hi]
    statuses = [head.to_status if head else AWAY, *map(_TO_STATUS, window)]
    reasons = [head.reason if head else None, *map(_REASON, window)]
    bounds = [day.start, *times[lo:hi], end]
    # Seconds by (status, reason), away time included (dropped after): one dictionary update per stretch.
    spent: dict[tuple[str, str | None], int] = {}
    get = spent.get
    for key, seconds in zip(zip(statuses, reasons, strict=True), map(sub, bounds[1:], bounds), strict=False):
        spent[key] = get(key, 0) + seconds
    parts = _session_parts(history, day, entries, lo, window, statuses, bounds)
    if parts:
        result.sessions.extend(parts)
        result.days.append(_day_row(history, day, spent, parts))


def _session_parts(
    history: AgentHistory,
    day: Day,
    entries: Sequence[Entry],
    lo: int,
    window: Sequence[Entry],
    statuses: list[str],
    bounds: Sequence[int],
) -> list[SessionPart]:
    """The runs of clocked-in stretches: each is the part of one session that falls in the day."""
    parts = []
    count = len(statuses)
    first = 0
    while first < count:
        if statuses[first] == AWAY:
            first += 1
            continue
        try:
            last = statuses.index(AWAY, first)  # the stretch the clock-out began
        except ValueError:
            last = count
        continued = first == 0  # clocked in when the day began
        clock_in = entries[_session_start(entries, lo - 1)] if continued else window[first - 1]
        clock_out = window[last - 1] if last < count else None
        parts.append(
            SessionPart(
                date=day.date,
                agent_id=history.agent_id,
                agent_name=history.display_name,
                session=clock_in.sequence,
                clock_in=clock_in.at_ms // 1000,
                unit_id=clock_in.unit_id,
                platform=clock_in.platform,
                start=bounds[first],
                end=bounds[last],
                clock_out=bounds[last] if clock_out else None,
                clock_out_reason=clock_out.reason if clock_out else None,
                clock_out_note=clock_out.note if clock_out else None,
                continued=continued,
                open=clock_out is None,
            )
        )
        first = last + 1
    return parts


def _day_row(
    history: AgentHistory, day: Day, spent: Mapping[tuple[str, str | None], int], parts: Sequence[SessionPart]
) -> AgentDay:
    per_status: dict[str, int] = {}
    per_reason: dict[str, int] = {}
    for (status, reason), seconds in spent.items():
        if not seconds or status == AWAY:
            continue
        per_status[status] = per_status.get(status, 0) + seconds
        if status == UNAVAILABLE:
            key = reason or UNSPECIFIED_REASON
            per_reason[key] = per_reason.get(key, 0) + seconds
    clock_ins = [p.clock_in for p in parts if not p.continued]
    clock_outs = [p for p in parts if p.clock_out is not None]
    return AgentDay(
        date=day.date,
        agent_id=history.agent_id,
        agent_name=history.display_name,
        first_clock_in=clock_ins[0] if clock_ins else None,
        last_clock_out=clock_outs[-1].clock_out if clock_outs else None,
        sessions=len(parts),
        per_status=per_status,
        per_reason=per_reason,
        clock_out_reasons=tuple(p.clock_out_reason or "" for p in clock_outs),
        continued=parts[0].continued,
        open=parts[-1].open,
    )


def _session_start(entries: Sequence[Entry], index: int) -> int:
    """Index of the entry that opened the session `index` belongs to (the first after an AWAY one)."""
    while index > 0 and entries[index - 1].to_status != AWAY:
        index -= 1
    return index


class Segment(NamedTuple):
    """A stretch of clocked-in time in one status (and reason), within one day."""

    start: int
    end: int
    status: str
    reason: str | None


def segments(history: AgentHistory, day: Day, *, until: int | None = None) -> Iterator[Segment]:
    """The agent's clocked-in stretches in the day, in order (zero-length ones left out)."""
    entries = history.entries
    times = booked_seconds(entries)
    end = day.end if until is None else min(day.end, until)
    if end <= day.start:
        return
    lo = bisect_left(times, day.start)
    hi = bisect_left(times, end, lo)
    status, reason = (entries[lo - 1].to_status, entries[lo - 1].reason) if lo else (AWAY, None)
    cursor = day.start
    for index in range(lo, hi):
        moment = times[index]
        if status != AWAY and moment > cursor:
            yield Segment(cursor, moment, status, _reason(status, reason))
        entry = entries[index]
        status, reason, cursor = entry.to_status, entry.reason, moment
    if status != AWAY and end > cursor:
        yield Segment(cursor, end, status, _reason(status, reason))


def _reason(status: str, reason: str | None) -> str | None:
    return (reason or UNSPECIFIED_REASON) if status == UNAVAILABLE else None


# --- supervisor actions --------------------------------------------------------------------------

# What a supervisor's entry did, by kind and by the detail key that says more; unknown kinds (monitoring
# sessions and messages as they are added to the history) come out under their own kind name.
_ACTION_BY_DETAIL: Mapping[str, tuple[str, str]] = {
    "queue": ("queueAction", "queue_"),  # queue_login / queue_logout
    "work": ("workAction", "work_"),
    "monitoring": ("monitoringAction", "monitoring_"),
    "message": ("messageAction", "message_"),
}


def action_name(entry: Entry) -> str:
    if entry.kind == "status":
        return "clock_out" if entry.to_status == AWAY else "force_status"
    if entry.kind == "flag" and entry.detail:
        if "autoAssignment" in entry.detail:
            return "auto_assignment_" + ("on" if entry.detail["autoAssignment"] == "true" else "off")
        if "stopNew" in entry.detail:
            return "stop_new" if entry.detail["stopNew"] == "true" else "resume"
    if entry.kind == "next_status" and entry.detail:
        return "next_status_cancelled" if "cancelled" in entry.detail else "next_status_set"
    by_detail = _ACTION_BY_DETAIL.get(entry.kind)
    if by_detail and entry.detail and by_detail[0] in entry.detail:
        return by_detail[1] + entry.detail[by_detail[0]]
    return entry.kind


def supervisor_actions(history: AgentHistory, day: Day, *, until: int | None = None) -> list[SupervisorAction]:
    """Every entry a supervisor caused for this agent within the day."""
    end = day.end if until is None else min(day.end, until)
    entries = history.entries
    times = booked_seconds(entries)
    lo = bisect_left(times, day.start)
    hi = bisect_left(times, end, lo)
    return [
        SupervisorAction(
            date=day.date,
            at=times[index],
            supervisor_id=entry.actor_id,
            agent_id=history.agent_id,
            agent_name=history.display_name,
            sequence=entry.sequence,
            kind=entry.kind,
            action=action_name(entry),
            from_status=entry.from_status,
            to_status=entry.to_status,
            reason=entry.reason,
            note=entry.note,
            detail=tuple(sorted((entry.detail or {}).items())),
        )
        for index, entry in ((i, entries[i]) for i in range(lo, hi))
        if entry.actor_kind == SUPERVISOR
    ]
