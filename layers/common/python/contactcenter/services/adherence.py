"""Live adherence: each agent's adherence now, recomputed when their status changes, when a schedule or
an exception of theirs changes, and at the next moment it would change by time alone (a timer then).

The result is stored per agent only when it differs from what is stored; the item's stream record is
what pushes it to the unit's supervisors and to the agent (services/fanout.py), so a change is pushed
once and an unchanged recompute pushes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter import adherence
from contactcenter.agents import AgentState, local_day
from contactcenter.attendance import epoch_ms
from contactcenter.organization import OrganizationSettings
from contactcenter.schedules import AgentSchedule, ApprovedException, schedule_view
from contactcenter.status import settled
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store
from contactcenter.store import schedules as schedule_store
from contactcenter.store import timers as timer_store
from contactcenter.timers import Timer, TimerKind

WRITERS = 8  # adherence items written side by side after a schedule change of a whole unit


@dataclass(frozen=True)
class Check:
    """Look at this agent's adherence again at this moment (epoch seconds): a timer."""

    organization_id: str
    agent_id: str
    at: int


@dataclass
class Recompute:
    agents: int = 0
    changed: int = 0
    checks: list[Check] = field(default_factory=list)


def _local(seconds: int | None, zone: ZoneInfo) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, zone).isoformat()


def stint_of(state: AgentState) -> adherence.Stint:
    since = epoch_ms(state.since) // 1000 if state.since is not None else 0
    return adherence.Stint(since, since, state.status.value, state.reason, since)


def live_view(
    state: AgentState,
    schedule: AgentSchedule | None,
    exceptions: Sequence[ApprovedException],
    settings: OrganizationSettings,
    *,
    now: datetime,
) -> tuple[dict[str, Any], int | None]:
    """The public shape of an agent's live adherence, and when to look again."""
    moment = epoch_ms(now) // 1000
    activities = schedule.activities if schedule else ()
    judged = adherence.live(
        stint_of(state), activities, [(e.start, e.end) for e in exceptions], settings.adherence, now=moment
    )
    zone = settings.zone
    view = {
        "agentId": state.agent_id,
        "state": judged.state.value,
        "judgement": judged.judgement.value,
        "impact": judged.impact.value,
        "activity": judged.activity.value if judged.activity else None,
        "activityEnds": _local(judged.activity_end, zone),
        "outSince": _local(judged.out_since, zone),
        "severe": judged.severe,
    }
    return view, judged.next_check


def recompute(
    organization_id: str,
    *,
    now: datetime,
    agent_ids: Iterable[str] | None = None,
    states: Sequence[AgentState] | None = None,
) -> Recompute:
    """Recompute the live adherence of these agents (states given, or read by id) and store what changed."""
    settings = organization_store.get_settings(organization_id)
    if states is None:
        states = agent_store.get_states(organization_id, agent_ids or ())
    result = Recompute(agents=len(states))
    if not states:
        return result
    today = date.fromisoformat(local_day(now, settings))
    if len(states) == 1:
        schedule, exceptions = schedule_store.agent_plan(organization_id, states[0].agent_id, today)
        plans = {states[0].agent_id: (schedule, exceptions)}
    else:
        plan = schedule_store.day_plan(organization_id, today)
        plans = {s.agent_id: (plan.schedules.get(s.agent_id), plan.exceptions.get(s.agent_id, [])) for s in states}
    stored = schedule_store.get_adherence(organization_id, (s.agent_id for s in states))

    def one(state: AgentState) -> tuple[bool, Check | None]:
        current = settled(state, settings=settings, now=now)
        schedule, exceptions = plans[state.agent_id]
        before = stored.get(state.agent_id)
        if schedule is None and not exceptions and before is None:
            return False, None  # never scheduled: nothing to store or push
        view, next_check = live_view(current, schedule, exceptions, settings, now=now)
        if before is not None and before.view == view and before.next_check == next_check:
            return False, None
        written = schedule_store.put_adherence(
            organization_id, state.agent_id, view, next_check=next_check, unit_ids=state.units, previous=before
        )
        new_timer = written and next_check is not None and (before is None or before.next_check != next_check)
        changed = written and (before is None or before.view != view)
        return changed, Check(organization_id, state.agent_id, next_check) if new_timer and next_check else None

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for changed, check in pool.map(one, states):
            result.changed += int(changed)
            if check is not None:
                result.checks.append(check)
    timer_store.schedule(
        [Timer(TimerKind.ADHERENCE_CHECK, c.organization_id, c.agent_id, utc_seconds(c.at)) for c in result.checks],
        now=now,
    )
    return result


def adherence_of_agent(organization_id: str, agent_id: str, *, now: datetime) -> dict[str, Any]:
    """The agent's own view: today's schedule and their adherence now."""
    settings = organization_store.get_settings(organization_id)
    known = agent_store.get_state(organization_id, agent_id)
    today = date.fromisoformat(local_day(now, settings))
    schedule, exceptions = schedule_store.agent_plan(organization_id, agent_id, today)
    state = settled(known.state, settings=settings, now=now) if known else None
    view = live_view(state, schedule, exceptions, settings, now=now)[0] if state else None
    return {
        "date": today.isoformat(),
        "schedule": schedule_view(schedule, settings.zone) if schedule else None,
        "adherence": view,
    }


def stored_views(organization_id: str, agent_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        agent_id: stored.view for agent_id, stored in schedule_store.get_adherence(organization_id, agent_ids).items()
    }


def utc_seconds(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)
