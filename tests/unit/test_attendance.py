"""Attendance: days in the organization's time zone, sessions split at local midnight, exact seconds."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.attendance import (
    AWAY,
    AgentHistory,
    Day,
    Entry,
    attend,
    booked_seconds,
    checked_period,
    day_of,
    days_between,
    last_compilable_day,
    parse_date,
    segments,
    supervisor_actions,
)
from contactcenter.errors import Invalid
from tests.support.histories import Change, golden_histories, history

ROME = ZoneInfo("Europe/Rome")
STATUSES = ("AWAY", "AVAILABLE", "ACTIVE", "WRAP_UP", "OFFLINE_WORK", "UNAVAILABLE")
REASONS = ("BREAK", "MEETING", "OTHER")


# --- days ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours", "starts"),
    [
        ("Europe/Rome", date(2026, 3, 28), 24, "2026-03-28T00:00:00+01:00"),
        ("Europe/Rome", date(2026, 3, 29), 23, "2026-03-29T00:00:00+01:00"),
        ("Europe/Rome", date(2026, 10, 25), 25, "2026-10-25T00:00:00+02:00"),
        # Springs forward at midnight: the day begins at 01:00.
        ("America/Santiago", date(2026, 9, 6), 23, "2026-09-06T01:00:00-03:00"),
        ("America/Santiago", date(2026, 9, 5), 24, "2026-09-05T00:00:00-04:00"),
        ("Australia/Lord_Howe", date(2026, 10, 4), 23.5, "2026-10-04T00:00:00+10:30"),
        ("UTC", date(2026, 3, 29), 24, "2026-03-29T00:00:00+00:00"),
    ],
)
def test_a_day_runs_from_its_first_local_instant_to_the_next_days(
    zone: str, day: date, hours: float, starts: str
) -> None:
    local = day_of(day, ZoneInfo(zone))
    assert local.seconds == hours * 3600
    assert datetime.fromtimestamp(local.start, ZoneInfo(zone)).isoformat() == starts
    assert local.end == day_of(day + timedelta(days=1), ZoneInfo(zone)).start


def test_days_between_are_contiguous() -> None:
    days = days_between(date(2026, 3, 27), date(2026, 3, 31), ROME)
    assert [d.date.day for d in days] == [27, 28, 29, 30, 31]
    assert all(a.end == b.start for a, b in itertools.pairwise(days))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-03-29T22:29:59+00:00", date(2026, 3, 28)),  # 00:29:59 in Rome: within the grace
        ("2026-03-29T22:30:00+00:00", date(2026, 3, 29)),
        ("2026-10-25T23:30:00+00:00", date(2026, 10, 25)),  # midnight is 23:00 UTC after the change
        ("2026-10-25T23:29:00+00:00", date(2026, 10, 24)),
    ],
)
def test_a_day_is_compilable_half_an_hour_after_it_ends(now: str, expected: date) -> None:
    assert last_compilable_day(datetime.fromisoformat(now), ROME) == expected


# --- periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "field", "rule"),
    [
        (date(2026, 3, 10), date(2026, 3, 9), "to", "period_order"),
        (date(2026, 3, 10), date(2026, 3, 21), "to", "period_in_future"),
        (date(2026, 1, 1), date(2026, 2, 1), "to", "period_too_long"),
        (date(2025, 12, 1), date(2025, 12, 2), "from", "period_too_old"),
    ],
)
def test_bad_periods_name_the_field_and_rule(first: date, last: date, field: str, rule: str) -> None:
    with pytest.raises(Invalid) as raised:
        checked_period(first, last, today=date(2026, 3, 20), max_days=31, oldest=date(2026, 1, 1))
    assert (raised.value.field, raised.value.rule) == (field, rule)


def test_a_period_may_end_today() -> None:
    period = checked_period(date(2026, 3, 1), date(2026, 3, 20), today=date(2026, 3, 20), max_days=31)
    assert period.days == 20


@pytest.mark.parametrize("text", ["", None, "2026-3-1", "20260301", "2026-02-30", "yesterday", "2026-13-01"])
def test_dates_must_be_written_yyyy_mm_dd(text: str | None) -> None:
    with pytest.raises(Invalid) as raised:
        parse_date(text, field="from")
    assert raised.value.field == "from"


# --- sessions and totals -------------------------------------------------------------------------


def _rome(day: str) -> Day:
    return day_of(date.fromisoformat(day), ROME)


def test_times_are_booked_at_the_whole_second_and_never_go_back() -> None:
    agent = history(
        "ana",
        [
            Change("2026-05-12T09:00:00.999+02:00", "AVAILABLE"),
            Change("2026-05-12T09:00:01.001+02:00", "UNAVAILABLE", "BREAK"),
            Change("2026-05-12T09:00:00.500+02:00", "AVAILABLE"),  # another Lambda's clock, a little behind
        ],
    )
    first = agent.entries[0].at_ms // 1000
    assert booked_seconds(agent.entries) == [first, first + 1, first + 1]


def test_one_session_in_a_day() -> None:
    agent = history(
        "ana",
        [
            Change("2026-05-12T09:00:00.700+02:00", "AVAILABLE"),
            Change("2026-05-12T10:00:00+02:00", "UNAVAILABLE", "BREAK"),
            Change("2026-05-12T10:15:00+02:00", "UNAVAILABLE", "MEETING"),
            Change("2026-05-12T11:00:00+02:00", "AVAILABLE"),
            Change("2026-05-12T11:30:00+02:00", "OFFLINE_WORK", kind="queue"),  # not a status change
            Change("2026-05-12T17:00:00.300+02:00", "AWAY", "END_OF_SHIFT", note="bye"),
        ],
    )
    result = attend(agent, [_rome("2026-05-12")])
    (row,) = result.days
    assert row.clocked == 8 * 3600
    assert row.per_status == {"AVAILABLE": 3600 + 1800, "UNAVAILABLE": 3600, "OFFLINE_WORK": 5 * 3600 + 1800}
    assert row.per_reason == {"BREAK": 900, "MEETING": 2700}
    assert row.sessions == 1 and row.clock_out_reasons == ("END_OF_SHIFT",)
    assert not row.continued and not row.open
    (part,) = result.sessions
    assert (part.session, part.seconds, part.clock_out_note, part.open) == (1, 8 * 3600, "bye", False)


def test_a_session_across_midnight_is_split_there() -> None:
    agent = history(
        "ana",
        [
            Change("2026-05-11T22:00:00+02:00", "AVAILABLE", unit="south", platform="app"),
            Change("2026-05-12T06:00:00+02:00", "AWAY", "END_OF_SHIFT"),
        ],
    )
    result = attend(agent, days_between(date(2026, 5, 11), date(2026, 5, 12), ROME))
    assert [(d.date.day, d.clocked, d.continued, d.open) for d in result.days] == [
        (11, 2 * 3600, False, True),
        (12, 6 * 3600, True, False),
    ]
    assert [(p.session, p.unit_id, p.platform, p.continued, p.open) for p in result.sessions] == [
        (1, "south", "app", False, True),
        (1, "south", "app", True, False),
    ]
    assert result.days[1].first_clock_in is None
    assert result.days[0].last_clock_out is None


def test_the_state_at_the_start_comes_from_the_entries_before_it() -> None:
    # What the store reads for a day: back to the clock-in of the session open at its start.
    agent = history(
        "ana",
        [
            Change("2026-05-11T20:00:00+02:00", "AVAILABLE"),
            Change("2026-05-11T23:00:00+02:00", "UNAVAILABLE", "BREAK"),
            Change("2026-05-11T23:50:00+02:00", "UNAVAILABLE", "BREAK", kind="flag", detail={"stopNew": "false"}),
            Change("2026-05-12T00:30:00+02:00", "AWAY", "SICK"),
        ],
    )
    result = attend(agent, [_rome("2026-05-12")])
    assert result.days[0].per_reason == {"BREAK": 1800}
    assert result.sessions[0].clock_in == agent.entries[0].at_ms // 1000


def test_an_open_session_is_cut_at_the_end_of_the_day_or_the_cut_off() -> None:
    agent = history("ana", [Change("2026-05-12T09:00:00+02:00", "AVAILABLE")])
    day = _rome("2026-05-12")
    assert attend(agent, [day]).days[0].clocked == 15 * 3600
    noon = day.start + 12 * 3600
    cut = attend(agent, [day, _rome("2026-05-13")], until=noon)
    assert [(d.clocked, d.open) for d in cut.days] == [(3 * 3600, True)]
    assert cut.sessions[0].end == noon


def test_an_agent_away_all_day_has_no_row() -> None:
    agent = history(
        "ana",
        [Change("2026-05-10T09:00:00+02:00", "AVAILABLE"), Change("2026-05-10T17:00:00+02:00", "AWAY", "SICK")],
    )
    assert attend(agent, [_rome("2026-05-12")]).days == []
    assert attend(AgentHistory("x", "X", []), [_rome("2026-05-12")]).days == []


def test_a_clock_in_and_out_within_one_second_is_a_session_of_zero_seconds() -> None:
    agent = history(
        "ana",
        [
            Change("2026-05-12T09:00:00.100+02:00", "AVAILABLE"),
            Change("2026-05-12T09:00:00.900+02:00", "AWAY", "OTHER"),
        ],
    )
    (row,) = attend(agent, [_rome("2026-05-12")]).days
    assert (row.sessions, row.clocked, row.per_status) == (1, 0, {})


def test_supervisor_actions_are_every_entry_a_supervisor_caused_that_day() -> None:
    ben = next(h for h in golden_histories() if h.agent_id == "ben")
    actions = supervisor_actions(ben, _rome("2026-03-29"))
    assert [(a.supervisor_id, a.action, a.to_status, a.reason) for a in actions] == [
        ("sue", "force_status", "UNAVAILABLE", "MEETING"),
        ("sue", "queue_login", "AVAILABLE", None),
        ("sue", "force_status", "UNAVAILABLE", "OTHER"),
    ]
    assert actions[1].detail == (("queue", "sales"), ("queueAction", "login"))


@pytest.mark.parametrize(
    ("kind", "detail", "to", "expected"),
    [
        ("status", {}, "AWAY", "clock_out"),
        ("status", {}, "AVAILABLE", "force_status"),
        ("queue", {"queueAction": "logout", "queue": "q"}, "AVAILABLE", "queue_logout"),
        ("flag", {"autoAssignment": "false"}, "ACTIVE", "auto_assignment_off"),
        ("flag", {"autoAssignment": "true"}, "ACTIVE", "auto_assignment_on"),
        ("flag", {"stopNew": "true"}, "ACTIVE", "stop_new"),
        ("next_status", {"cancelled": "AWAY"}, "ACTIVE", "next_status_cancelled"),
        ("next_status", {"nextStatus": "AWAY"}, "ACTIVE", "next_status_set"),
        ("monitoring", {"monitoringAction": "barge"}, "ACTIVE", "monitoring_barge"),
        ("message", {}, "AVAILABLE", "message"),
        ("something_new", {}, "AVAILABLE", "something_new"),
    ],
)
def test_supervisor_action_names(kind: str, detail: dict[str, str], to: str, expected: str) -> None:
    from contactcenter.attendance import action_name

    entry = Entry(1, 0, kind, "ACTIVE", to, None, None, "supervisor", "sam", None, None, detail or None)
    assert action_name(entry) == expected


# --- properties ----------------------------------------------------------------------------------

WINDOW = Day(date(2026, 1, 1), 10_000, 10_000 + 3 * 3600)


@st.composite
def histories(draw: st.DrawFn, low: int, high: int) -> AgentHistory:
    """Random changes in milliseconds between `low` and `high` seconds, in any status order."""
    count = draw(st.integers(0, 40))
    moments = sorted(draw(st.lists(st.integers(low * 1000, high * 1000), min_size=count, max_size=count)))
    entries = []
    previous = AWAY
    for sequence, moment in enumerate(moments, start=1):
        status = draw(st.sampled_from(STATUSES))
        reason = draw(st.sampled_from(REASONS)) if status in ("UNAVAILABLE", "AWAY") else None
        kind = "status" if status != previous else draw(st.sampled_from(("work", "queue", "status")))
        entries.append(Entry(sequence, moment, kind, previous, status, reason, None, "agent", "a", "u", "web"))
        previous = status
    return AgentHistory("a", "A", entries)


def _oracle(agent: AgentHistory, day: Day) -> Counter[tuple[str, str | None]]:
    """Second by second: the state in force during each second is what the last entry booked at or
    before it says."""
    times = booked_seconds(agent.entries)
    spent: Counter[tuple[str, str | None]] = Counter()
    for second in range(day.start, day.end):
        index = bisect_right(times, second)
        if index:
            entry = agent.entries[index - 1]
            if entry.to_status != AWAY:
                spent[(entry.to_status, entry.reason if entry.to_status == "UNAVAILABLE" else None)] += 1
    return spent


@settings(max_examples=150, deadline=None)
@given(histories(WINDOW.start - 3600, WINDOW.end + 3600))
def test_seconds_per_status_and_reason_equal_a_second_by_second_count(agent: AgentHistory) -> None:
    oracle = _oracle(agent, WINDOW)
    rows = attend(agent, [WINDOW]).days
    if not rows:
        assert sum(oracle.values()) == 0
        return
    (row,) = rows
    by_status: Counter[str] = Counter()
    for (status, _), seconds in oracle.items():
        by_status[status] += seconds
    assert row.per_status == {k: v for k, v in by_status.items() if v}
    assert row.per_reason == {reason: v for (status, reason), v in oracle.items() if status == "UNAVAILABLE" and v}


@settings(max_examples=150, deadline=None)
@given(histories(day_of(date(2026, 3, 28), ROME).start, day_of(date(2026, 3, 30), ROME).end), st.booleans())
def test_per_agent_and_day_statuses_reasons_and_sessions_add_up_to_the_clocked_seconds(
    agent: AgentHistory, autumn: bool
) -> None:
    days = days_between(date(2026, 3, 28), date(2026, 3, 30), ROME)
    if autumn:  # the same history moved onto the autumn change
        shift = (day_of(date(2026, 10, 24), ROME).start - days[0].start) * 1000
        agent = AgentHistory("a", "A", [e._replace(at_ms=e.at_ms + shift) for e in agent.entries])
        days = days_between(date(2026, 10, 24), date(2026, 10, 26), ROME)
    result = attend(agent, days)
    for row in result.days:
        assert sum(row.per_status.values()) == row.clocked
        assert sum(row.per_reason.values()) == row.per_status.get("UNAVAILABLE", 0)
        parts = [p for p in result.sessions if p.date == row.date]
        assert sum(p.seconds for p in parts) == row.clocked
        assert len(parts) == row.sessions
        day = next(d for d in days if d.date == row.date)
        assert 0 <= row.clocked <= day.seconds
        assert sum(s.end - s.start for s in segments(agent, day)) == row.clocked
    # The days together hold every clocked second of the period.
    whole = Day(days[0].date, days[0].start, days[-1].end)
    assert sum(row.clocked for row in result.days) == sum(s.end - s.start for s in segments(agent, whole))


def test_the_midnight_between_two_days_loses_and_doubles_nothing() -> None:
    agent = history(
        "ana",
        [
            Change("2026-03-28T23:59:59.999+01:00", "AVAILABLE"),
            Change("2026-03-29T00:00:00.000+01:00", "UNAVAILABLE", "BREAK"),
            Change("2026-03-29T00:00:00.001+01:00", "AWAY", "OTHER"),
        ],
    )
    rows = attend(agent, days_between(date(2026, 3, 28), date(2026, 3, 29), ROME)).days
    assert [(r.date.day, r.clocked, r.open, r.continued) for r in rows] == [(28, 1, True, False), (29, 0, False, True)]


def test_epoch_conversion_is_exact() -> None:
    from contactcenter.attendance import epoch_ms

    assert epoch_ms(datetime(2026, 3, 29, 1, 0, 0, 999000, tzinfo=UTC)) == 1774746000999
