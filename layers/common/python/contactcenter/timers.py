"""Timers: something to decide about one agent at an exact moment (a wrap-up's end, a status rule's limit).

A timer is plain data. A change that starts something with an end (`timers_for`) yields its timers; the
store puts each on the timer queue (SQS, delays up to 900 s, carried over again for longer waits); the
timers function receives it within a second of its moment and applies the timer kind's action through
`decide` with `now` = the timer's moment, so what it records carries that exact time. A timer that finds
nothing to do (the agent moved on) is simply done. The minute's wrap-up sweep stays as the backstop for
a timer that could not be sent.

Adding a kind of timer (interface for other rules):
  1. a name in `TimerKind`;
  2. where the timer comes from: a function `(before, change) -> Iterable[Timer]` in `TIMER_SOURCES`;
  3. what it does when due: the action in services/timers.py `ACTIONS[kind]` (a function of the Timer
     returning a contactcenter.status Action; `Timer.detail` carries what it needs, strings only).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from contactcenter.agents import AgentState, Change
from contactcenter.statuses import Status

# SQS's longest delay; a timer further away goes round again (the consumer re-sends it).
MAX_DELAY_SECONDS = 900
# A timer arriving this early (SQS delays are whole seconds and rounded down here) waits in the consumer.
MAX_WAIT_SECONDS = 1.0


class TimerKind(StrEnum):
    WRAP_UP_END = "wrap_up_end"
    STATUS_RULE = "status_rule"  # a status rule's tier: detail ruleId, tier, stint (services/status_rules.py)
    ADHERENCE_CHECK = "adherence_check"  # the next moment an agent's adherence changes by time alone


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    organization_id: str
    agent_id: str
    due_at: datetime  # timezone-aware, to the millisecond
    detail: Mapping[str, str] = field(default_factory=dict)

    def to_message(self) -> str:
        return json.dumps(
            {
                "kind": self.kind.value,
                "organizationId": self.organization_id,
                "agentId": self.agent_id,
                "dueAt": self.due_at.isoformat(timespec="milliseconds"),
                "detail": dict(self.detail),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, body: str) -> Timer:
        """Raises ValueError (or KeyError, TypeError) on a body this module did not write."""
        values: dict[str, Any] = json.loads(body)
        due_at = datetime.fromisoformat(values["dueAt"])
        if due_at.tzinfo is None:
            raise ValueError("a timer's moment carries its offset")
        return cls(
            kind=TimerKind(values["kind"]),
            organization_id=str(values["organizationId"]),
            agent_id=str(values["agentId"]),
            due_at=due_at,
            detail={str(k): str(v) for k, v in (values.get("detail") or {}).items()},
        )


def delay_seconds(timer: Timer, now: datetime) -> int:
    """The SQS delay to send `timer` with at `now`: whole seconds, rounded down (it arrives up to a second
    early and waits the rest), at most 900 (it goes round again)."""
    remaining = (timer.due_at - now).total_seconds()
    return max(0, min(MAX_DELAY_SECONDS, math.floor(remaining)))


def seconds_until_due(timer: Timer, now: datetime) -> float:
    return max(0.0, (timer.due_at - now).total_seconds())


def _wrap_up_ends(before: AgentState, change: Change) -> Iterable[Timer]:
    state = change.state
    if state.status is Status.WRAP_UP and state.wrap_up_ends_at and state.wrap_up_ends_at != before.wrap_up_ends_at:
        yield Timer(TimerKind.WRAP_UP_END, state.organization_id, state.agent_id, state.wrap_up_ends_at)


TimerSource = Callable[[AgentState, Change], Iterable[Timer]]
TIMER_SOURCES: tuple[TimerSource, ...] = (_wrap_up_ends,)


def timers_for(before: AgentState, change: Change) -> list[Timer]:
    """Every timer a change starts (decided from the state before it and the change)."""
    return [timer for source in TIMER_SOURCES for timer in source(before, change)]
