"""Report files as bytes: CSV (UTF-8 without a byte-order mark, a header row, LF line ends), the same
tables as Parquet (contactcenter/report_parquet.py), README.txt and the manifest. Columns, their types,
units and meanings come from one data dictionary (contactcenter/report_columns.py): ids, names and labels
side by side, durations in exact seconds with hours beside them, instants in UTC with their local date and
time beside them. Pure and deterministic: the same rows and the same `compiled_at` give the same bytes.

`compiledAt` is when these exact contents were first compiled: a compilation that produces the files the
stored manifest already lists (same names, same checksums) keeps the stored `compiledAt` (see
`compiled_at`), so compiling a day twice gives byte-identical files, manifest included, and a manifest
whose contents did change (late history, changed reason configuration) says so with a new time.

Free text (names, labels, notes, details) that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) is written to CSV with a leading apostrophe; ids, codes, times and numbers
never are. Parquet keeps the text as it was typed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter import report_columns as columns
from contactcenter.adherence import AdherenceDay, adherence_day
from contactcenter.attendance import (
    UNSPECIFIED_REASON,
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
from contactcenter.report_columns import Column
from contactcenter.schedules import Activity, AdherenceSettings

FORMAT_VERSION = 2
ATTENDANCE = "attendance.csv"
SESSIONS = "sessions.csv"
SUPERVISOR_ACTIONS = "supervisor-actions.csv"
INTERVALS = "intervals.csv"
UNAVAILABLE = "unavailable.csv"
ADHERENCE = "adherence.csv"
MONTH = "attendance-month.csv"
README = "README.txt"
MANIFEST = "manifest.json"
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
PARQUET_TYPE = "application/vnd.apache.parquet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[object, ...]


@dataclass(frozen=True)
class ReportFile:
    name: str  # relative to the report's folder ("attendance.csv", "parquet/attendance/attendance.parquet")
    content: bytes
    rows: int  # data rows, header not counted
    columns: tuple[Column, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def content_type(self) -> str:
        suffix = self.name.rsplit(".", 1)[-1]
        return {"json": JSON_TYPE, "txt": TEXT_TYPE, "parquet": PARQUET_TYPE}.get(suffix, CSV_TYPE)


def parquet_name(csv_name: str) -> str:
    """Each table's Parquet file in a folder of its own (an Athena table reads every file of its folder)."""
    table = table_name(csv_name)
    return f"parquet/{table}/{table}.parquet"


def table_name(csv_name: str) -> str:
    return csv_name.removesuffix(".csv").replace("-", "_")


@dataclass(frozen=True)
class Labels:
    """The names and labels the files carry beside ids and codes."""

    units: Mapping[str, str] = field(default_factory=dict)  # unit id -> name
    people: Mapping[str, str] = field(default_factory=dict)  # user id -> display name (supervisors)
    unavailable_reasons: Mapping[str, str] = field(default_factory=dict)  # code -> label, configured order
    clock_out_reasons: Mapping[str, str] = field(default_factory=dict)

    def reason(self, code: str | None, *, clock_out: bool = False) -> str | None:
        if not code:
            return None
        first, second = (
            (self.clock_out_reasons, self.unavailable_reasons)
            if clock_out
            else (self.unavailable_reasons, self.clock_out_reasons)
        )
        return first.get(code) or second.get(code)

    def unit(self, unit_id: str | None) -> str | None:
        return self.units.get(unit_id) if unit_id else None


# --- rendering -----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _local(seconds: int, zone: ZoneInfo) -> tuple[date, str]:
    # Interval bounds and shift starts repeat across thousands of agents; formatting dominated rendering.
    moment = datetime.fromtimestamp(seconds, zone)
    return moment.date(), moment.strftime("%H:%M:%S")


def instant(seconds: int | None, zone: ZoneInfo) -> Row:
    """An instant's three columns: epoch seconds (written in UTC), local date, local time."""
    if seconds is None:
        return (None, None, None)
    return (seconds, *_local(seconds, zone))


def hours_text(seconds: int) -> str:
    """Seconds as hours with two decimals, rounded half up in integers (no binary fraction on the way)."""
    hundredths = (seconds * 100 + 1800) // 3600
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def hours(seconds: int) -> float:
    """The same hours as a number: hundredths / 100 is the double nearest the two-decimal value, as
    float(hours_text(seconds)) is."""
    return ((seconds * 100 + 1800) // 3600) / 100


@lru_cache(maxsize=1 << 16)
def utc_text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _plain(value: object) -> object:
    return "" if value is None else value


def _csv_converter(column: Column) -> Callable[[Any], object]:
    if column.free_text:
        return _text
    if column.hours_of:
        return lambda value: "" if value is None else hours_text(value)
    return _CONVERTERS.get(column.type, _plain)


_CONVERTERS: dict[str, Callable[[Any], object]] = {
    columns.TIMESTAMP: lambda value: "" if value is None else utc_text(value),
    columns.DATE: lambda value: "" if value is None else value.isoformat(),
    columns.BOOLEAN: lambda value: "" if value is None else ("true" if value else "false"),
    columns.DECIMAL: lambda value: "" if value is None else f"{value:.2f}",  # a percentage: two decimals, always
}


class TableBuilder:
    """One table, row by row (reports add rows agent by agent), written as CSV and Parquet."""

    def __init__(self, name: str, table_columns: Sequence[Column]) -> None:
        self.name = name
        self.columns = tuple(table_columns)
        self.rows: list[Row] = []

    def add(self, rows: Iterable[Row]) -> None:
        self.rows.extend(rows)

    def csv(self) -> ReportFile:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(column.name for column in self.columns)
        converters = [_csv_converter(column) for column in self.columns]
        pairs = list(enumerate(converters))
        writer.writerows([convert(row[index]) for index, convert in pairs] for row in self.rows)
        return ReportFile(self.name, buffer.getvalue().encode("utf-8"), len(self.rows), self.columns)

    def parquet(self) -> ReportFile:
        from contactcenter.report_parquet import parquet_bytes  # pyarrow only where Parquet is written

        content = parquet_bytes(self.columns, self.rows)
        return ReportFile(parquet_name(self.name), content, len(self.rows), self.columns)

    def files(self, *, parquet: bool) -> list[ReportFile]:
        return [self.csv(), self.parquet()] if parquet else [self.csv()]


# --- rows ----------------------------------------------------------------------------------------


def reason_columns(configured: Sequence[str], days: Iterable[AgentDay]) -> list[str]:
    """The organization's unavailable reasons in their configured order, then any reason found in the
    rows that is no longer configured, sorted."""
    seen = {reason for day in days for reason in day.per_reason}
    return [*configured, *sorted(seen - set(configured))]


def _reason_pairs(codes: Sequence[str], labels: Labels) -> list[tuple[str, str]]:
    return [(code, labels.reason(code) or code) for code in codes]


def _durations(seconds: int) -> Row:
    return (seconds, seconds)  # the seconds, and the same seconds written as hours


@dataclass(frozen=True)
class AgentFacts:
    """Who the rows of one agent are about."""

    agent_id: str
    agent_name: str
    employee_number: str | None
    home_unit: str | None  # the unit of rows no clock-in names

    def columns(self) -> Row:
        return (self.agent_id, self.agent_name, self.employee_number)


def _unit(unit_id: str | None, labels: Labels) -> Row:
    return (unit_id, labels.unit(unit_id))


def attendance_row(
    day: AgentDay, agent: AgentFacts, unit_id: str | None, zone: ZoneInfo, reasons: Sequence[str], labels: Labels
) -> Row:
    return (
        day.date,
        *agent.columns(),
        *_unit(unit_id, labels),
        *instant(day.first_clock_in, zone),
        *instant(day.last_clock_out, zone),
        day.sessions,
        *_durations(day.clocked),
        *(value for status in STATUS_ORDER for value in _durations(day.per_status.get(status, 0))),
        *(value for reason in reasons for value in _durations(day.per_reason.get(reason, 0))),
        ";".join(day.clock_out_reasons) or None,
        ";".join(labels.reason(code, clock_out=True) or code for code in day.clock_out_reasons) or None,
        day.continued,
        day.open,
    )


def unavailable_rows(day: AgentDay, agent: AgentFacts, unit_id: str | None, labels: Labels) -> list[Row]:
    return [
        (day.date, *agent.columns(), *_unit(unit_id, labels), code, labels.reason(code), *_durations(seconds))
        for code, seconds in sorted(day.per_reason.items())
        if seconds
    ]


def session_row(part: SessionPart, agent: AgentFacts, zone: ZoneInfo, labels: Labels) -> Row:
    return (
        part.date,
        *agent.columns(),
        *_unit(part.unit_id, labels),
        part.session,
        part.platform,
        *instant(part.clock_in, zone),
        *instant(part.start, zone),
        *instant(part.end, zone),
        *_durations(part.seconds),
        *instant(part.clock_out, zone),
        part.clock_out_reason,
        labels.reason(part.clock_out_reason, clock_out=True),
        part.clock_out_note,
        part.continued,
        part.open,
    )


def action_row(action: SupervisorAction, unit_id: str | None, zone: ZoneInfo, labels: Labels, agent: AgentFacts) -> Row:
    return (
        action.date,
        *instant(action.at, zone),
        action.supervisor_id,
        labels.people.get(action.supervisor_id),
        *agent.columns(),
        *_unit(unit_id, labels),
        action.sequence,
        action.action,
        action.kind,
        action.from_status,
        action.to_status,
        action.reason,
        labels.reason(action.reason, clock_out=action.to_status == "AWAY"),
        action.note,
        ";".join(f"{key}={value}" for key, value in action.detail) or None,
    )


def interval_row(row: IntervalRow, agent: AgentFacts, unit_id: str | None, zone: ZoneInfo, labels: Labels) -> Row:
    return (
        row.date,
        *instant(row.start, zone),
        *instant(row.end, zone),
        *agent.columns(),
        *_unit(unit_id, labels),
        row.status,
        row.reason,
        labels.reason(row.reason) if row.reason != UNSPECIFIED_REASON else None,
        *_durations(row.seconds),
    )


def adherence_row(day: date, agent: AgentFacts, unit_id: str | None, labels: Labels, figures: AdherenceDay) -> Row:
    return (
        day,
        *agent.columns(),
        *_unit(unit_id, labels),
        *_durations(figures.scheduled),
        *_durations(figures.adherent),
        *_durations(figures.non_adherent),
        _percent(figures.adherence_basis_points),
        *_durations(figures.work_scheduled),
        *_durations(figures.worked),
        _percent(figures.conformance_basis_points),
        *_durations(figures.approved),
        *_durations(figures.excused),
        *_durations(figures.tolerated),
        *_durations(figures.unscheduled),
        *_durations(figures.less_available),
        *_durations(figures.more_available),
        len(figures.episodes),
        figures.severe_episodes,
        *_durations(max((e.seconds for e in figures.episodes), default=0)),
    )


def _percent(basis_points: int | None) -> float | None:
    return None if basis_points is None else basis_points / 100


# --- one compilation, agent by agent -------------------------------------------------------------


@dataclass(frozen=True)
class AgentPlan:
    """One agent's schedule and approved exceptions for one day (epoch seconds)."""

    activities: Sequence[Activity]
    exceptions: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True)
class Plans:
    """The daily file's schedules: by day, then by agent; agents with none get no adherence row."""

    settings: AdherenceSettings
    by_day: Mapping[date, Mapping[str, AgentPlan]]


@dataclass(frozen=True)
class AgentReport:
    """Everything one agent contributes to a report (computed apart, so agents can be worked on in parallel)."""

    agent: AgentFacts
    days: list[AgentDay]
    day_units: dict[date, str | None]  # the unit of each day's rows
    sessions: list[Row]
    unavailable: list[Row]
    actions: list[SupervisorAction]
    intervals: list[Row]
    adherence: list[Row] = field(default_factory=list)


def agent_facts(history: AgentHistory) -> AgentFacts:
    return AgentFacts(history.agent_id, history.display_name, history.employee_number, history.unit_id)


def agent_report(
    history: AgentHistory,
    days: Sequence[Day],
    zone: ZoneInfo,
    *,
    labels: Labels | None = None,
    until: int | None = None,
    interval_minutes: int | None = None,
    plans: Plans | None = None,
) -> AgentReport:
    labels = labels or Labels()
    agent = agent_facts(history)
    attendance = attend(history, days, until=until)
    day_units: dict[date, str | None] = {}
    for part in attendance.sessions:
        day_units.setdefault(part.date, part.unit_id or agent.home_unit)
    adherence: list[Row] = []
    for day in days if plans is not None else ():
        assert plans is not None
        plan = plans.by_day.get(day.date, {}).get(history.agent_id)
        if plan is not None:
            figures = adherence_day(history.entries, day, plan.activities, plan.exceptions, plans.settings, until=until)
            unit_id = day_units.get(day.date, agent.home_unit)
            adherence.append(adherence_row(day.date, agent, unit_id, labels, figures))
    return AgentReport(
        agent=agent,
        days=attendance.days,
        day_units=day_units,
        sessions=[session_row(part, agent, zone, labels) for part in attendance.sessions],
        unavailable=[
            row for day in attendance.days for row in unavailable_rows(day, agent, day_units.get(day.date), labels)
        ],
        actions=[action for day in days for action in supervisor_actions(history, day, until=until)],
        intervals=[
            interval_row(row, agent, day_units.get(day.date, agent.home_unit), zone, labels)
            for day in days
            for row in intervals(history, day, interval_minutes, until=until)
        ]
        if interval_minutes
        else [],
        adherence=adherence,
    )


@dataclass(frozen=True)
class LoggedAction:
    """A supervisor action kept apart from agents' history (monitoring, messages), with its agent."""

    action: SupervisorAction
    agent: AgentFacts


class Compilation:
    """The files of one report, fed agent by agent in the order the rows should appear (by agent id):
    attendance, sessions and intervals by agent, then date and time; supervisor actions by time."""

    def __init__(
        self,
        zone: ZoneInfo,
        reasons: Sequence[str],
        *,
        labels: Labels | None = None,
        interval_minutes: int | None = None,
        parquet: bool = True,
        adherence: bool = False,
    ) -> None:
        self.zone = zone
        self.reasons = reasons
        self.labels = labels or Labels()
        self.parquet = parquet
        self._days: list[tuple[AgentDay, AgentFacts, str | None]] = []
        self._actions: list[tuple[SupervisorAction, AgentFacts, str | None]] = []
        self._sessions = TableBuilder(SESSIONS, columns.SESSIONS)
        self._unavailable = TableBuilder(UNAVAILABLE, columns.UNAVAILABLE)
        self._intervals = TableBuilder(INTERVALS, columns.INTERVALS) if interval_minutes else None
        self._adherence = TableBuilder(ADHERENCE, columns.ADHERENCE) if adherence else None

    def add_actions(self, actions: Sequence[LoggedAction]) -> None:
        """Supervisor actions that are not agent history (monitoring, messages), from the action log."""
        self._actions.extend((logged.action, logged.agent, logged.agent.home_unit) for logged in actions)

    def add(self, report: AgentReport) -> None:
        agent = report.agent
        self._days.extend((day, agent, report.day_units.get(day.date, agent.home_unit)) for day in report.days)
        self._actions.extend(
            (action, agent, report.day_units.get(action.date, agent.home_unit)) for action in report.actions
        )
        self._sessions.add(report.sessions)
        self._unavailable.add(report.unavailable)
        if self._intervals is not None:
            self._intervals.add(report.intervals)
        if self._adherence is not None:
            self._adherence.add(report.adherence)

    def days(self) -> list[tuple[AgentDay, AgentFacts, str | None]]:
        return self._days

    def files(self) -> list[ReportFile]:
        return [file for table in self.tables() for file in table.files(parquet=self.parquet)]

    def tables(self) -> list[TableBuilder]:
        """The report's tables with their rows: attendance, sessions, supervisor actions, unavailable
        time (and intervals)."""
        reasons = reason_columns(self.reasons, (day for day, _, _ in self._days))
        attendance = TableBuilder(ATTENDANCE, columns.attendance_columns(_reason_pairs(reasons, self.labels)))
        attendance.add(
            attendance_row(day, agent, unit_id, self.zone, reasons, self.labels) for day, agent, unit_id in self._days
        )
        actions = TableBuilder(SUPERVISOR_ACTIONS, columns.SUPERVISOR_ACTIONS)
        ordered = sorted(self._actions, key=lambda item: (item[0].at, item[0].agent_id, item[0].sequence))
        actions.add(action_row(action, unit_id, self.zone, self.labels, agent) for action, agent, unit_id in ordered)
        tables = [attendance, self._sessions, actions, self._unavailable]
        if self._intervals is not None:
            tables.append(self._intervals)
        if self._adherence is not None:
            tables.append(self._adherence)
        return tables


# --- the month (or any period) per agent ---------------------------------------------------------


def month_file(
    days: Sequence[tuple[AgentDay, AgentFacts, str | None]],
    first: date,
    last: date,
    configured_reasons: Sequence[str],
    labels: Labels,
    *,
    parquet: bool = True,
) -> list[ReportFile]:
    """attendance-month.csv: each agent's days summed, one row per agent (by agent id)."""
    reasons = reason_columns(configured_reasons, (day for day, _, _ in days))
    table = TableBuilder(MONTH, columns.month_columns(_reason_pairs(reasons, labels)))
    by_agent: dict[str, list[tuple[AgentDay, AgentFacts, str | None]]] = {}
    for item in days:
        by_agent.setdefault(item[1].agent_id, []).append(item)
    month = f"{first:%Y-%m}"
    for agent_id in sorted(by_agent):
        rows = sorted(by_agent[agent_id], key=lambda item: item[0].date)
        agent, unit_id = rows[-1][1], rows[-1][2]
        per_status: dict[str, int] = {}
        per_reason: dict[str, int] = {}
        for day, _, _ in rows:
            for key, seconds in day.per_status.items():
                per_status[key] = per_status.get(key, 0) + seconds
            for key, seconds in day.per_reason.items():
                per_reason[key] = per_reason.get(key, 0) + seconds
        table.add(
            [
                (
                    month,
                    first,
                    last,
                    *agent.columns(),
                    *_unit(unit_id, labels),
                    len({day.date for day, _, _ in rows}),
                    sum(day.sessions for day, _, _ in rows),
                    *_durations(sum(per_status.values())),
                    *(value for status in STATUS_ORDER for value in _durations(per_status.get(status, 0))),
                    *(value for reason in reasons for value in _durations(per_reason.get(reason, 0))),
                )
            ]
        )
    return table.files(parquet=parquet)


def month_days(first_of_month: date) -> tuple[date, date]:
    """The first and last day of the month `first_of_month` falls in."""
    first = first_of_month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# --- manifest.json -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestFacts:
    """What a manifest says besides its files."""

    organization_id: str
    kind: str  # "daily", "monthly" or "on_demand"
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
            "start": datetime.fromtimestamp(facts.start, zone).isoformat(),
            "end": datetime.fromtimestamp(facts.end, zone).isoformat(),
            "seconds": facts.end - facts.start,
            "partial": facts.partial,
        },
        "scope": {"units": list(facts.units) if facts.units is not None else None},
        "compiledAt": compiled_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "files": [_listed(f) for f in sorted(files, key=lambda f: f.name)],
    }
    if facts.interval_minutes is not None:
        document["intervalMinutes"] = facts.interval_minutes
    if facts.job_id is not None:
        document["jobId"] = facts.job_id
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return ReportFile(MANIFEST, text.encode("utf-8"), len(files))


def _listed(file: ReportFile) -> dict[str, Any]:
    listed: dict[str, Any] = {
        "name": file.name,
        "rows": file.rows,
        "bytes": len(file.content),
        "sha256": file.sha256,
        "contentType": file.content_type,
    }
    if file.columns:
        listed["columns"] = [column.describe() for column in file.columns]  # the data dictionary
    return listed


_KINDS = {"daily": "Daily attendance files", "on_demand": "Attendance report", "monthly": "Monthly attendance"}
_ABOUT = {
    ATTENDANCE: "one row per agent and local day with clocked time",
    SESSIONS: "one row per clock-in session, split at local midnight",
    SUPERVISOR_ACTIONS: "one row per thing a supervisor did to an agent",
    UNAVAILABLE: "one row per agent, local day and UNAVAILABLE reason (the reason columns of attendance, long)",
    INTERVALS: "one row per agent, interval, status and reason",
    MONTH: "one row per agent: the period's days summed",
    ADHERENCE: "one row per scheduled agent and local day: adherence to the schedule (see docs/adherence.md)",
}


def readme_file(facts: ManifestFacts, files: Sequence[ReportFile]) -> ReportFile:
    """README.txt: what the folder holds and how to read it, for whoever opens it without the docs."""
    period = facts.first.isoformat() if facts.first == facts.last else f"{facts.first} to {facts.last}"
    lines = [
        f"{_KINDS.get(facts.kind, 'Report')} of organization {facts.organization_id}, {period} ({facts.time_zone})",
        "",
        "Every table comes as CSV (UTF-8, comma-separated, header row) and as Parquet (parquet/<table>/).",
        "manifest.json lists every file with its rows, size, SHA-256 and its columns (type, unit, meaning).",
        "",
        "Reading the columns:",
        "- ids, names and labels side by side: agent_id, agent_name, employee_number, unit_id, unit_name;",
        "  reason codes with their labels.",
        "- durations: *_seconds are exact; *_hours are the same time in hours with two decimals (to add up",
        "  many rows, add the seconds and divide by 3600).",
        "- instants: ISO 8601 in UTC (ending in Z), with *_local_date and *_local_time beside them in the",
        f"  organization's time zone ({facts.time_zone}); `date` is the local day of the row. Days are local days:",
        "  23 or 25 hours long on daylight-saving days.",
        "- booleans are true/false; an empty cell is no value.",
        "- text typed by people that a spreadsheet would run as a formula starts with an apostrophe in CSV.",
        "",
        "Files:",
    ]
    for file in sorted(files, key=lambda f: f.name):
        about = _ABOUT.get(file.name, "the same table as the CSV of its name" if file.name.endswith(".parquet") else "")
        lines.append(f"- {file.name}: {file.rows} rows" + (f"; {about}" if about else ""))
    for file in sorted(files, key=lambda f: f.name):
        if not file.name.endswith(".csv"):
            continue
        lines += ["", f"{file.name} columns (name, type, unit: meaning):"]
        lines += [f"- {c.name}, {c.type}{', ' + c.unit if c.unit else ''}: {c.meaning}" for c in file.columns]
    text = "\n".join(lines) + "\n"
    return ReportFile(README, text.encode("utf-8"), 0)


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
