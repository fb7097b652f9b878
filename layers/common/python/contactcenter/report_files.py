"""Report files as bytes: CSV (UTF-8 without a byte-order mark, a header row, LF line ends, times in ISO
8601 with the organization's offset, durations in whole seconds) and the manifest. Pure and
deterministic: the same rows and the same `compiled_at` give the same bytes.

`compiledAt` is when these exact contents were first compiled: a compilation that produces the files the
stored manifest already lists (same names, same checksums) keeps the stored `compiledAt` (see
`compiled_at`), so compiling a day twice gives byte-identical files, manifest included, and a manifest
whose contents did change (late history, changed reason configuration) says so with a new time.

Free text (names, notes, details) that a spreadsheet would run as a formula (starting with = + - @, a tab
or a carriage return) is written with a leading apostrophe; ids, codes, times and numbers never are.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter.attendance import (
    AgentDay,
    AgentHistory,
    Day,
    SessionPart,
    SupervisorAction,
    attend,
    day_of,
    supervisor_actions,
)
from contactcenter.intervals import STATUS_ORDER, IntervalRow, intervals

FORMAT_VERSION = 1
ATTENDANCE = "attendance.csv"
SESSIONS = "sessions.csv"
SUPERVISOR_ACTIONS = "supervisor-actions.csv"
INTERVALS = "intervals.csv"
MANIFEST = "manifest.json"
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"

SESSION_HEADER = (
    "date",
    "agent_id",
    "agent_name",
    "session",
    "unit_id",
    "platform",
    "clock_in",
    "start",
    "end",
    "seconds",
    "clock_out",
    "clock_out_reason",
    "clock_out_note",
    "continued",
    "open",
)
ACTION_HEADER = (
    "date",
    "at",
    "supervisor_id",
    "agent_id",
    "agent_name",
    "sequence",
    "action",
    "kind",
    "from_status",
    "to_status",
    "reason",
    "note",
    "details",
)
INTERVAL_HEADER = (
    "date",
    "interval_start",
    "interval_end",
    "agent_id",
    "agent_name",
    "status",
    "reason",
    "seconds",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportFile:
    name: str
    content: bytes
    rows: int  # data rows, header not counted

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def content_type(self) -> str:
        return JSON_TYPE if self.name.endswith(".json") else CSV_TYPE


class CsvBuilder:
    """Accumulates one CSV file row by row (reports add rows agent by agent)."""

    def __init__(self, name: str, header: Sequence[str]) -> None:
        self.name = name
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def add(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self._writer.writerow(row)
            self.rows += 1

    def file(self) -> ReportFile:
        return ReportFile(self.name, self._buffer.getvalue().encode("utf-8"), self.rows)


def _time(seconds: int | None, zone: ZoneInfo) -> str:
    return "" if seconds is None else _local_time(seconds, zone)


@lru_cache(maxsize=1 << 16)
def _local_time(seconds: int, zone: ZoneInfo) -> str:
    # Interval bounds and shift starts repeat across thousands of agents; formatting dominated rendering.
    return datetime.fromtimestamp(seconds, zone).isoformat()


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _flag(value: bool) -> str:
    return "true" if value else "false"


# --- attendance.csv ------------------------------------------------------------------------------


def reason_columns(configured: Sequence[str], days: Iterable[AgentDay]) -> list[str]:
    """The organization's unavailable reasons in their configured order, then any reason found in the
    rows that is no longer configured, sorted."""
    seen = {reason for day in days for reason in day.per_reason}
    return [*configured, *sorted(seen - set(configured))]


def attendance_header(reasons: Sequence[str]) -> list[str]:
    return [
        "date",
        "agent_id",
        "agent_name",
        "first_clock_in",
        "last_clock_out",
        "sessions",
        "clocked_seconds",
        *(f"{status.lower()}_seconds" for status in STATUS_ORDER),
        *(f"unavailable_{reason.lower()}_seconds" for reason in reasons),
        "clock_out_reasons",
        "continued",
        "open",
    ]


def attendance_row(day: AgentDay, zone: ZoneInfo, reasons: Sequence[str]) -> list[object]:
    return [
        day.date.isoformat(),
        day.agent_id,
        _text(day.agent_name),
        _time(day.first_clock_in, zone),
        _time(day.last_clock_out, zone),
        day.sessions,
        day.clocked,
        *(day.per_status.get(status, 0) for status in STATUS_ORDER),
        *(day.per_reason.get(reason, 0) for reason in reasons),
        ";".join(day.clock_out_reasons),
        _flag(day.continued),
        _flag(day.open),
    ]


def attendance_file(days: Sequence[AgentDay], zone: ZoneInfo, configured_reasons: Sequence[str]) -> ReportFile:
    reasons = reason_columns(configured_reasons, days)
    builder = CsvBuilder(ATTENDANCE, attendance_header(reasons))
    builder.add(attendance_row(day, zone, reasons) for day in days)
    return builder.file()


# --- sessions.csv, supervisor-actions.csv, intervals.csv -----------------------------------------


def session_row(part: SessionPart, zone: ZoneInfo) -> list[object]:
    return [
        part.date.isoformat(),
        part.agent_id,
        _text(part.agent_name),
        part.session,
        part.unit_id or "",
        part.platform or "",
        _time(part.clock_in, zone),
        _time(part.start, zone),
        _time(part.end, zone),
        part.seconds,
        _time(part.clock_out, zone),
        part.clock_out_reason or "",
        _text(part.clock_out_note),
        _flag(part.continued),
        _flag(part.open),
    ]


def action_row(action: SupervisorAction, zone: ZoneInfo) -> list[object]:
    return [
        action.date.isoformat(),
        _time(action.at, zone),
        action.supervisor_id,
        action.agent_id,
        _text(action.agent_name),
        action.sequence,
        action.action,
        action.kind,
        action.from_status,
        action.to_status,
        action.reason or "",
        _text(action.note),
        _text(";".join(f"{key}={value}" for key, value in action.detail)),
    ]


def interval_row(row: IntervalRow, zone: ZoneInfo) -> list[object]:
    return [
        row.date.isoformat(),
        _time(row.start, zone),
        _time(row.end, zone),
        row.agent_id,
        _text(row.agent_name),
        row.status,
        row.reason or "",
        row.seconds,
    ]


def sessions_file(parts: Iterable[SessionPart], zone: ZoneInfo) -> ReportFile:
    builder = CsvBuilder(SESSIONS, SESSION_HEADER)
    builder.add(session_row(part, zone) for part in parts)
    return builder.file()


def supervisor_actions_file(actions: Iterable[SupervisorAction], zone: ZoneInfo) -> ReportFile:
    builder = CsvBuilder(SUPERVISOR_ACTIONS, ACTION_HEADER)
    builder.add(action_row(action, zone) for action in actions)
    return builder.file()


def intervals_file(rows: Iterable[IntervalRow], zone: ZoneInfo) -> ReportFile:
    builder = CsvBuilder(INTERVALS, INTERVAL_HEADER)
    builder.add(interval_row(row, zone) for row in rows)
    return builder.file()


# --- one compilation, agent by agent -------------------------------------------------------------


@dataclass(frozen=True)
class AgentReport:
    """Everything one agent contributes to a report (computed apart, so agents can be worked on in parallel)."""

    days: list[AgentDay]
    sessions: list[list[object]]  # rendered rows
    actions: list[SupervisorAction]
    intervals: list[list[object]]  # rendered rows


def agent_report(
    history: AgentHistory,
    days: Sequence[Day],
    zone: ZoneInfo,
    *,
    until: int | None = None,
    interval_minutes: int | None = None,
) -> AgentReport:
    attendance = attend(history, days, until=until)
    return AgentReport(
        days=attendance.days,
        sessions=[session_row(part, zone) for part in attendance.sessions],
        actions=[action for day in days for action in supervisor_actions(history, day, until=until)],
        intervals=[
            interval_row(row, zone) for day in days for row in intervals(history, day, interval_minutes, until=until)
        ]
        if interval_minutes
        else [],
    )


class Compilation:
    """The files of one report, fed agent by agent in the order the rows should appear (by agent id):
    attendance, sessions and intervals by agent, then date and time; supervisor actions by time."""

    def __init__(self, zone: ZoneInfo, reasons: Sequence[str], *, interval_minutes: int | None = None) -> None:
        self.zone = zone
        self.reasons = reasons
        self._days: list[AgentDay] = []
        self._actions: list[SupervisorAction] = []
        self._sessions = CsvBuilder(SESSIONS, SESSION_HEADER)
        self._intervals = CsvBuilder(INTERVALS, INTERVAL_HEADER) if interval_minutes else None

    def add_actions(self, actions: Sequence[SupervisorAction]) -> None:
        """Supervisor actions that are not agent history (monitoring, messages), from the action log."""
        self._actions.extend(actions)

    def add(self, report: AgentReport) -> None:
        self._days.extend(report.days)
        self._actions.extend(report.actions)
        self._sessions.add(report.sessions)
        if self._intervals is not None:
            self._intervals.add(report.intervals)

    def files(self) -> list[ReportFile]:
        actions = sorted(self._actions, key=lambda a: (a.at, a.agent_id, a.sequence))
        files = [
            attendance_file(self._days, self.zone, self.reasons),
            self._sessions.file(),
            supervisor_actions_file(actions, self.zone),
        ]
        if self._intervals is not None:
            files.append(self._intervals.file())
        return files


# --- manifest.json -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestFacts:
    """What a manifest says besides its files."""

    organization_id: str
    kind: str  # "daily" or "on_demand"
    first: date
    last: date
    start: int  # epoch seconds: the start of the first day
    end: int  # epoch seconds: the end of the last day, or the cut-off of a report asked for today
    time_zone: str
    units: tuple[str, ...] | None  # None: the whole organization
    interval_minutes: int | None = None
    job_id: str | None = None

    @property
    def partial(self) -> bool:
        return self.end < day_of(self.last, ZoneInfo(self.time_zone)).end


def manifest_file(facts: ManifestFacts, files: Sequence[ReportFile], *, compiled_at: datetime) -> ReportFile:
    zone = ZoneInfo(facts.time_zone)
    document: dict[str, Any] = {
        "formatVersion": FORMAT_VERSION,
        "organizationId": facts.organization_id,
        "kind": facts.kind,
        "timeZone": facts.time_zone,
        "period": {
            "from": facts.first.isoformat(),
            "to": facts.last.isoformat(),
            "start": _time(facts.start, zone),
            "end": _time(facts.end, zone),
            "seconds": facts.end - facts.start,
            "partial": facts.partial,
        },
        "scope": {"units": list(facts.units) if facts.units is not None else None},
        "compiledAt": compiled_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "files": [
            {"name": f.name, "rows": f.rows, "bytes": len(f.content), "sha256": f.sha256}
            for f in sorted(files, key=lambda f: f.name)
        ],
    }
    if facts.interval_minutes is not None:
        document["intervalMinutes"] = facts.interval_minutes
    if facts.job_id is not None:
        document["jobId"] = facts.job_id
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return ReportFile(MANIFEST, text.encode("utf-8"), len(files))


def compiled_at(previous_manifest: bytes | None, files: Sequence[ReportFile], *, now: datetime) -> datetime:
    """The stored manifest's `compiledAt` when it lists exactly these files with these checksums, else now."""
    if previous_manifest is None:
        return now
    try:
        previous = json.loads(previous_manifest)
        listed = {(f["name"], f["sha256"]) for f in previous["files"]}
        stored = datetime.fromisoformat(previous["compiledAt"])
    except (ValueError, KeyError, TypeError):
        return now  # unreadable: compile afresh
    return stored if listed == {(f.name, f.sha256) for f in files} else now
