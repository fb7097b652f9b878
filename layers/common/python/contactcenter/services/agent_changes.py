"""Read, decide, write: the one path every change to an agent takes (manual, automatic or forced).

The write is one DynamoDB transaction (state + history entries + queue logins + the answer to replay),
conditional on the revision of the state it was decided from. Where this execution environment already
holds the agent's latest state (it handled the last change), the change costs that one request; else
one read comes first. A stale starting point is never written over the truth: the failed condition
returns the current item (as good as a fresh read), and the change is decided again on it. If the item
moves again between that read and the second write, another change won the race: 409.

An idempotency key is the caller's, across every route that changes agents: its record stores the
fingerprint of the request it answered (agent, actor kind, action), and only that request is answered
again; the same key with another request is 409 `idempotency_key_reused` (contactcenter.idempotency).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contactcenter import idempotency
from contactcenter.agents import Actor, AgentState
from contactcenter.errors import Conflict, DomainError, NotFound
from contactcenter.organization import OrganizationSettings, reason_menu
from contactcenter.status import Action, allowed_statuses, decide, settled
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store
from contactcenter.store import timers as timer_store
from contactcenter.timers import timers_for


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
    guard: Callable[[AgentState], None] | None = None,
) -> Answer:
    """Apply `action` to the agent; a retry with the same idempotency key gets the first answer again.

    `guard` checks the caller may act on this agent (a supervisor's units), on the state decided from.
    """
    settings = organization_store.get_settings(organization_id)
    request = request_fingerprint(agent_id, action, actor) if idempotency_key else None
    known = agent_store.known_state(organization_id, agent_id)
    fresh = False
    for _ in range(2):
        if known is None:
            known, replay = _read(organization_id, agent_id, actor, idempotency_key)
            if replay is not None:
                return _answered_again(replay, request)
            fresh = True
        try:
            if guard is not None:
                guard(known.state)
            return _decide_and_write(
                known, action, settings=settings, actor=actor, now=now, key=idempotency_key, request=request
            )
        except agent_store.DuplicateRequest as duplicate:
            return _replayed(duplicate, request)
        except agent_store.StaleState as stale:
            if fresh:
                break  # decided on what was stored a moment ago, and it moved: a race, this one lost
            known, fresh = stale.current, True
        except DomainError:
            if fresh:
                raise
            known = None  # decided on what this environment saw last: decide again on what is stored
    raise Conflict("another change to this agent won: reload and retry", rule="concurrent_change")


def _read(
    organization_id: str, agent_id: str, actor: Actor, key: str | None
) -> tuple[agent_store.KnownState, agent_store.Replay | None]:
    if key:
        known, replay = agent_store.get_state_and_replay(
            organization_id, agent_id, caller_id=actor.user_id, idempotency_key=key
        )
    else:
        known, replay = agent_store.get_state(organization_id, agent_id), None
    if known is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", field="agentId", rule="unknown_agent")
    return known, replay


def _decide_and_write(
    known: agent_store.KnownState,
    action: Action,
    *,
    settings: OrganizationSettings,
    actor: Actor,
    now: datetime,
    key: str | None,
    request: str | None,
) -> Answer:
    change = decide(known.state, action, settings=settings, actor=actor, now=now)
    body = {
        "agent": agent_view(change.state, settings),
        "changes": [agent_store.history_view(entry) for entry in change.entries],
    }
    record = (
        agent_store.ReplayRecord(caller_id=actor.user_id, key=key, status_code=200, body=body, fingerprint=request)
        if key
        else None
    )
    agent_store.write_change(change, before=known, settings=settings, replay=record, now=now)
    # After the write: a timer for a change that failed would fire for nothing (it would find nothing to do).
    timer_store.schedule(timers_for(known.state, change), now=now)
    return Answer(200, body)


def _replayed(duplicate: agent_store.DuplicateRequest, request: str | None) -> Answer:
    if duplicate.replay is None:
        raise duplicate
    return _answered_again(duplicate.replay, request)


def _answered_again(replay: agent_store.Replay, request: str | None) -> Answer:
    """The stored answer, to the request it answered only: the write it came with was refused (or
    never made), so a refusal here leaves everything as it was."""
    if request is not None:
        idempotency.require_same_request(replay.fingerprint, request)
    return Answer(replay.status_code, replay.body, replayed=True)


def request_fingerprint(agent_id: str, action: Action, actor: Actor) -> str:
    """What makes two changes the same request: the agent, who acts (the key is already the caller's)
    and the action with its fields; the action's class names the route's kind of change."""
    return idempotency.fingerprint(
        {"agentId": agent_id, "actorKind": actor.kind, "action": type(action).__name__, "fields": action}
    )


# What an integration (router, ticketing) hears back after reporting work: where the agent stands with
# work, not their private note, reasons, day totals or units (least data; issue 14).
_FOR_INTEGRATIONS: tuple[str, ...] = ("organizationId", "agentId", "status", "since", "queues", "workItems")
_FOR_INTEGRATIONS += ("stopNew", "autoAssignment", "wrapUpEndsAt", "sequence")
_CHANGE_FOR_INTEGRATIONS = ("sequence", "at", "kind", "fromStatus", "toStatus", "actorKind", "actorId", "detail")


def integration_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A change's answer cut down to what an integration needs."""
    return {
        "agent": {name: body["agent"].get(name) for name in _FOR_INTEGRATIONS},
        "changes": [{name: change.get(name) for name in _CHANGE_FOR_INTEGRATIONS} for change in body["changes"]],
    }


def agent_view(state: AgentState, settings: OrganizationSettings) -> dict[str, Any]:
    return agent_store.state_view(state) | {"allowedStatuses": allowed_statuses(state, settings)}


def current_state(organization_id: str, agent_id: str, *, now: datetime) -> dict[str, Any]:
    """The agent as every read shows it (one read): an elapsed wrap-up is already over; with the
    reasons the status menu offers (not in change answers, which are stored for replays)."""
    settings = organization_store.get_settings(organization_id)
    known = agent_store.get_state(organization_id, agent_id)
    if known is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", field="agentId", rule="unknown_agent")
    return agent_view(settled(known.state, settings=settings, now=now), settings) | {"reasons": reason_menu(settings)}
