"""Adherence arithmetic: every scheduled second judged once (adherent + non-adherent = scheduled), on
ordinary and daylight-saving days; the judgement of a second never depends on what comes after it (a
schedule changed mid-day leaves the morning as it was, and the live view agrees with the daily file);
work in hand when a break starts is excused until it ends; the worked example of docs/adherence.md."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.adherence import (
    COUNTED_ADHERENT,
    Impact,
    Judgement,
    LiveState,
    Stint,
    adherence_day,
    live,
    percent,
    stints,
    timeline,
)
from contactcenter.attendance import Entry, day_of
from contactcenter.schedules import Activity, ActivityAdherence, ActivityKind, AdherenceSettings

ROME = ZoneInfo("Europe/Rome")
DAYS = (date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 10))  # 23 h, 25 h, 24 h
STATES = (
    ("AVAILABLE", None),
    ("ACTIVE", None),
    ("WRAP_UP", None),
    ("OFFLINE_WORK", None),
    ("UNAVAILABLE", "BREAK"),
    ("UNAVAILABLE", "MEETING"),
    ("AWAY", None),
)


def entry(sequence: int, at: int, status: str, reason: str | None = None) -> Entry:
    return Entry(sequence, at * 1000, "status", "", status, reason, None, "agent", "a1", "u1", "web")


@st.composite
def agent_days(draw: st.DrawFn) -> tuple[object, list[Entry], list[Activity], list[tuple[int, int]], AdherenceSettings]:
    day = day_of(draw(st.sampled_from(DAYS)), ROME)
    moments = sorted(draw(st.lists(st.integers(day.start - 3600, day.end + 3600), max_size=25)))
    entries = [entry(i + 1, t, *draw(st.sampled_from(STATES))) for i, t in enumerate(moments)]
    cuts = sorted(set(draw(st.lists(st.integers(day.start, day.end), min_size=0, max_size=16))))
    activities = [
        Activity(draw(st.sampled_from(list(ActivityKind))), a, b)
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if b > a
    ]
    exception_cuts = sorted(draw(st.lists(st.integers(day.start, day.end), max_size=4)))
    exceptions = [(a, b) for a, b in zip(exception_cuts[::2], exception_cuts[1::2], strict=False) if b > a]
    tolerance = draw(st.integers(0, 10))
    rules = AdherenceSettings(
        activities={
            kind: ActivityAdherence(states=rule.states, tolerance_minutes=tolerance)
            for kind, rule in AdherenceSettings().activities.items()
        },
        severe_minutes=draw(st.integers(1, 60)),
    )
    return day, entries, activities, exceptions, rules


@settings(max_examples=300, deadline=None)
@given(agent_days())
def test_adherent_and_non_adherent_seconds_make_the_scheduled_seconds(case: tuple) -> None:  # type: ignore[type-arg]
    day, entries, activities, exceptions, rules = case
    figures = adherence_day(entries, day, activities, exceptions, rules)
    assert figures.adherent + figures.non_adherent == figures.scheduled
    assert figures.scheduled == sum(a.end - a.start for a in activities)
    assert sum(e.seconds for e in figures.episodes) == figures.non_adherent
    assert figures.less_available + figures.more_available <= figures.non_adherent
    assert figures.approved + figures.excused + figures.tolerated <= figures.adherent
    # Every second of the day is in exactly one piece.
    pieces = timeline(stints(entries, day.start, day.end), activities, exceptions, rules)
    assert [p.start for p in pieces[1:]] == [p.end for p in pieces[:-1]]
    assert pieces[0].start == day.start and pieces[-1].end == day.end
    if figures.adherence_basis_points is not None:
        assert 0 <= figures.adherence_basis_points <= 10_000


@settings(max_examples=300, deadline=None)
@given(agent_days(), st.data())
def test_a_schedule_changed_mid_day_leaves_what_was_judged_before(case: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    day, entries, activities, exceptions, rules = case
    change = data.draw(st.integers(day.start, day.end))
    # The schedule as it stood in the morning, then replaced from `change` on with something else.
    later = [Activity(ActivityKind.MEETING, change, min(day.end, change + 1800))] if change < day.end else []
    replaced = [Activity(a.kind, a.start, min(a.end, change)) for a in activities if a.start < change] + later
    before = timeline(stints(entries, day.start, day.end), activities, exceptions, rules)
    after = timeline(stints(entries, day.start, day.end), replaced, exceptions, rules)
    assert _per_second(before, day.start, change) == _per_second(after, day.start, change)
    cut = adherence_day(entries, day, activities, exceptions, rules, until=change)
    assert cut == adherence_day(entries, day, replaced, exceptions, rules, until=change)


def _per_second(pieces: list, start: int, end: int) -> list[tuple[int, int, Judgement]]:  # type: ignore[type-arg]
    return [(max(p.start, start), min(p.end, end), p.judgement) for p in pieces if p.start < end and p.end > start]


@settings(max_examples=200, deadline=None)
@given(agent_days(), st.data())
def test_the_live_view_judges_a_moment_as_the_daily_file_does(case: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    day, entries, activities, exceptions, rules = case
    now = data.draw(st.integers(day.start, day.end - 1))
    stays = stints(entries, day.start, day.end)
    stay = next(s for s in stays if s.start <= now < s.end)
    piece = next(p for p in timeline(stays, activities, exceptions, rules) if p.start <= now < p.end)
    view = live(stay, activities, exceptions, rules, now=now)
    assert view.judgement is piece.judgement
    assert (view.state is LiveState.OUT) == (piece.judgement is Judgement.OUT)
    if view.next_check is not None:
        # Nothing changes by time alone before the next check.
        for moment in (now + 1, view.next_check - 1):
            if now < moment < min(view.next_check, stay.end):
                assert live(stay, activities, exceptions, rules, now=moment).state is view.state


def test_daylight_saving_days_schedule_their_real_length() -> None:
    rules = AdherenceSettings()
    for local, seconds in ((date(2026, 3, 29), 82_800), (date(2026, 10, 25), 90_000)):
        day = day_of(local, ROME)
        whole = [Activity(ActivityKind.WORK, day.start, day.end)]
        figures = adherence_day([entry(1, day.start - 60, "AVAILABLE")], day, whole, [], rules)
        assert (figures.scheduled, figures.adherent, figures.non_adherent) == (seconds, seconds, 0)
        assert percent(figures.adherence_basis_points) == "100.00"


def test_work_in_hand_when_a_break_starts_is_excused_until_it_ends() -> None:
    rules = AdherenceSettings()  # 2 minutes of tolerance
    day = day_of(date(2026, 6, 10), ROME)
    t = day.start + 12 * 3600
    activities = [Activity(ActivityKind.WORK, t - 3600, t), Activity(ActivityKind.BREAK, t, t + 900)]
    entries = [entry(1, t - 3600, "AVAILABLE"), entry(2, t - 60, "ACTIVE"), entry(3, t + 300, "AVAILABLE")]
    pieces = timeline(stints(entries, day.start, day.end), activities, [], rules)
    judged = [(p.start - t, p.end - t, p.judgement) for p in pieces if t <= p.start < t + 900]
    assert judged == [
        (0, 300, Judgement.EXCUSED),  # still on the call that began before the break
        (300, 420, Judgement.TOLERATED),  # two minutes to go on break
        (420, 900, Judgement.OUT),
    ]
    out = next(p for p in pieces if p.judgement is Judgement.OUT)
    assert out.impact is Impact.MORE_AVAILABLE
    # A call taken after the break began is not excused.
    late = [entry(1, t - 3600, "AVAILABLE"), entry(2, t + 10, "ACTIVE")]
    first = next(p for p in timeline(stints(late, day.start, day.end), activities, [], rules) if p.start >= t + 10)
    assert first.judgement is Judgement.TOLERATED


def test_worked_example_of_the_docs() -> None:
    """docs/adherence.md: 09:00-13:00 work, 11:00-11:15 break, 13:00-14:00 lunch, 14:00-17:00 work,
    15:00-16:00 meeting; tolerance 2 minutes, severe 15."""
    day = day_of(date(2026, 6, 10), ROME)
    h = lambda hh, mm=0, ss=0: day.start + hh * 3600 + mm * 60 + ss  # noqa: E731
    activities = [
        Activity(ActivityKind.WORK, h(9), h(11)),
        Activity(ActivityKind.BREAK, h(11), h(11, 15)),
        Activity(ActivityKind.WORK, h(11, 15), h(13)),
        Activity(ActivityKind.LUNCH, h(13), h(14)),
        Activity(ActivityKind.WORK, h(14), h(15)),
        Activity(ActivityKind.MEETING, h(15), h(16)),
        Activity(ActivityKind.WORK, h(16), h(17)),
    ]
    entries = [
        entry(1, h(9, 1), "AVAILABLE"),  # clocks in a minute late: tolerated
        entry(2, h(10, 58), "ACTIVE"),  # a call that runs into the break
        entry(3, h(11, 4), "UNAVAILABLE", "BREAK"),  # straight to break at the call's end
        entry(4, h(11, 20), "AVAILABLE"),  # back 5 minutes late: 2 tolerated, 3 out
        entry(5, h(13), "AWAY"),  # lunch
        entry(6, h(14), "AVAILABLE"),
        entry(7, h(15), "AVAILABLE"),  # forgets the meeting for 20 minutes: 2 tolerated, 18 out (severe)
        entry(8, h(15, 20), "UNAVAILABLE", "MEETING"),
        entry(9, h(16), "AVAILABLE"),
        entry(10, h(17, 30), "AWAY"),  # stays half an hour after the shift: unscheduled
    ]
    figures = adherence_day(entries, day, activities, [], AdherenceSettings())
    assert figures.scheduled == 8 * 3600
    assert figures.non_adherent == 3 * 60 + 18 * 60
    assert figures.adherent == 8 * 3600 - 21 * 60
    assert figures.tolerated == 60 + 120 + 120
    assert figures.excused == 4 * 60
    assert figures.unscheduled == 30 * 60
    assert len(figures.episodes) == 2 and figures.severe_episodes == 1
    assert (figures.less_available, figures.more_available) == (3 * 60, 18 * 60)
    assert percent(figures.adherence_basis_points) == "95.63"  # 27540 / 28800
    # Work scheduled 5 h 45 min; in working states 09:01-11:04, 11:20-13:00, 14:00-15:20, 16:00-17:30.
    assert figures.work_scheduled == 5 * 3600 + 45 * 60
    assert figures.worked == (2 * 3600 + 3 * 60) + (3600 + 40 * 60) + (3600 + 20 * 60) + 90 * 60
    assert percent(figures.conformance_basis_points) == "113.91"  # 23580 / 20700


def test_approved_exception_counts_as_adherent() -> None:
    day = day_of(date(2026, 6, 10), ROME)
    t = day.start + 10 * 3600
    activities = [Activity(ActivityKind.WORK, t, t + 3600)]
    entries = [entry(1, t, "UNAVAILABLE", "MEETING")]
    figures = adherence_day(entries, day, activities, [(t + 600, t + 1800)], AdherenceSettings())
    assert figures.approved == 1200
    assert figures.non_adherent == 3600 - 120 - 1200
    assert {Judgement.APPROVED, Judgement.TOLERATED} <= COUNTED_ADHERENT


def test_live_state_crosses_the_boundary_at_the_tolerance() -> None:
    rules = AdherenceSettings(
        activities={
            k: ActivityAdherence(states=v.states, tolerance_minutes=0)
            for k, v in AdherenceSettings().activities.items()
        }
    )
    t = 1_780_000_000
    activities = [Activity(ActivityKind.WORK, t - 600, t), Activity(ActivityKind.BREAK, t, t + 600)]
    stay = Stint(t - 300, t + 10_000, "AVAILABLE", None, t - 300)
    before = live(stay, activities, [], rules, now=t - 1)
    assert before.state is LiveState.IN and before.next_check == t
    after = live(stay, activities, [], rules, now=t)
    assert after.state is LiveState.OUT and after.impact is Impact.MORE_AVAILABLE and after.out_since == t
    assert after.next_check == t + 600  # the break's end comes before the severe threshold (15 min)
