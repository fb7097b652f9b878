"""Timers as data: which changes start one, the delay each is sent with, the message both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.agents import AgentState, Change
from contactcenter.statuses import Status
from contactcenter.timers import MAX_DELAY_SECONDS, MAX_WAIT_SECONDS, Timer, TimerKind, delay_seconds, timers_for

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _agent(**fields: object) -> AgentState:
    agent = AgentState(organization_id="acme", agent_id="ana", display_name="Ana", units=(), groups=())
    return replace(agent, **fields)  # type: ignore[arg-type]


def test_entering_wrap_up_starts_its_end_timer() -> None:
    ends = NOW + timedelta(seconds=30)
    after = _agent(status=Status.WRAP_UP, wrap_up_ends_at=ends)
    (timer,) = timers_for(_agent(status=Status.ACTIVE), Change(state=after, entries=()))
    assert timer == Timer(TimerKind.WRAP_UP_END, "acme", "ana", ends)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (_agent(status=Status.ACTIVE), _agent(status=Status.AVAILABLE)),
        # still the same wrap-up (a next status set meanwhile): its timer was sent when it started
        (
            _agent(status=Status.WRAP_UP, wrap_up_ends_at=NOW),
            _agent(status=Status.WRAP_UP, wrap_up_ends_at=NOW),
        ),
    ],
)
def test_other_changes_start_none(before: AgentState, after: AgentState) -> None:
    assert timers_for(before, Change(state=after, entries=())) == []


@given(st.floats(min_value=-10_000, max_value=10_000, allow_nan=False))
def test_the_delay_brings_it_back_at_most_a_second_early_and_never_late(seconds: float) -> None:
    timer = Timer(TimerKind.WRAP_UP_END, "acme", "ana", NOW + timedelta(seconds=seconds))
    delay = delay_seconds(timer, NOW)
    assert 0 <= delay <= MAX_DELAY_SECONDS
    if 0 <= seconds <= MAX_DELAY_SECONDS:
        assert seconds - MAX_WAIT_SECONDS < delay <= seconds
    elif seconds > MAX_DELAY_SECONDS:
        assert delay == MAX_DELAY_SECONDS  # goes round again


def test_the_message_round_trips_and_refuses_what_it_did_not_write() -> None:
    timer = Timer(TimerKind.WRAP_UP_END, "acme", "ana", NOW + timedelta(milliseconds=1234), {"rule": "r1"})
    assert Timer.from_message(timer.to_message()) == timer
    for body in (
        "not json",
        '{"kind": "nope"}',
        '{"kind":"wrap_up_end","organizationId":"a","agentId":"b","dueAt":"2026-12-08T09:00:00"}',
    ):
        with pytest.raises((ValueError, KeyError)):
            Timer.from_message(body)
