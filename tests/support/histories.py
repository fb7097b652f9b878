"""Agent histories for report tests, written as local times and the status each change leads to, and the
fixed history behind the golden report files (Europe/Rome, around both daylight-saving days of 2026)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from contactcenter.attendance import AgentHistory, Entry, epoch_ms
from contactcenter.report_files import AgentPlan, Plans


@dataclass(frozen=True)
class Change:
    at: str  # ISO 8601 with its offset, milliseconds allowed
    to: str
    reason: str | None = None
    note: str | None = None
    by: str | None = None  # a supervisor's id; None: the agent (or the system for ACTIVE/WRAP_UP moves)
    kind: str = "status"
    detail: dict[str, str] = field(default_factory=dict)
    unit: str = "north"
    platform: str = "web"


def history(agent_id: str, changes: list[Change], *, name: str | None = None) -> AgentHistory:
    entries = []
    status = "AWAY"
    for sequence, change in enumerate(changes, start=1):
        if change.by:
            actor_kind, actor_id = "supervisor", change.by
        elif change.to in ("ACTIVE", "WRAP_UP") or (status == "WRAP_UP" and change.kind == "status"):
            actor_kind, actor_id = "system", "system"
        else:
            actor_kind, actor_id = "agent", agent_id
        entries.append(
            Entry(
                sequence=sequence,
                at_ms=epoch_ms(datetime.fromisoformat(change.at)),
                kind=change.kind,
                from_status=status,
                to_status=change.to,
                reason=change.reason,
                note=change.note,
                actor_kind=actor_kind,
                actor_id=actor_id,
                unit_id=change.unit,
                platform=change.platform,
                detail=change.detail or None,
            )
        )
        status = change.to
    return AgentHistory(agent_id, name or agent_id.title(), entries)


def golden_histories() -> list[AgentHistory]:
    """Three agents over 2026-03-28..30 (the spring change: 02:00 -> 03:00 on the 29th) and 2026-10-24..26
    (the autumn change: 03:00 -> 02:00 on the 25th), Europe/Rome."""
    ana = history(
        "ana",
        [
            # A night shift across midnight into the 23-hour day.
            Change("2026-03-28T22:00:00.250+01:00", "AVAILABLE"),
            Change("2026-03-28T23:30:00+01:00", "UNAVAILABLE", "BREAK"),
            Change("2026-03-29T00:15:00+01:00", "AVAILABLE"),
            Change(
                "2026-03-29T01:30:00+01:00", "ACTIVE", kind="status", detail={"item": "c-1", "workAction": "accepted"}
            ),
            # 01:30 -> 03:10 is 40 minutes: the hour from 02:00 to 03:00 does not exist that night.
            Change("2026-03-29T03:10:00+02:00", "WRAP_UP", detail={"item": "c-1", "workAction": "ended"}),
            Change("2026-03-29T03:10:30+02:00", "AVAILABLE"),
            Change("2026-03-29T06:00:00.999+02:00", "AWAY", "END_OF_SHIFT"),
            # The 25-hour day: the hour from 02:00 to 03:00 happens twice.
            Change("2026-10-25T01:00:00+02:00", "AVAILABLE"),
            Change("2026-10-25T02:30:00+02:00", "UNAVAILABLE", "BREAK"),
            Change("2026-10-25T02:15:00+01:00", "AVAILABLE"),  # 45 minutes after the break began
            Change("2026-10-25T04:00:00+01:00", "AWAY", "END_OF_SHIFT", by="sam"),
        ],
    )
    ben = history(
        "ben",
        [
            Change("2026-03-29T09:00:00.400+02:00", "AVAILABLE", unit="south", platform="app"),
            Change("2026-03-29T10:00:00+02:00", "UNAVAILABLE", "MEETING", by="sue", unit="south", platform="app"),
            Change("2026-03-29T11:00:00+02:00", "AVAILABLE", unit="south", platform="app"),
            Change(
                "2026-03-29T11:05:00+02:00",
                "AVAILABLE",
                kind="queue",
                by="sue",
                detail={"queue": "sales", "queueAction": "login"},
                unit="south",
                platform="app",
            ),
            Change("2026-03-29T12:00:00+02:00", "UNAVAILABLE", "OTHER", note="=doctor, 30'", by="sue", unit="south"),
            Change("2026-03-29T12:30:00+02:00", "OFFLINE_WORK", unit="south", platform="app"),
            Change("2026-03-29T17:00:00+02:00", "AWAY", "END_OF_SHIFT", unit="south", platform="app"),
            # A second session, still open when the day ends.
            Change("2026-03-29T20:00:00+02:00", "AVAILABLE", unit="south", platform="web"),
            Change("2026-03-30T02:00:00+02:00", "AWAY", "SICK", unit="south", platform="web"),
            # Across midnight into the 25-hour day.
            Change("2026-10-24T23:00:00+02:00", "AVAILABLE", unit="south"),
            Change("2026-10-25T07:00:00+01:00", "AWAY", "END_OF_SHIFT", unit="south"),
        ],
    )
    cy = history(
        "cy",
        [
            Change("2026-03-28T09:00:00+01:00", "AVAILABLE", unit="south"),
            Change("2026-03-28T17:00:00+01:00", "AWAY", "END_OF_SHIFT", unit="south"),
        ],
        name="Cy",
    )
    return [ana, ben, cy]


def golden_plans() -> Plans:
    """Schedules for the golden histories' daylight-saving days, one approved exception among them."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from contactcenter.attendance import day_of
    from contactcenter.schedules import ActivityDraft, AdherenceSettings, build_schedule, parse_moment

    rome = ZoneInfo("Europe/Rome")
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    written = {
        (spring, "ana"): [("work", "00:00", "01:30"), ("break", "01:30", "01:45"), ("work", "01:45", "06:00")],
        (spring, "ben"): [
            ("work", "09:00", "10:00"),
            ("meeting", "10:00", "11:00"),
            ("work", "11:00", "12:00"),
            ("lunch", "12:00", "12:30"),
            ("training", "12:30", "17:00"),
        ],
        (autumn, "ana"): [
            ("work", "01:00", "2026-10-25T02:30:00+02:00"),
            ("break", "2026-10-25T02:30:00+02:00", "2026-10-25T02:15:00+01:00"),
            ("work", "2026-10-25T02:15:00+01:00", "04:00"),
        ],
        (autumn, "ben"): [("work", "00:00", "07:00")],
    }
    by_day: dict[date, dict[str, AgentPlan]] = {}
    for (day, agent_id), activities in written.items():
        schedule = build_schedule(agent_id, day, [ActivityDraft(*a) for a in activities], rome)
        exceptions = []
        if (day, agent_id) == (spring, "ben"):
            local = day_of(day, rome)
            exceptions = [
                (parse_moment(t, local, rome, field_name="t"), parse_moment(u, local, rome, field_name="u"))
                for t, u in [("12:10", "12:20")]
            ]
        by_day.setdefault(day, {})[agent_id] = AgentPlan(schedule.activities, exceptions)
    return Plans(AdherenceSettings(), by_day)
