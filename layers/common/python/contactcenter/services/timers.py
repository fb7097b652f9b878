"""What a timer does when it is due: its kind's action, decided at the timer's moment on the one change path.

`ACTIONS[kind]` is the action a due timer applies (see contactcenter/timers.py for adding a kind).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from contactcenter.agents import Actor
from contactcenter.errors import Conflict, NotFound
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import Action, Settle
from contactcenter.store import timers as timer_store
from contactcenter.timers import MAX_WAIT_SECONDS, Timer, TimerKind, seconds_until_due

ACTIONS: dict[TimerKind, Callable[[Timer], Action]] = {
    # Settle records what time alone has done: the wrap-up ends at wrapUpEndsAt, exactly.
    TimerKind.WRAP_UP_END: lambda timer: Settle(),
}


class Outcome(StrEnum):
    APPLIED = "applied"  # the action changed the agent: recorded at the timer's moment
    NOTHING_TO_DO = "nothing_to_do"  # the agent moved on (a request or the sweep came first)
    CARRIED_OVER = "carried_over"  # not due yet (a wait longer than SQS's 900 s): sent round again


def wait_needed(timer: Timer, *, now: datetime) -> float | None:
    """Seconds to wait before applying `timer` (0 when due), or None when it is too far off to wait for."""
    remaining = seconds_until_due(timer, now)
    return remaining if remaining <= MAX_WAIT_SECONDS else None


def carry_over(timer: Timer, *, now: datetime) -> Outcome:
    timer_store.schedule([timer], now=now)
    return Outcome.CARRIED_OVER


def apply_due(timer: Timer) -> Outcome:
    """Applies the timer's action at its moment (`now` = due_at); call it once that moment has come."""
    action = ACTIONS[timer.kind](timer)
    try:
        change_agent(timer.organization_id, timer.agent_id, action, actor=Actor.system(), now=timer.due_at)
    except NotFound:
        return Outcome.NOTHING_TO_DO  # the agent is gone
    except Conflict as conflict:
        if conflict.rule == "concurrent_change":
            raise  # lost a race twice: the message is received again and the timer tried again
        return Outcome.NOTHING_TO_DO  # e.g. nothing_to_settle: a request or the sweep came first
    return Outcome.APPLIED
