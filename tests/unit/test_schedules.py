"""Schedules: wall-clock times on daylight-saving days (a time that happens twice needs its offset, one
that never happens is refused), activities inside their day and not overlapping, and imports that report
every bad row and keep the good ones."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.attendance import day_of
from contactcenter.errors import Invalid
from contactcenter.schedules import (
    ActivityDraft,
    ActivityKind,
    ImportRow,
    build_schedule,
    csv_rows,
    parse_moment,
    plan_import,
)

ROME = ZoneInfo("Europe/Rome")
SPRING, AUTUMN, SUMMER = date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 10)


def test_wall_clock_times_on_daylight_saving_days() -> None:
    spring, autumn = day_of(SPRING, ROME), day_of(AUTUMN, ROME)
    assert parse_moment("03:00", spring, ROME, field_name="start") - spring.start == 2 * 3600  # 02:00 never was
    with pytest.raises(Invalid) as gap:
        parse_moment("02:30", spring, ROME, field_name="start")
    assert gap.value.rule == "nonexistent_local_time"
    with pytest.raises(Invalid) as twice:
        parse_moment("02:30", autumn, ROME, field_name="start")
    assert twice.value.rule == "ambiguous_local_time"
    first = parse_moment("2026-10-25T02:30:00+02:00", autumn, ROME, field_name="start")
    second = parse_moment("2026-10-25T02:30:00+01:00", autumn, ROME, field_name="start")
    assert second - first == 3600
    assert parse_moment("24:00", autumn, ROME, field_name="end") - autumn.start == 25 * 3600


def test_a_schedule_is_ordered_inside_its_day_without_overlaps() -> None:
    drafts = [ActivityDraft("break", "11:00", "11:15"), ActivityDraft("WORK", "09:00", "11:00")]
    schedule = build_schedule("a1", SUMMER, drafts, ROME)
    assert [a.kind for a in schedule.activities] == [ActivityKind.WORK, ActivityKind.BREAK]
    for drafts, rule in (
        ([ActivityDraft("work", "09:00", "11:00"), ActivityDraft("break", "10:59", "11:15")], "overlap"),
        ([ActivityDraft("nap", "09:00", "10:00")], "unknown_activity"),
        ([ActivityDraft("work", "10:00", "09:00")], "activity_order"),
        ([ActivityDraft("work", "2026-06-09T22:00:00+02:00", "02:00")], "activity_outside_day"),
        ([ActivityDraft("work", "9am", "10:00")], "time_format"),
    ):
        with pytest.raises(Invalid) as refused:
            build_schedule("a1", SUMMER, drafts, ROME)
        assert refused.value.rule == rule


def test_a_csv_import_reports_every_bad_row_and_keeps_the_rest() -> None:
    text = (
        "agent_id,date,kind,start,end\n"
        "a1,2026-06-10,work,09:00,13:00\n"  # 1 good
        "a1,2026-06-10,lunch,13:00,14:00\n"  # 2 good
        "zz,2026-06-10,work,09:00,17:00\n"  # 3 unknown agent
        "a2,2026-06-10,work,09:00\n"  # 4 wrong cells
        "a2,2026-06-10,work,09:00,17:00\n"  # 5 good
        "a2,2026-06-10,break,16:30,17:30\n"  # 6 overlaps row 5
        "a2,2026-13-10,work,09:00,17:00\n"  # 7 bad date
        "a1,2026-06-11,sleep,09:00,17:00\n"  # 8 unknown kind
    )
    rows, problems = csv_rows(text)
    plan = plan_import(rows, ROME, known_agents=frozenset({"a1", "a2"}), today=SUMMER)
    reported = sorted([(p.row, p.rule) for p in problems + plan.problems])
    assert reported == [
        (3, "unknown_agent"),
        (4, "csv_cells"),
        (6, "overlap"),
        (7, "date_format"),
        (8, "unknown_activity"),
    ]
    assert plan.rows_applied == 3
    assert [(s.agent_id, s.date, len(s.activities)) for s in plan.schedules] == [("a1", SUMMER, 2), ("a2", SUMMER, 1)]


def test_a_csv_with_another_header_is_refused_whole() -> None:
    with pytest.raises(Invalid) as refused:
        csv_rows("agent,day,kind,start,end\n")
    assert refused.value.rule == "csv_header"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 95), st.integers(1, 8), st.sampled_from(list(ActivityKind))), max_size=30))
def test_applied_rows_and_reported_rows_account_for_every_row(cells: list[tuple[int, int, ActivityKind]]) -> None:
    rows = [
        ImportRow(
            i + 1,
            "a1",
            SUMMER.isoformat(),
            kind.value,
            f"{start // 4:02d}:{start % 4 * 15:02d}",
            f"{min(96, start + length) // 4:02d}:{min(96, start + length) % 4 * 15:02d}",
        )
        for i, (start, length, kind) in enumerate(cells)
    ]
    plan = plan_import(rows, ROME, known_agents=frozenset({"a1"}), today=SUMMER)
    assert plan.rows_applied + len(plan.problems) == len(rows)
    for schedule in plan.schedules:
        assert all(a.end <= b.start for a, b in zip(schedule.activities, schedule.activities[1:], strict=False))
