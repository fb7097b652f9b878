"""Intervals: time split exactly at 15/30/60-minute boundaries; the intervals of a day add up to the day."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.attendance import AgentHistory, attend, day_of
from contactcenter.errors import Invalid
from contactcenter.intervals import interval_bounds, intervals
from tests.support.histories import Change, history
from tests.unit.test_attendance import histories

ROME = ZoneInfo("Europe/Rome")


def _local(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, ROME).isoformat()


@pytest.mark.parametrize(
    ("day", "minutes", "count"),
    [
        (date(2026, 5, 12), 15, 96),
        (date(2026, 3, 29), 15, 92),
        (date(2026, 10, 25), 15, 100),
        (date(2026, 3, 29), 60, 23),
        (date(2026, 10, 25), 30, 50),
    ],
)
def test_a_day_has_as_many_intervals_as_its_length_holds(day: date, minutes: int, count: int) -> None:
    bounds = interval_bounds(day_of(day, ROME), minutes)
    assert len(bounds) == count
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_the_repeated_hour_is_labelled_by_its_two_offsets() -> None:
    bounds = interval_bounds(day_of(date(2026, 10, 25), ROME), 60)
    assert [_local(start) for start, _ in bounds[2:4]] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


def test_a_status_is_split_at_the_boundaries_it_crosses() -> None:
    agent = history(
        "ana",
        [
            Change("2026-05-12T09:50:00+02:00", "AVAILABLE"),
            Change("2026-05-12T10:20:00+02:00", "UNAVAILABLE", "BREAK"),
            Change("2026-05-12T10:31:00+02:00", "AWAY", "END_OF_SHIFT"),
        ],
    )
    rows = intervals(agent, day_of(date(2026, 5, 12), ROME), 15)
    assert [(_local(r.start)[11:16], r.status, r.reason, r.seconds) for r in rows] == [
        ("09:45", "AVAILABLE", None, 600),
        ("10:00", "AVAILABLE", None, 900),
        ("10:15", "AVAILABLE", None, 300),
        ("10:15", "UNAVAILABLE", "BREAK", 600),
        ("10:30", "UNAVAILABLE", "BREAK", 60),
    ]


@pytest.mark.parametrize("minutes", [0, 5, 20, 45, 120])
def test_only_15_30_and_60_minute_intervals(minutes: int) -> None:
    with pytest.raises(Invalid) as raised:
        intervals(AgentHistory("a", "A", []), day_of(date(2026, 5, 12), ROME), minutes)
    assert (raised.value.field, raised.value.rule) == ("intervalMinutes", "interval_length")


DAYS = [day_of(d, ROME) for d in (date(2026, 3, 29), date(2026, 5, 12), date(2026, 10, 25))]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(DAYS).flatmap(lambda day: st.tuples(st.just(day), histories(day.start - 7200, day.end + 7200))),
    st.sampled_from((15, 30, 60)),
)
def test_the_intervals_of_a_day_add_up_to_the_day(case: tuple, minutes: int) -> None:
    day, agent = case
    rows = intervals(agent, day, minutes)
    attendance = attend(agent, [day]).days
    by_status: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    per_interval: Counter[int] = Counter()
    for row in rows:
        assert day.start <= row.start < row.end <= day.end
        assert row.seconds > 0
        by_status[row.status] += row.seconds
        if row.reason:
            by_reason[row.reason] += row.seconds
        per_interval[row.start] += row.seconds
    assert all(seconds <= minutes * 60 for seconds in per_interval.values())
    expected_status = attendance[0].per_status if attendance else {}
    expected_reason = attendance[0].per_reason if attendance else {}
    assert dict(by_status) == expected_status
    assert dict(by_reason) == expected_reason
