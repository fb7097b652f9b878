"""Read, decide, write: the one path every change to an agent takes (manual, automatic or forced).

One request to read (the agent's state, with the stored answer of an earlier request carrying the same
idempotency key), the pure `decide`, one transaction to write state + history (+ the answer to replay).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contactcenter.agents import Actor, AgentState
from contactcenter.errors import NotFound
from contactcenter.organization import OrganizationSettings
from contactcenter.status import Action, allowed_statuses, decide, settled
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def change_agent(
    organization_id: str,
    agent_id: str,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    idempotency_key: str | None = None,
) -> Answer:
    """Apply `action` to the agent; a retry with the same idempotency key gets the first answer again."""
    settings = organization_store.get_settings(organization_id)
    if idempotency_key:
        state, replay = agent_store.get_state_and_replay(
            organization_id, agent_id, caller_id=actor.user_id, idempotency_key=idempotency_key
        )
        if replay is not None:
            return Answer(replay.status_code, replay.body, replayed=True)
    else:
        state = agent_store.get_state(organization_id, agent_id)
    if state is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", rule="unknown_agent")
    change = decide(state, action, settings=settings, actor=actor, now=now)
    body = {
        "agent": agent_view(change.state, settings),
        "changes": [agent_store.history_view(entry) for entry in change.entries],
    }
    record = (
        agent_store.ReplayRecord(caller_id=actor.user_id, key=idempotency_key, status_code=200, body=body)
        if idempotency_key
        else None
    )
    try:
        agent_store.write_change(change, before=state, settings=settings, replay=record, now=now)
    except agent_store.DuplicateRequest:
        # A twin request with the same key won the race: answer what it answered.
        replayed = agent_store.get_replay(organization_id, actor.user_id, idempotency_key or "")
        if replayed is None:
            raise
        return Answer(replayed.status_code, replayed.body, replayed=True)
    return Answer(200, body)


def agent_view(state: AgentState, settings: OrganizationSettings) -> dict[str, Any]:
    return agent_store.state_view(state) | {"allowedStatuses": allowed_statuses(state, settings)}


def current_state(organization_id: str, agent_id: str, *, now: datetime) -> dict[str, Any]:
    """The agent as every read shows it: an elapsed wrap-up is already over."""
    settings = organization_store.get_settings(organization_id)
    state = agent_store.get_state(organization_id, agent_id)
    if state is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", rule="unknown_agent")
    return agent_view(settled(state, settings=settings, now=now), settings)
