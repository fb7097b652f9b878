"""Status rules: validation names the broken rule; matching by status, reason, unit, queue and exempt units;
a tier is due at the stint's start plus its seconds and fires on the stint it was set for only; the
cooldown keeps a rule quiet for an agent; properties over random states and rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contactcenter.agents import AgentState
from contactcenter.status_rules import (
    RULE_ERRORS,
    StatusRule,
    Verdict,
    due_tiers,
    judge,
    matches,
    stint_of,
)
from contactcenter.statuses import Status

T0 = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def agent(status: Status = Status.UNAVAILABLE, reason: str | None = "BREAK", **fields: object) -> AgentState:
    base = AgentState(
        organization_id="o1",
        agent_id="a1",
        display_name="A",
        units=("u1",),
        groups=("agents",),
        status=status,
        since=T0,
        reason=reason,
        unit_id="u1",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def rule(**fields: object) -> StatusRule:
    body: dict[str, object] = {
        "rule_id": "long-break",
        "name": "Long break",
        "status": "UNAVAILABLE",
        "reason": "BREAK",
        "tiers": [
            {"after_seconds": 300, "notice": "warning"},
            {"after_seconds": 600, "notice": "alert", "notify_agent": True},
            {"after_seconds": 900, "force": {"status": "AVAILABLE"}, "publish_event": True},
        ],
    }
    return StatusRule.model_validate(body | fields)


@pytest.mark.parametrize(
    ("fields", "broken"),
    [
        ({"tiers": [{"after_seconds": 60}]}, "tier_does_nothing"),
        (
            {"tiers": [{"after_seconds": 60, "notify_agent": True, "publish_event": True}]},
            "agent_notice_without_notice",
        ),
        (
            {"tiers": [{"after_seconds": 60, "notice": "alert"}, {"after_seconds": 60, "notice": "alert"}]},
            "tiers_out_of_order",
        ),
        ({"status": "AWAY", "reason": None}, "rule_on_away"),
        ({"status": "AVAILABLE"}, "reason_without_unavailable"),
        (
            {"status": "ACTIVE", "reason": None, "tiers": [{"after_seconds": 60, "force": {"status": "AVAILABLE"}}]},
            "force_from_automatic",
        ),
        ({"tiers": [{"after_seconds": 60, "force": {"status": "ACTIVE"}}]}, "force_to_automatic"),
        (
            {
                "tiers": [
                    {"after_seconds": 60, "force": {"status": "AVAILABLE"}},
                    {"after_seconds": 120, "notice": "alert"},
                ]
            },
            "force_before_last_tier",
        ),
        ({"unit_id": "u1", "exempt_units": ["u1"]}, "unit_exempt_from_itself"),
    ],
)
def test_a_bad_rule_names_what_it_breaks(fields: dict[str, object], broken: str) -> None:
    assert broken in RULE_ERRORS
    with pytest.raises(ValidationError, match=broken):
        rule(**fields)


def test_matching() -> None:
    r = rule()
    assert matches(r, agent())
    assert not matches(r, agent(reason="MEETING"))
    assert not matches(r, agent(Status.AVAILABLE, None))
    assert not matches(r.model_copy(update={"enabled": False}), agent())
    assert not matches(r.model_copy(update={"exempt_units": frozenset({"u1"})}), agent())
    assert matches(r.model_copy(update={"unit_id": "u1"}), agent())
    assert not matches(r.model_copy(update={"unit_id": "u2"}), agent())
    assert not matches(r.model_copy(update={"queue_id": "q1"}), agent())
    assert matches(r.model_copy(update={"queue_id": "q1"}), agent(queues=("q1",)))
    assert not matches(r, agent(Status.AWAY, None))


def test_a_tier_fires_at_its_moment_on_its_stint_only() -> None:
    r, state = rule(), agent()
    due = due_tiers([r], state)
    assert [(d.tier, d.due_at - T0) for d in due] == [(i, timedelta(seconds=s)) for i, s in enumerate((300, 600, 900))]
    key = due[0].stint.key
    assert judge([r], "long-break", 0, key, state, now=T0 + timedelta(seconds=299))[0] is Verdict.NOT_YET
    assert judge([r], "long-break", 0, key, state, now=T0 + timedelta(seconds=300))[0] is Verdict.FIRE
    # The agent came back and went on break again: a new stint, the old timer does nothing.
    again = agent(since=T0 + timedelta(seconds=200))
    assert judge([r], "long-break", 0, key, again, now=T0 + timedelta(seconds=300))[0] is Verdict.STINT_OVER
    assert judge([r], "long-break", 5, key, state, now=T0 + timedelta(hours=1))[0] is Verdict.GONE
    assert judge([], "long-break", 0, key, state, now=T0 + timedelta(hours=1))[0] is Verdict.GONE


def test_cooldown_keeps_a_rule_quiet_for_the_agent() -> None:
    r = rule(cooldown_seconds=3600)
    state = agent()
    key = stint_of(state).key  # type: ignore[union-attr]
    now = T0 + timedelta(seconds=300)
    fired_before = {"long-break": T0 - timedelta(minutes=30)}
    assert judge([r], "long-break", 0, key, state, now=now, last_fired=fired_before)[0] is Verdict.COOLING_DOWN
    later = T0 + timedelta(seconds=600)
    assert judge([r], "long-break", 1, key, state, now=later, last_fired=fired_before, this_stint_fired=True)[0] is (
        Verdict.FIRE
    )
    long_ago = {"long-break": T0 - timedelta(hours=2)}
    assert judge([r], "long-break", 0, key, state, now=now, last_fired=long_ago)[0] is Verdict.FIRE


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([Status.AVAILABLE, Status.UNAVAILABLE, Status.OFFLINE_WORK, Status.ACTIVE, Status.WRAP_UP]),
    st.sampled_from([None, "BREAK", "MEETING"]),
    st.lists(st.integers(1, 7200), min_size=1, max_size=5, unique=True),
    st.integers(0, 10_000),
)
def test_every_due_tier_fires_at_its_moment_and_not_a_second_before(
    status: Status, reason: str | None, seconds: list[int], offset: int
) -> None:
    reason = reason if status is Status.UNAVAILABLE else None
    r = StatusRule.model_validate(
        {
            "rule_id": "r",
            "name": "r",
            "status": status,
            "reason": reason,
            "tiers": [{"after_seconds": s, "notice": "warning"} for s in sorted(seconds)],
        }
    )
    state = agent(status, reason)
    due = due_tiers([r], state)
    assert len(due) == len(seconds)
    for d in due:
        verdict, _ = judge([r], "r", d.tier, d.stint.key, state, now=d.due_at - timedelta(milliseconds=1))
        assert verdict is Verdict.NOT_YET
        assert judge([r], "r", d.tier, d.stint.key, state, now=d.due_at + timedelta(seconds=offset))[0] is Verdict.FIRE
    other = agent(Status.AVAILABLE if status is not Status.AVAILABLE else Status.OFFLINE_WORK, None)
    assert due_tiers([r], other) == []
