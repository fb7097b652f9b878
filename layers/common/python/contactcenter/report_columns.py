"""The report files' data dictionary: every column's name, type, unit and meaning, in file order.

One source for the CSV header, the Parquet schema, the manifest's `columns`, README.txt and the Glue tables
(infra/constructs/catalog.py), so the five never disagree. Pure data: no boto3, no clock.

Types as finance reads them: `string`, `date` (YYYY-MM-DD, local), `time` (HH:MM:SS, local wall clock),
`timestamp` (an instant: ISO 8601 in UTC with `Z`, one offset in every row so that pandas and DuckDB read
the column as instants even on a daylight-saving day), `integer`, `decimal` (two decimals) and `boolean`
(true/false). Every instant also comes as its local date and local time in columns of their own, which
spreadsheets read as a date and a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from contactcenter.intervals import STATUS_ORDER

STRING = "string"
DATE = "date"
TIME = "time"
TIMESTAMP = "timestamp"
INTEGER = "integer"
DECIMAL = "decimal"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    unit: str
    meaning: str
    free_text: bool = False  # typed by people: neutralized for spreadsheets in CSV (see report_files.py)
    hours_of: bool = False  # a decimal column holding the seconds beside it as hours (rendered from seconds)

    def describe(self) -> dict[str, str]:
        """The manifest's entry: column, type, unit, meaning."""
        return {key: value for key, value in asdict(self).items() if key in ("name", "type", "unit", "meaning")}


def instant(name: str, meaning: str) -> tuple[Column, ...]:
    return (
        Column(name, TIMESTAMP, "UTC", f"{meaning} (ISO 8601 in UTC)"),
        Column(f"{name}_local_date", DATE, "local date", f"{meaning}: its date in the organization's time zone"),
        Column(f"{name}_local_time", TIME, "local time", f"{meaning}: its time of day in the organization's time zone"),
    )


def duration(stem: str, meaning: str) -> tuple[Column, ...]:
    """`{stem}_seconds` and `{stem}_hours` (`seconds` and `hours` for an empty stem)."""
    prefix = f"{stem}_" if stem else ""
    return (
        Column(f"{prefix}seconds", INTEGER, "seconds", f"{meaning}, exact to the second"),
        Column(
            f"{prefix}hours",
            DECIMAL,
            "hours",
            f"{meaning} in hours, rounded to two decimals (sums of rounded hours may differ by 0.01: add seconds)",
            hours_of=True,
        ),
    )


DAY = Column("date", DATE, "local date", "The local day of the row (the organization's time zone)")
AGENT = (
    Column("agent_id", STRING, "", "The agent's user id"),
    Column("agent_name", STRING, "", "The agent's display name", free_text=True),
    Column("employee_number", STRING, "", "The agent's employee (payroll) number, when the organization set one"),
)
UNIT = (
    Column("unit_id", STRING, "", "The unit of the row: the unit the agent clocked in to (first session of the day)"),
    Column("unit_name", STRING, "", "The unit's display name", free_text=True),
)


def _reason_stem(code: str) -> str:
    return f"unavailable_{code.lower()}"


def attendance_columns(reasons: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """attendance.csv: one row per agent and local day with clocked time; `reasons` as (code, label)."""
    return (
        DAY,
        *AGENT,
        *UNIT,
        *instant("first_clock_in", "The first clock-in within the day (empty: clocked in since an earlier day)"),
        *instant("last_clock_out", "The last clock-out within the day (empty: none that day)"),
        Column("sessions", INTEGER, "count", "Clock-in sessions (or parts of them) within the day"),
        *duration("clocked", "Time clocked in within the day (the sum of the status columns)"),
        *(column for status in STATUS_ORDER for column in duration(status.lower(), f"Time in status {status}")),
        *(
            column
            for code, label in reasons
            for column in duration(_reason_stem(code), f"Time UNAVAILABLE for reason {code} ({label})")
        ),
        Column("clock_out_reasons", STRING, "", "Clock-out reason codes within the day, in order, `;`-separated"),
        Column("clock_out_reason_labels", STRING, "", "Their labels, in the same order, `;`-separated", free_text=True),
        Column("continued", BOOLEAN, "", "Clocked in when the day began (a session from an earlier day)"),
        Column("open", BOOLEAN, "", "Still clocked in when the day ended (or at the report's cut-off)"),
    )


SESSIONS = (
    DAY,
    *AGENT,
    *UNIT,
    Column("session", INTEGER, "", "The session's id for this agent (its clock-in's history sequence number)"),
    Column("platform", STRING, "", "Where the agent clocked in (web, app, ...)"),
    *instant("clock_in", "When the session began (possibly on an earlier day)"),
    *instant("start", "Start of this part of the session within the day"),
    *instant("end", "End of this part (the clock-out, the end of the day or the report's cut-off)"),
    *duration("", "Length of this part of the session (end - start)"),
    *instant("clock_out", "When the session ended within this day (empty: it did not)"),
    Column("clock_out_reason", STRING, "", "The clock-out reason code"),
    Column("clock_out_reason_label", STRING, "", "The clock-out reason's label", free_text=True),
    Column("clock_out_note", STRING, "", "The note given with the clock-out", free_text=True),
    Column("continued", BOOLEAN, "", "The session began on an earlier day"),
    Column("open", BOOLEAN, "", "Still clocked in at the end of this part"),
)

SUPERVISOR_ACTIONS = (
    DAY,
    *instant("at", "When the supervisor acted"),
    Column("supervisor_id", STRING, "", "The supervisor's user id"),
    Column("supervisor_name", STRING, "", "The supervisor's display name", free_text=True),
    *AGENT,
    *UNIT,
    Column("sequence", INTEGER, "", "The agent's history sequence number of the change (0: not a status change)"),
    Column("action", STRING, "", "What the supervisor did (clock_out, force_status, queue_login, listen, ...)"),
    Column("kind", STRING, "", "The kind of history entry (status, queue, work, flag, supervision, ...)"),
    Column("from_status", STRING, "", "The agent's status before"),
    Column("to_status", STRING, "", "The agent's status after"),
    Column("reason", STRING, "", "The reason code given"),
    Column("reason_label", STRING, "", "The reason's label", free_text=True),
    Column("note", STRING, "", "The note given", free_text=True),
    Column("details", STRING, "", "More about the action, key=value pairs `;`-separated", free_text=True),
)

INTERVALS = (
    DAY,
    *instant("interval_start", "Start of the interval"),
    *instant("interval_end", "End of the interval"),
    *AGENT,
    *UNIT,
    Column("status", STRING, "", "The status"),
    Column("reason", STRING, "", "The UNAVAILABLE reason code"),
    Column("reason_label", STRING, "", "The reason's label", free_text=True),
    *duration("", "Time in this status (and reason) within the interval"),
)

UNAVAILABLE = (
    DAY,
    *AGENT,
    *UNIT,
    Column("reason", STRING, "", "The UNAVAILABLE reason code (UNSPECIFIED: none given)"),
    Column("reason_label", STRING, "", "The reason's label", free_text=True),
    *duration("", "Time UNAVAILABLE for this reason within the day"),
)


ADHERENCE = (
    DAY,
    *AGENT,
    *UNIT,
    *duration("scheduled", "Time scheduled (every activity, off included) within the day"),
    *duration("adherent", "Scheduled time adhered to (approved, excused and tolerated time included)"),
    *duration("non_adherent", "Scheduled time out of adherence (adherent + non-adherent = scheduled)"),
    Column("adherence_percent", DECIMAL, "percent", "adherent / scheduled, two decimals rounded half up"),
    *duration("work_scheduled", "Time scheduled as work"),
    *duration("worked", "Time in states that adhere to work, at any time of the day"),
    Column("conformance_percent", DECIMAL, "percent", "worked / work scheduled (may exceed 100), two decimals"),
    *duration("approved", "Time inside exceptions a supervisor approved"),
    *duration("excused", "Time still on work that began before a non-work activity"),
    *duration("tolerated", "Mismatches younger than their activity's tolerance"),
    *duration("unscheduled", "Time clocked in with no activity scheduled (not part of scheduled)"),
    *duration("less_available", "Out-of-adherence time less available than planned"),
    *duration("more_available", "Out-of-adherence time more available than planned"),
    Column("episodes", INTEGER, "count", "Stretches of consecutive out-of-adherence seconds"),
    Column("severe_episodes", INTEGER, "count", "Episodes that lasted the organization's severe threshold"),
    *duration("longest_episode", "The longest episode"),
)


def month_columns(reasons: Sequence[tuple[str, str]]) -> tuple[Column, ...]:
    """attendance-month.csv: one row per agent with clocked time in the month (or the period)."""
    return (
        Column("month", STRING, "", "The local month, YYYY-MM (the first day's month for another period)"),
        Column("first_day", DATE, "local date", "First day of the period"),
        Column("last_day", DATE, "local date", "Last day of the period"),
        *AGENT,
        Column("unit_id", STRING, "", "The unit of the agent's last day with clocked time in the period"),
        Column("unit_name", STRING, "", "The unit's display name", free_text=True),
        Column("days", INTEGER, "count", "Local days with clocked time"),
        Column("sessions", INTEGER, "count", "Session parts (a session across midnight counts once a day)"),
        *duration("clocked", "Time clocked in within the period"),
        *(column for status in STATUS_ORDER for column in duration(status.lower(), f"Time in status {status}")),
        *(
            column
            for code, label in reasons
            for column in duration(_reason_stem(code), f"Time UNAVAILABLE for reason {code} ({label})")
        ),
    )


# The columns Athena's tables declare: a file's fixed columns (reason columns vary by organization, and
# unavailable.parquet has the same seconds one row per reason).
def fixed_attendance_columns() -> tuple[Column, ...]:
    return attendance_columns(())


def fixed_month_columns() -> tuple[Column, ...]:
    return month_columns(())
