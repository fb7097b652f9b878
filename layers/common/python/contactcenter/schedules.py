"""Schedules: what each agent is planned to do on a local day (work, break, lunch, meeting, training,
off), and which statuses adhere to each kind of activity in an organization. Pure.

An activity lies within its local day, from a start to an end in whole seconds; activities of a day do
not overlap (a night shift is written as two days). Times come as local wall-clock times ("08:30",
"24:00" for the end of the day) or as ISO 8601 instants with an offset; a wall-clock time that happens
twice on the autumn daylight-saving day must be written with its offset, and one that never happens (the
spring gap) is refused.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from contactcenter.attendance import Day, day_of
from contactcenter.errors import Invalid
from contactcenter.statuses import Status

MAX_ACTIVITIES = 48  # a day in half-hours
MAX_IMPORT_ROWS = 20_000
CSV_HEADER = ("agent_id", "date", "kind", "start", "end")
_WALL = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])(?::([0-5][0-9]))?$")
_AGENT = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class ActivityKind(StrEnum):
    WORK = "work"
    BREAK = "break"
    LUNCH = "lunch"
    MEETING = "meeting"
    TRAINING = "training"
    OFF = "off"


class AdherentState(BaseModel):
    """A status, and for UNAVAILABLE optionally one reason (None: any reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    status: Status
    reason: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]{0,39}$")


class ActivityAdherence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    states: tuple[AdherentState, ...] = Field(min_length=1, max_length=20)
    tolerance_minutes: int = Field(default=0, ge=0, le=120)


def _state(status: Status, reason: str | None = None) -> AdherentState:
    return AdherentState(status=status, reason=reason)


_WORKING = (_state(Status.AVAILABLE), _state(Status.ACTIVE), _state(Status.WRAP_UP))
DEFAULT_ACTIVITIES: Mapping[ActivityKind, ActivityAdherence] = {
    ActivityKind.WORK: ActivityAdherence(states=_WORKING, tolerance_minutes=2),
    ActivityKind.BREAK: ActivityAdherence(
        states=(_state(Status.UNAVAILABLE, "BREAK"), _state(Status.AWAY)), tolerance_minutes=2
    ),
    ActivityKind.LUNCH: ActivityAdherence(
        states=(_state(Status.UNAVAILABLE, "BREAK"), _state(Status.AWAY)), tolerance_minutes=2
    ),
    ActivityKind.MEETING: ActivityAdherence(states=(_state(Status.UNAVAILABLE, "MEETING"),), tolerance_minutes=2),
    ActivityKind.TRAINING: ActivityAdherence(
        states=(_state(Status.UNAVAILABLE, "MEETING"), _state(Status.OFFLINE_WORK)), tolerance_minutes=2
    ),
    ActivityKind.OFF: ActivityAdherence(states=(_state(Status.AWAY),), tolerance_minutes=0),
}


class AdherenceSettings(BaseModel):
    """Per organization: the states adhering to each kind of activity, each kind's tolerance (a mismatch
    shorter than it counts as adherent), and when an episode out of adherence becomes severe."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    activities: dict[ActivityKind, ActivityAdherence] = Field(default_factory=lambda: dict(DEFAULT_ACTIVITIES))
    severe_minutes: int = Field(default=15, ge=1, le=480)

    @field_validator("activities")
    @classmethod
    def _every_kind(cls, value: dict[ActivityKind, ActivityAdherence]) -> dict[ActivityKind, ActivityAdherence]:
        missing = sorted(kind.value for kind in set(ActivityKind) - set(value))
        if missing:
            raise ValueError(f"activity_kind_missing: say what adheres to {missing}")
        return value

    def adheres(self, kind: ActivityKind, status: str, reason: str | None) -> bool:
        return any(
            s.status == status and (s.reason is None or s.reason == reason) for s in self.activities[kind].states
        )

    def tolerance_seconds(self, kind: ActivityKind) -> int:
        return self.activities[kind].tolerance_minutes * 60

    @property
    def severe_seconds(self) -> int:
        return self.severe_minutes * 60


@dataclass(frozen=True, slots=True)
class Activity:
    kind: ActivityKind
    start: int  # epoch seconds
    end: int


@dataclass(frozen=True)
class AgentSchedule:
    """One agent's plan for one local day."""

    agent_id: str
    date: date
    activities: tuple[Activity, ...]
    version: int = 0


@dataclass(frozen=True)
class ApprovedException:
    """Time a supervisor approved as adherent whatever the agent did (a coaching, an outage)."""

    exception_id: str
    agent_id: str
    start: int
    end: int
    note: str
    approved_by: str
    approved_at: datetime


# --- parsing -------------------------------------------------------------------------------------


def parse_moment(text: str, day: Day, zone: ZoneInfo, *, field_name: str) -> int:
    """A wall-clock time of the day or an ISO 8601 instant with an offset, in epoch seconds."""
    text = text.strip()
    wall = _WALL.match(text)
    if wall:
        hours, minutes, seconds = int(wall.group(1)), int(wall.group(2)), int(wall.group(3) or 0)
        if hours == 24:
            if minutes or seconds:
                raise Invalid(f"{field_name} {text!r} is past the end of the day", field=field_name, rule="time_format")
            return day.end
        local = datetime(day.date.year, day.date.month, day.date.day, hours, minutes, seconds)
        first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            if _round_trips(first, zone):
                raise Invalid(
                    f"{field_name} {text!r} happens twice this day (daylight saving): give it with its offset",
                    field=field_name,
                    rule="ambiguous_local_time",
                )
            raise Invalid(
                f"{field_name} {text!r} does not happen this day (daylight saving)",
                field=field_name,
                rule="nonexistent_local_time",
            )
        return int(first.timestamp())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{field_name} {text!r} is neither HH:MM[:SS] nor an ISO 8601 time with an offset",
            field=field_name,
            rule="time_format",
        ) from None
    if moment.tzinfo is None:
        raise Invalid(f"{field_name} {text!r} needs an offset", field=field_name, rule="time_format")
    if moment.microsecond:
        raise Invalid(f"{field_name} {text!r}: schedules are in whole seconds", field=field_name, rule="time_format")
    return int(moment.timestamp())


def _round_trips(moment: datetime, zone: ZoneInfo) -> bool:
    back = moment.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


@dataclass(frozen=True)
class ActivityDraft:
    kind: str
    start: str
    end: str


def build_schedule(
    agent_id: str, day: date, drafts: Sequence[ActivityDraft], zone: ZoneInfo, *, field_prefix: str = "activities"
) -> AgentSchedule:
    """The agent's day from its activities as written, or Invalid naming the activity and the rule."""
    if len(drafts) > MAX_ACTIVITIES:
        raise Invalid(f"at most {MAX_ACTIVITIES} activities a day", field=field_prefix, rule="too_many")
    local = day_of(day, zone)
    activities = [_activity(draft, local, zone, f"{field_prefix}[{i}]") for i, draft in enumerate(drafts)]
    ordered = sorted(activities, key=lambda a: a.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            index = activities.index(after)
            raise Invalid(
                f"{field_prefix}[{index}] overlaps another activity", field=f"{field_prefix}[{index}]", rule="overlap"
            )
    return AgentSchedule(agent_id, day, tuple(ordered))


def _activity(draft: ActivityDraft, day: Day, zone: ZoneInfo, where: str) -> Activity:
    try:
        kind = ActivityKind(draft.kind.strip().lower())
    except ValueError:
        raise Invalid(
            f"{where}.kind {draft.kind!r} is not one of {[k.value for k in ActivityKind]}",
            field=f"{where}.kind",
            rule="unknown_activity",
        ) from None
    start = parse_moment(draft.start, day, zone, field_name=f"{where}.start")
    end = parse_moment(draft.end, day, zone, field_name=f"{where}.end")
    if end <= start:
        raise Invalid(f"{where} ends before it starts", field=f"{where}.end", rule="activity_order")
    if start < day.start or end > day.end:
        raise Invalid(
            f"{where} lies outside its day {day.date.isoformat()} (a night shift is two days)",
            field=f"{where}.start",
            rule="activity_outside_day",
        )
    return Activity(kind, start, end)


# --- imports: every bad row reported, the good ones applied -------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based data row (CSV: the header is row 0) or index in the JSON list
    field: str | None
    rule: str
    message: str

    def view(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class ImportPlan:
    """What an import will write: each agent-day's new schedule, and the rows refused."""

    schedules: list[AgentSchedule] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows_applied: int = 0


@dataclass(frozen=True)
class ImportRow:
    row: int
    agent_id: str
    date: str
    kind: str
    start: str
    end: str


def csv_rows(text: str) -> tuple[list[ImportRow], list[RowProblem]]:
    """The CSV's rows (header agent_id,date,kind,start,end); rows with the wrong number of cells are problems."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise Invalid("the CSV is empty", field="body", rule="empty_import") from None
    if tuple(header) != CSV_HEADER:
        raise Invalid(f"the header must be {','.join(CSV_HEADER)}", field="body", rule="csv_header")
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    for number, cells in enumerate(reader, start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(CSV_HEADER):
            problems.append(
                RowProblem(number, None, "csv_cells", f"expected {len(CSV_HEADER)} cells, got {len(cells)}")
            )
            continue
        rows.append(ImportRow(number, *(c.strip() for c in cells)))
        if len(rows) > MAX_IMPORT_ROWS:
            raise Invalid(f"at most {MAX_IMPORT_ROWS} rows an import", field="body", rule="too_many")
    return rows, problems


def plan_import(
    rows: Iterable[ImportRow], zone: ZoneInfo, *, known_agents: frozenset[str], today: date, horizon_days: int = 400
) -> ImportPlan:
    """Each agent-day named by a good row gets exactly its good rows as its new schedule; a row that is
    bad alone (unknown agent, bad time) or against its day's other rows (overlap) is reported by number."""
    plan = ImportPlan()
    days: dict[tuple[str, date], list[tuple[ImportRow, Activity]]] = {}
    for row in rows:
        try:
            if not _AGENT.match(row.agent_id) or row.agent_id not in known_agents:
                raise Invalid(f"no agent {row.agent_id!r} in this organization", field="agent_id", rule="unknown_agent")
            day = _date(row.date)
            if abs((day - today).days) > horizon_days:
                raise Invalid(f"{row.date} is more than {horizon_days} days away", field="date", rule="date_range")
            local = day_of(day, zone)
            activity = _activity(ActivityDraft(row.kind, row.start, row.end), local, zone, "row")
        except Invalid as error:
            plan.problems.append(RowProblem(row.row, _column(error.field), error.rule, error.message))
            continue
        days.setdefault((row.agent_id, day), []).append((row, activity))
    for (agent_id, day), entries in sorted(days.items()):
        kept: list[Activity] = []
        for row, activity in sorted(entries, key=lambda e: (e[1].start, e[0].row)):
            if kept and activity.start < kept[-1].end:
                plan.problems.append(
                    RowProblem(row.row, "start", "overlap", "overlaps an earlier row of this agent-day")
                )
                continue
            if len(kept) == MAX_ACTIVITIES:
                plan.problems.append(
                    RowProblem(row.row, None, "too_many", f"at most {MAX_ACTIVITIES} activities a day")
                )
                continue
            kept.append(activity)
        plan.schedules.append(AgentSchedule(agent_id, day, tuple(kept)))
        plan.rows_applied += len(kept)
    plan.problems.sort(key=lambda p: p.row)
    return plan


def _column(field_name: str | None) -> str | None:
    if field_name is None:
        return None
    return field_name.removeprefix("row.")


def _date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date written YYYY-MM-DD", field="date", rule="date_format") from None


# --- views ---------------------------------------------------------------------------------------


def _local(seconds: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(seconds, zone).isoformat()


def schedule_view(schedule: AgentSchedule, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "agentId": schedule.agent_id,
        "date": schedule.date.isoformat(),
        "version": schedule.version,
        "activities": [
            {"kind": a.kind.value, "start": _local(a.start, zone), "end": _local(a.end, zone)}
            for a in schedule.activities
        ],
    }


def adherence_settings_view(settings: AdherenceSettings) -> dict[str, Any]:
    return {
        "activities": {
            kind.value: {
                "states": [{"status": s.status.value, "reason": s.reason} for s in rule.states],
                "toleranceMinutes": rule.tolerance_minutes,
            }
            for kind, rule in sorted(settings.activities.items())
        },
        "severeMinutes": settings.severe_minutes,
    }


def exception_view(exception: ApprovedException, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "exceptionId": exception.exception_id,
        "agentId": exception.agent_id,
        "start": _local(exception.start, zone),
        "end": _local(exception.end, zone),
        "note": exception.note,
        "approvedBy": exception.approved_by,
        "approvedAt": exception.approved_at.isoformat(timespec="milliseconds"),
    }
