"""Assignments: create them for agents, My Assignments, open/save/close, and supervisors' progress.

Every check that needs no data runs before the first request, so bad input costs nothing and writes
nothing. Request counts (measured in bench/assignments.py): My Assignments 1 query (page and counts);
Save 1 conditional update; open and close 1 BatchGetItem; creation 1 people query (+ the cached settings)
and ceil(agents / 25) + 1 writes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from contactcenter import assignments as rules
from contactcenter import idempotency
from contactcenter.access import Permission, Principal
from contactcenter.assignments import AgentAssignment, Assignment, AssignmentState, AssignmentType
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.people import Person
from contactcenter.store import assignments as assignment_store
from contactcenter.store import organizations as organization_store

ALL_TYPES = frozenset(AssignmentType)


@dataclass(frozen=True)
class Draft:
    """What a creator asks for, as parsed at the edge (rules are checked here, not there)."""

    type: AssignmentType
    title: str
    instructions: str
    content_link: str | None = None
    confirmation_statement: str | None = None
    comments_allowed: bool = False
    due_at: datetime | None = None
    agent_ids: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    type: AssignmentType | None = None
    state: AssignmentState | None = None
    overdue: bool | None = None


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def new_assignment_id(now: datetime) -> str:
    """Creation time to the millisecond, then randomness: ids sort by age and never collide."""
    return f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}-{secrets.token_hex(4)}"


def _whole_organization(principal: Principal) -> bool:
    return principal.has(Permission.ADMINISTRATION)


def _require_assignment_id(assignment_id: str) -> None:
    if not rules.ASSIGNMENT_ID.match(assignment_id):
        raise NotFound("no such assignment", field="assignmentId", rule="unknown_assignment")


# --- creating ------------------------------------------------------------------------------------


def create(principal: Principal, draft: Draft, *, now: datetime, idempotency_key: str | None = None) -> Answer:
    """One assignment, a copy per agent. A retry with the same idempotency key and the same draft answers
    the first answer again, writing nothing; the same key with another draft is 409 (writing nothing)."""
    organization_id = principal.organization_id
    assignment = rules.new_assignment(
        organization_id=organization_id,
        assignment_id=new_assignment_id(now),
        type=draft.type,
        title=draft.title,
        instructions=draft.instructions,
        content_link=draft.content_link,
        confirmation_statement=draft.confirmation_statement,
        comments_allowed=draft.comments_allowed,
        due_at=draft.due_at,
        created_by=principal.user_id,
        now=now,
    )
    settings = organization_store.get_settings(organization_id)
    people = organization_store.list_people(organization_id)
    targets = rules.resolve_targets(
        creator=next((p for p in people if p.user_id == principal.user_id), None),
        whole_organization=_whole_organization(principal),
        people=people,
        agent_ids=draft.agent_ids,
        unit_ids=draft.unit_ids,
        known_units=settings.unit_ids(),
    )
    if idempotency_key:
        request = idempotency.fingerprint(draft)
        claim = assignment_store.claim_request(
            organization_id,
            principal.user_id,
            idempotency_key,
            assignment_id=assignment.assignment_id,
            fingerprint=request,
            agent_ids=[agent.user_id for agent in targets],
            now=now,
        )
        if not claim.fresh:
            idempotency.require_same_request(claim.fingerprint, request)
            first_agents = claim.agent_ids if claim.agent_ids is not None else tuple(a.user_id for a in targets)
            done = assignment_store.get_definition(organization_id, claim.assignment_id)
            if done is not None:
                return Answer(201, _created(done, first_agents), replayed=True)
            # The first attempt stopped half-way: finish it under the same id, for the agents it chose.
            assignment = replace(assignment, assignment_id=claim.assignment_id, created_at=claim.created_at)
            by_id = {person.user_id: person for person in people}
            targets = [by_id[agent_id] for agent_id in first_agents if agent_id in by_id]
    assignment = replace(assignment, agent_count=len(targets), unit_ids=tuple(sorted(set(draft.unit_ids))))
    assignment_store.create(assignment, [rules.copy_for(assignment, agent) for agent in targets])
    return Answer(201, _created(assignment, [agent.user_id for agent in targets]))


def _created(assignment: Assignment, agent_ids: Sequence[str]) -> dict[str, Any]:
    return {"assignment": assignment_store.definition_view(assignment), "agentIds": list(agent_ids)}


# --- the agent's own -----------------------------------------------------------------------------


def my_assignments(
    principal: Principal, filters: Filters, *, limit: int, cursor: str | None, now: datetime
) -> dict[str, Any]:
    """A page of the caller's assignments and the counts by state and type, from one query."""
    visible = rules.visible_types(principal.permissions)
    chosen = rules.selection(visible, type=filters.type, state=filters.state, overdue=filters.overdue)
    rules.check_page(limit=limit, cursor=cursor)
    copies = assignment_store.agent_copies(principal.organization_id, principal.user_id)
    return _listing(copies, chosen, visible, limit=limit, cursor=cursor, now=now)


def _listing(
    copies: list[AgentAssignment],
    chosen: rules.Selection,
    counted: frozenset[AssignmentType],
    *,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> dict[str, Any]:
    matching = [c for c in rules.newest_first(copies) if chosen.matches(c, now)]
    rows, next_cursor = rules.page(matching, limit=limit, cursor=cursor)
    return {
        "types": sorted(kind.value for kind in counted),
        "counts": rules.counts(copies, counted, now=now),
        "assignments": [assignment_store.copy_view(c, now=now) for c in rows],
        "nextCursor": next_cursor,
    }


def _opened(copy: AgentAssignment, assignment: Assignment, now: datetime) -> dict[str, Any]:
    content = assignment_store.definition_view(assignment)
    for creator_only in ("agentCount", "unitIds"):
        content.pop(creator_only)
    return {"assignment": {**content, **assignment_store.copy_view(copy, now=now), "comments": copy.comments}}


def _own(principal: Principal, assignment_id: str) -> tuple[AgentAssignment, Assignment]:
    _require_assignment_id(assignment_id)
    copy, assignment = assignment_store.get_copy_and_definition(
        principal.organization_id, principal.user_id, assignment_id
    )
    if copy is None or assignment is None:
        raise NotFound("no such assignment of yours", field="assignmentId", rule="unknown_assignment")
    return copy, assignment


def open_assignment(principal: Principal, assignment_id: str, *, now: datetime) -> dict[str, Any]:
    copy, assignment = _own(principal, assignment_id)
    rules.require_visible(rules.visible_types(principal.permissions), copy.type, field="assignmentId")
    return _opened(copy, assignment, now)


def close_assignment(principal: Principal, assignment_id: str, *, now: datetime) -> dict[str, Any]:
    """Close: the assignment as it is; nothing is written."""
    copy, assignment = _own(principal, assignment_id)
    closed = rules.close(copy, visible=rules.visible_types(principal.permissions))
    return _opened(closed, assignment, now)


def save_assignment(
    principal: Principal,
    assignment_id: str,
    *,
    version: int,
    confirmed: bool,
    comments: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Save: one conditional update; when it is refused, the pure rules say why from the stored copy."""
    visible = rules.visible_types(principal.permissions)
    rules.require_any_visible(visible)
    rules.check_comments(comments)
    _require_assignment_id(assignment_id)
    try:
        saved = assignment_store.save(
            principal.organization_id,
            principal.user_id,
            assignment_id,
            expected_version=version,
            confirmed=confirmed,
            comments=comments,
            visible=visible,
            now=now,
        )
    except assignment_store.SaveRefused as refused:
        if refused.current is None:
            raise NotFound("no such assignment of yours", field="assignmentId", rule="unknown_assignment") from None
        rules.save(
            refused.current,
            confirmed=confirmed,
            comments=comments,
            expected_version=version,
            visible=visible,
            now=now,
        )
        raise Conflict("this assignment changed meanwhile: reload and retry", rule="concurrent_change") from None
    return {"assignment": {**assignment_store.copy_view(saved, now=now), "comments": saved.comments}}


# --- supervisors' views --------------------------------------------------------------------------


def _viewer(principal: Principal) -> Person | None:
    """The supervising person (None for administrators, who see the whole organization)."""
    if _whole_organization(principal):
        return None
    try:
        return organization_store.get_person(principal.organization_id, principal.user_id)
    except NotFound:
        return None  # no person record: supervises nothing, may still follow what they created


def created_assignments(principal: Principal, *, limit: int, cursor: str | None) -> dict[str, Any]:
    rules.check_page(limit=limit, cursor=cursor)
    found, next_cursor = assignment_store.created_by(
        principal.organization_id, principal.user_id, limit=limit, before=cursor
    )
    return {"assignments": [assignment_store.definition_view(a) for a in found], "nextCursor": next_cursor}


def assignment_progress(principal: Principal, assignment_id: str, filters: Filters, *, now: datetime) -> dict[str, Any]:
    """Per assignment: every agent's copy the caller may follow, with counts; filters pick the rows."""
    _require_assignment_id(assignment_id)
    chosen = rules.selection(ALL_TYPES, type=filters.type, state=filters.state, overdue=filters.overdue)
    whole = _whole_organization(principal)
    viewer = _viewer(principal)
    copies = assignment_store.assignment_copies(principal.organization_id, assignment_id)
    if not copies:
        raise NotFound("no such assignment", field="assignmentId", rule="unknown_assignment")
    followed = [c for c in copies if rules.may_follow(c, viewer=viewer, whole_organization=whole)]
    if not followed:
        raise Forbidden(
            "you neither created this assignment nor supervise its agents",
            field="assignmentId",
            rule="not_supervised",
        )
    first = followed[0]
    return {
        "assignmentId": assignment_id,
        "type": first.type.value,
        "title": first.title,
        "dueAt": assignment_store.copy_view(first)["dueAt"],
        "createdBy": first.created_by,
        "counts": rules.counts(followed, ALL_TYPES, now=now),
        "agents": [
            assignment_store.copy_view(c, now=now)
            for c in sorted(followed, key=lambda c: c.agent_id)
            if chosen.matches(c, now)
        ],
    }


def agent_progress(
    principal: Principal,
    agent_id: str,
    filters: Filters,
    *,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Per agent: a supervised agent's assignments of every type, with counts and the same filters."""
    chosen = rules.selection(ALL_TYPES, type=filters.type, state=filters.state, overdue=filters.overdue)
    rules.check_page(limit=limit, cursor=cursor)
    try:
        agent = organization_store.get_person(principal.organization_id, agent_id)
    except NotFound:
        raise NotFound(f"no agent {agent_id!r} here", field="agentId", rule="unknown_agent") from None
    if not rules.is_agent(agent):
        raise Invalid(f"{agent_id!r} is not an agent", field="agentId", rule="not_an_agent")
    viewer = _viewer(principal)
    if not rules.may_follow_agent(agent, viewer=viewer, whole_organization=_whole_organization(principal)):
        raise Forbidden(f"you do not supervise {agent_id!r}", field="agentId", rule="agent_not_supervised")
    copies = assignment_store.agent_copies(principal.organization_id, agent_id)
    return {"agentId": agent_id, **_listing(copies, chosen, ALL_TYPES, limit=limit, cursor=cursor, now=now)}
