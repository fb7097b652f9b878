"""The interval report: an agent's seconds per status and reason in each 15-, 30- or 60-minute interval of
a local day. Pure.

Time is split exactly at interval boundaries (a status that began at 09:50 and ended at 10:20 gives 10
minutes to 09:45-10:00 and 20 to 10:00-10:15 in 15-minute intervals, never all to the interval where it
began). Intervals step from the start of the local day in elapsed time, so a 23-hour day has 92
quarter-hours and a 25-hour day 100, the repeated hour labelled by its two offsets. The segments come
from attendance.segments, booked to the whole second as there, so the intervals of a day add up to the
day's attendance row exactly, per status and per reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contactcenter.attendance import AgentHistory, Day, segments
from contactcenter.errors import Invalid

INTERVAL_MINUTES = (15, 30, 60)
STATUS_ORDER = ("AVAILABLE", "ACTIVE", "WRAP_UP", "OFFLINE_WORK", "UNAVAILABLE")
_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """Seconds an agent spent in one status (and reason, for UNAVAILABLE) within one interval."""

    date: date
    start: int  # epoch seconds
    end: int
    agent_id: str
    agent_name: str
    status: str
    reason: str | None
    seconds: int


def checked_minutes(minutes: int) -> int:
    if minutes not in INTERVAL_MINUTES:
        raise Invalid(
            f"intervals are {', '.join(map(str, INTERVAL_MINUTES))} minutes long",
            field="intervalMinutes",
            rule="interval_length",
        )
    return minutes


def interval_bounds(day: Day, minutes: int) -> list[tuple[int, int]]:
    """The day's intervals as [start, end) in epoch seconds; the last one ends with the day."""
    size = checked_minutes(minutes) * 60
    return [(start, min(start + size, day.end)) for start in range(day.start, day.end, size)]


def intervals(history: AgentHistory, day: Day, minutes: int, *, until: int | None = None) -> list[IntervalRow]:
    """The agent's rows for the day, by interval, then status, then reason; intervals with no clocked
    time give no row (they would add nothing)."""
    size = checked_minutes(minutes) * 60
    totals: dict[tuple[int, str, str | None], int] = {}
    for segment in segments(history, day, until=until):
        cursor = segment.start
        while cursor < segment.end:
            index = (cursor - day.start) // size
            cut = min(segment.end, day.start + (index + 1) * size)
            key = (index, segment.status, segment.reason)
            totals[key] = totals.get(key, 0) + cut - cursor
            cursor = cut
    ordered = sorted(
        totals.items(), key=lambda item: (item[0][0], _RANK.get(item[0][1], 99), item[0][1], item[0][2] or "")
    )
    return [
        IntervalRow(
            date=day.date,
            start=day.start + index * size,
            end=min(day.start + (index + 1) * size, day.end),
            agent_id=history.agent_id,
            agent_name=history.display_name,
            status=status,
            reason=reason,
            seconds=seconds,
        )
        for (index, status, reason), seconds in ordered
    ]
