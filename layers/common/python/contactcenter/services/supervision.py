"""Supervisors watching and acting on the agents of the units they supervise."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from contactcenter import dashboard
from contactcenter.access import Principal, may_supervise, may_view_agent, sees_every_unit
from contactcenter.agents import Actor, ActorKind, AgentState, WorkState, local_day
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.organization import Channel, reason_menu
from contactcenter.services.agent_changes import Answer, change_agent
from contactcenter.services.agent_reads import missed_changes as read_missed
from contactcenter.status import Action
from contactcenter.statuses import Status
from contactcenter.store import agents as agent_store
from contactcenter.store import events
from contactcenter.store import organizations as organization_store
from contactcenter.store import supervision as supervision_store


def _supervised_units(principal: Principal) -> frozenset[str]:
    if sees_every_unit(principal):
        return organization_store.get_settings(principal.organization_id).unit_ids()
    return principal.supervised_units


def _guard(principal: Principal) -> Any:
    def check(state: AgentState) -> None:
        if not may_supervise(principal, _supervised_units(principal), state.units):
            raise Forbidden("you do not supervise this agent's units", field="agentId", rule="agent_not_supervised")

    return check


def act_on_agent(principal: Principal, agent_id: str, action: Action, *, now: datetime, key: str | None) -> Answer:
    """A forced change: the same policy and the same single change path as the agent's own."""
    return change_agent(
        principal.organization_id,
        agent_id,
        action,
        actor=Actor(ActorKind.SUPERVISOR, principal.user_id),
        now=now,
        idempotency_key=key,
        guard=_guard(principal),
    )


def _agent(principal: Principal, agent_id: str) -> AgentState:
    known = agent_store.known_state(principal.organization_id, agent_id) or agent_store.get_state(
        principal.organization_id, agent_id
    )
    if known is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", field="agentId", rule="unknown_agent")
    return known.state


def _supervised_agent(principal: Principal, agent_id: str) -> AgentState:
    state = _agent(principal, agent_id)
    _guard(principal)(state)
    return state


def require_may_view_agent(principal: Principal, agent_id: str) -> None:
    """The agent themselves, or someone who may see them on a dashboard (supervision.view suffices)."""
    if agent_id == principal.user_id:
        return
    if not may_view_agent(principal, agent_id, _agent(principal, agent_id).units):
        raise Forbidden("you do not supervise this agent's units", field="agentId", rule="agent_not_supervised")


def unit_dashboard(
    principal: Principal, unit_id: str, *, limit: int, cursor: str | None, now: datetime
) -> dict[str, Any]:
    settings = organization_store.get_settings(principal.organization_id)
    if unit_id not in settings.unit_ids():
        raise NotFound(f"no unit {unit_id!r}", field="unitId", rule="unknown_unit")
    if unit_id not in _supervised_units(principal):
        raise Forbidden("you do not supervise this unit", field="unitId", rule="unit_not_supervised")
    states, next_cursor = agent_store.agents_of_unit(principal.organization_id, unit_id, limit=limit, cursor=cursor)
    page = dashboard.page(states, settings=settings, now=now)
    return {"unitId": unit_id, **page, "reasons": reason_menu(settings), "nextCursor": next_cursor}


def queue_dashboard(
    principal: Principal, queue_id: str, *, limit: int, cursor: str | None, now: datetime
) -> dict[str, Any]:
    """Agents logged into the queue, of the units the caller supervises."""
    settings = organization_store.get_settings(principal.organization_id)
    if settings.queue(queue_id) is None:
        raise NotFound(f"no queue {queue_id!r}", field="queueId", rule="unknown_queue")
    units = _supervised_units(principal)
    states, next_cursor = agent_store.agents_in_queue(principal.organization_id, queue_id, limit=limit, cursor=cursor)
    visible = [s for s in states if units.intersection(s.units)]
    page = dashboard.page(visible, settings=settings, now=now)
    return {"queueId": queue_id, **page, "reasons": reason_menu(settings), "nextCursor": next_cursor}


def _action(
    principal: Principal, agent_id: str, kind: str, now: datetime, **fields: str
) -> supervision_store.SupervisorAction:
    settings = organization_store.get_settings(principal.organization_id)
    return supervision_store.SupervisorAction(
        organization_id=principal.organization_id,
        action_id=uuid.uuid4().hex,
        at=now,
        day=local_day(now, settings),
        supervisor_id=principal.user_id,
        agent_id=agent_id,
        action=kind,
        **fields,
    )


def send_message(principal: Principal, agent_id: str, text: str, *, now: datetime) -> dict[str, Any]:
    _supervised_agent(principal, agent_id)
    sender = organization_store.get_person(principal.organization_id, principal.user_id, cached=True)
    action = _action(principal, agent_id, "message", now, detail=text[:200])
    return supervision_store.record_message(action, text=text, sender_name=sender.display_name)


def start_monitoring(principal: Principal, agent_id: str, mode: str, *, now: datetime) -> dict[str, Any]:
    """listen / whisper / barge on the voice item of an ACTIVE agent: recorded, then told to telephony."""
    state = _supervised_agent(principal, agent_id)
    voice = [i for i in state.work_items if i.state is WorkState.ACTIVE and i.channel is Channel.VOICE]
    if state.status is not Status.ACTIVE or not voice:
        raise Conflict("monitoring needs the agent ACTIVE on a voice call", rule="not_on_a_call")
    if mode not in {"listen", "whisper", "barge"}:
        raise Invalid(f"unknown monitoring mode {mode!r}", field="mode", rule="unknown_mode")
    action = _action(principal, agent_id, "monitoring_started", now, detail=f"{mode} {voice[0].item_id}")
    session = supervision_store.start_monitoring(action, mode=mode, item_id=voice[0].item_id)
    events.publish("MonitoringStarted", session | {"reference": voice[0].reference})
    return session


def stop_monitoring(principal: Principal, agent_id: str, session_id: str, *, now: datetime) -> dict[str, Any]:
    _supervised_agent(principal, agent_id)
    action = _action(principal, agent_id, "monitoring_stopped", now, detail=session_id)
    ended = supervision_store.stop_monitoring(action, session_id=session_id)
    events.publish("MonitoringStopped", ended | {"organizationId": principal.organization_id, "agentId": agent_id})
    return ended


def missed_changes(principal: Principal, agent_id: str, *, after: int, limit: int) -> dict[str, Any]:
    """Changes after the sequence a client holds, oldest first, for the agent themselves or their supervisor."""
    require_may_view_agent(principal, agent_id)
    entries = read_missed(principal.organization_id, agent_id, after_sequence=after, limit=limit)
    return {"agentId": agent_id, "after": after, "changes": entries}
