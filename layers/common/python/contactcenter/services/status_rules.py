"""Status rules at work: when an agent's change starts a stint a rule watches, one timer per tier; when a
timer is due, the rule is judged on the agent's state then and the tier fires once.

Firing a tier: the firing and its line in the supervisor-actions log are written once (conditional on
agent + rule + stint + tier); the firing's stream record pushes the notice to the unit's supervisors (and
the agent); a forced status goes through `decide` with actor `system`, the rule named in the note, and
an idempotency key of the firing, so a timer delivered twice forces once; an EventBridge event goes out
with the firing, its `firingId` stable for consumers that deduplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from contactcenter.agents import Actor, AgentState, local_day
from contactcenter.errors import DomainError, NotFound
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import SetStatus, settled
from contactcenter.status_rules import DueTier, StatusRule, Verdict, due_tiers, force_note, judge
from contactcenter.store import agents as agent_store
from contactcenter.store import events
from contactcenter.store import organizations as organization_store
from contactcenter.store import status_rules as firing_store
from contactcenter.store import timers as timer_store
from contactcenter.store.supervision import SupervisorAction
from contactcenter.timers import Timer, TimerKind

logger = logging.getLogger(__name__)

EVENT_SOURCE = "contactcenter.rules"
EVENT_TYPE = "StatusRuleFired"


class Outcome(StrEnum):
    FIRED = "fired"
    ALREADY_FIRED = "already_fired"  # a second delivery of the same timer
    NOT_YET = "not_yet"  # the rule changed: this tier is later now (a new timer is due)
    STINT_OVER = "stint_over"
    COOLING_DOWN = "cooling_down"
    GONE = "gone"


_OUTCOME = {
    Verdict.STINT_OVER: Outcome.STINT_OVER,
    Verdict.COOLING_DOWN: Outcome.COOLING_DOWN,
    Verdict.GONE: Outcome.GONE,
}


def tiers_due(state: AgentState) -> list[DueTier]:
    """The tiers the agent's current stint will reach (settings cached briefly): one timer each."""
    settings = organization_store.get_settings(state.organization_id)
    return due_tiers(settings.status_rules, state)


def arm(state: AgentState, *, now: datetime) -> int:
    """A timer for each tier the agent's current stint will reach; how many were sent."""
    timers = [
        Timer(
            TimerKind.STATUS_RULE,
            state.organization_id,
            state.agent_id,
            due.due_at,
            {"ruleId": due.rule_id, "tier": str(due.tier), "stint": due.stint.key},
        )
        for due in tiers_due(state)
    ]
    return timer_store.schedule(timers, now=now)


@dataclass(frozen=True)
class Fired:
    outcome: Outcome
    again_at: datetime | None = None  # NOT_YET: when to look again


def fire(organization_id: str, agent_id: str, rule_id: str, tier: int, stint: str, *, now: datetime) -> Fired:
    """Judge one tier's timer at its moment `now` and fire it if it holds."""
    settings = organization_store.get_settings(organization_id)
    known = agent_store.get_state(organization_id, agent_id)
    if known is None:
        return Fired(Outcome.GONE)
    state = settled(known.state, settings=settings, now=now)
    last = firing_store.last_firing(organization_id, agent_id, rule_id)
    this_stint = last is not None and last.stint == stint
    last_fired = {rule_id: last.at} if last is not None and not this_stint else {}
    verdict, again = judge(
        settings.status_rules,
        rule_id,
        tier,
        stint,
        state,
        now=now,
        last_fired=last_fired,
        this_stint_fired=this_stint,
    )
    if verdict is Verdict.NOT_YET:
        return Fired(Outcome.NOT_YET, again)
    if verdict is not Verdict.FIRE:
        return Fired(_OUTCOME[verdict])
    rule = next(r for r in settings.status_rules if r.rule_id == rule_id)
    firing = _firing(rule, tier, stint, state, now=now)
    newly = firing_store.record_firing(firing, _log_line(firing, local_day(now, settings), now))
    _force(rule, tier, stint, state, now=now)
    if newly and rule.tiers[tier].publish_event:
        events.publish(EVENT_TYPE, firing, source=EVENT_SOURCE)
    return Fired(Outcome.FIRED if newly else Outcome.ALREADY_FIRED)


def _firing(rule: StatusRule, tier: int, stint: str, state: AgentState, *, now: datetime) -> dict[str, Any]:
    step = rule.tiers[tier]
    return {
        "firingId": f"{state.organization_id}:{state.agent_id}:{rule.rule_id}:{stint}:{tier + 1}",
        "organizationId": state.organization_id,
        "agentId": state.agent_id,
        "agentName": state.display_name,
        "unitId": state.unit_id,
        "ruleId": rule.rule_id,
        "ruleName": rule.name,
        "tier": tier + 1,
        "tierIndex": tier,
        "tiers": len(rule.tiers),
        "afterSeconds": step.after_seconds,
        "notice": step.notice.value if step.notice else None,
        "notifyAgent": step.notify_agent,
        "force": {"status": step.force.status.value, "reason": step.force.reason} if step.force else None,
        "publishEvent": step.publish_event,
        "status": state.status.value,
        "reason": state.reason,
        "stint": stint,
        "since": state.since.isoformat(timespec="milliseconds") if state.since else None,
        "at": now.isoformat(timespec="milliseconds"),
    }


def _log_line(firing: dict[str, Any], day: str, now: datetime) -> SupervisorAction:
    done = [firing["notice"]] if firing["notice"] else []
    if firing["force"]:
        done.append(
            f"force {firing['force']['status']}"
            + (f" {firing['force']['reason']}" if firing["force"]["reason"] else "")
        )
    if firing["publishEvent"]:
        done.append("event")
    return SupervisorAction(
        organization_id=firing["organizationId"],
        action_id=f"rule-{firing['ruleId']}-{firing['stint']}-{firing['tier']}",
        at=now,
        day=day,
        supervisor_id="system",
        agent_id=firing["agentId"],
        action="status_rule",
        detail=f"{firing['ruleName']}: tier {firing['tier']} of {firing['tiers']} after {firing['afterSeconds']} s "
        f"in {firing['status']}{' ' + firing['reason'] if firing['reason'] else ''}: {', '.join(done)}",
        reason=firing["ruleId"],
    )


def _force(rule: StatusRule, tier: int, stint: str, state: AgentState, *, now: datetime) -> None:
    force = rule.tiers[tier].force
    if force is None:
        return
    action = SetStatus(force.status, force.reason, force_note(rule, tier))
    key = f"rule:{rule.rule_id}:{stint}:{tier}"
    try:
        change_agent(state.organization_id, state.agent_id, action, actor=Actor.system(), now=now, idempotency_key=key)
    except NotFound:
        return
    except DomainError as refusal:  # the configuration moved on since the rule was checked: logged, not retried
        logger.warning("a status rule could not force its status", extra={"rule": rule.rule_id, "why": refusal.rule})
