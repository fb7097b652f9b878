"""What a timer does when it is due: its kind's action, decided at the timer's moment on the one change path.

`ACTIONS[kind]` is the action a due timer applies (see contactcenter/timers.py for adding a kind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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


def _status_rule(timer: Timer) -> bool:
    from contactcenter.services import status_rules

    detail = timer.detail
    fired = status_rules.fire(
        timer.organization_id, timer.agent_id, detail["ruleId"], int(detail["tier"]), detail["stint"], now=timer.due_at
    )
    if fired.again_at is not None:  # the rule changed: this tier is later now
        timer_store.schedule([replace(timer, due_at=fired.again_at)], now=timer.due_at)
    return fired.outcome is status_rules.Outcome.FIRED


def _adherence_check(timer: Timer) -> bool:
    from contactcenter.services import adherence

    return adherence.recompute(timer.organization_id, agent_ids=[timer.agent_id], now=timer.due_at).changed > 0


# Kinds whose due work is not one change of the agent: they do it themselves (True: something happened).
HANDLERS: dict[TimerKind, Callable[[Timer], bool]] = {
    TimerKind.STATUS_RULE: _status_rule,
    TimerKind.ADHERENCE_CHECK: _adherence_check,
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
    handler = HANDLERS.get(timer.kind)
    if handler is not None:
        return Outcome.APPLIED if handler(timer) else Outcome.NOTHING_TO_DO
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
