"""Assignments (evaluations, coaching, e-learning): who may see which, what Save and Close do, whom a
creator may assign to, and the views' filters, pages and counts. Pure: `now` and ids come in.

Seed 000 (Engage): Save with a confirmation statement unchecked -> STARTED, checked -> COMPLETED;
without a statement -> COMPLETED. Close leaves the assignment as it was. COMPLETED is read-only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from contactcenter.access import Permission
from contactcenter.errors import Conflict, Forbidden, Invalid
from contactcenter.people import Person


class AssignmentType(StrEnum):
    EVALUATION = "evaluation"
    COACHING = "coaching"
    ELEARNING = "elearning"


class AssignmentState(StrEnum):
    NEW = "NEW"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"


# My Engage (`engage`) opens the dashboard; under it one permission per type. Custom roles combine
# permissions, so visibility is decided from permissions, never from role names.
TYPE_PERMISSIONS: Mapping[AssignmentType, Permission] = {
    AssignmentType.EVALUATION: Permission.ENGAGE_EVALUATIONS,
    AssignmentType.COACHING: Permission.ENGAGE_COACHING,
    AssignmentType.ELEARNING: Permission.ENGAGE_ELEARNING,
}

# Save: (the assignment has a confirmation statement, the checkbox is checked) -> the new state.
SAVE_OUTCOMES: Mapping[tuple[bool, bool], AssignmentState] = {
    (True, False): AssignmentState.STARTED,
    (True, True): AssignmentState.COMPLETED,
    (False, False): AssignmentState.COMPLETED,
    (False, True): AssignmentState.COMPLETED,
}

# Sizes in characters; they keep an agent's copies small enough that one query reads them all.
DUE_YEAR_MAX = 9000  # far from the end of the calendar, so no arithmetic on a due date overflows
TITLE_MAX = 200
INSTRUCTIONS_MAX = 4000
CONFIRMATION_MAX = 500
COMMENTS_MAX = 4000
LINK_MAX = 2048
TARGETS_MAX = 1000
PAGE_MAX = 100

ASSIGNMENT_ID = re.compile(r"^[0-9]{17}-[0-9a-f]{8,32}$")  # creation time first: ids sort newest last


# --- who sees which type -------------------------------------------------------------------------


def visible_types(permissions: Iterable[Permission]) -> frozenset[AssignmentType]:
    granted = frozenset(permissions)
    if Permission.ENGAGE not in granted:
        return frozenset()
    return frozenset(kind for kind, needed in TYPE_PERMISSIONS.items() if needed in granted)


def require_visible(visible: frozenset[AssignmentType], kind: AssignmentType, *, field: str = "type") -> None:
    if kind not in visible:
        raise Forbidden(
            f"your permissions do not include {TYPE_PERMISSIONS[kind]} ({kind} assignments)",
            field=field,
            rule="type_not_permitted",
        )


def require_any_visible(visible: frozenset[AssignmentType]) -> None:
    if not visible:
        raise Forbidden(
            "your permissions include no assignment type (My Evaluations, My Coaching, My E-Learning)",
            rule="type_not_permitted",
        )


# --- the assignment and an agent's copy ----------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """What the creator wrote, shared by every agent's copy."""

    organization_id: str
    assignment_id: str
    type: AssignmentType
    title: str
    instructions: str
    content_link: str | None
    confirmation_statement: str | None
    comments_allowed: bool
    due_at: datetime | None
    created_by: str
    created_at: datetime
    agent_count: int = 0
    unit_ids: tuple[str, ...] = ()  # units asked for as a whole, if any

    @property
    def has_confirmation(self) -> bool:
        return self.confirmation_statement is not None


@dataclass(frozen=True)
class AgentAssignment:
    """One agent's copy: the creator's summary plus the agent's own work and state."""

    organization_id: str
    assignment_id: str
    agent_id: str
    unit_ids: tuple[str, ...]  # the agent's units when assigned: whose supervisors follow it
    type: AssignmentType
    title: str
    due_at: datetime | None
    created_by: str
    created_at: datetime
    has_confirmation: bool
    comments_allowed: bool
    state: AssignmentState = AssignmentState.NEW
    confirmed: bool = False
    comments: str | None = None
    version: int = 1
    saved_at: datetime | None = None

    @property
    def read_only(self) -> bool:
        return self.state is AssignmentState.COMPLETED

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now and not self.read_only


def _in_utc(due_at: datetime) -> datetime:
    """The due moment in UTC; 9999-12-31T23:59-01:00 is a moment no date can hold (it would overflow)."""
    try:
        in_utc = due_at.astimezone(UTC)
    except OverflowError as error:
        raise Invalid("dueAt is beyond the dates this service keeps", field="dueAt", rule="out_of_range") from error
    if in_utc.year > DUE_YEAR_MAX:
        raise Invalid(f"dueAt must be before the year {DUE_YEAR_MAX + 1}", field="dueAt", rule="out_of_range")
    return in_utc


def _text(value: str | None, *, field: str, limit: int, required: bool) -> str | None:
    if value is None or not value.strip():
        if required:
            raise Invalid(f"{field} must not be empty", field=field, rule="required")
        return None
    if len(value) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field=field, rule="too_long")
    return value


def _https_link(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > LINK_MAX:
        raise Invalid(f"contentLink is longer than {LINK_MAX} characters", field="contentLink", rule="too_long")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise Invalid("contentLink must be an https URL", field="contentLink", rule="https_required")
    return value


def new_assignment(
    *,
    organization_id: str,
    assignment_id: str,
    type: AssignmentType,
    title: str,
    instructions: str,
    content_link: str | None,
    confirmation_statement: str | None,
    comments_allowed: bool,
    due_at: datetime | None,
    created_by: str,
    now: datetime,
) -> Assignment:
    """A valid assignment or Invalid naming the field. A blank confirmation statement means none."""
    if due_at is not None:
        if due_at.tzinfo is None:
            raise Invalid("dueAt needs a time zone", field="dueAt", rule="timezone_required")
        due_at = _in_utc(due_at)
        if due_at < now:
            raise Invalid("dueAt is in the past", field="dueAt", rule="in_the_past")
    return Assignment(
        organization_id=organization_id,
        assignment_id=assignment_id,
        type=type,
        title=_text(title, field="title", limit=TITLE_MAX, required=True) or "",
        instructions=_text(instructions, field="instructions", limit=INSTRUCTIONS_MAX, required=True) or "",
        content_link=_https_link(content_link),
        confirmation_statement=_text(
            confirmation_statement, field="confirmationStatement", limit=CONFIRMATION_MAX, required=False
        ),
        comments_allowed=comments_allowed,
        due_at=due_at,  # times are stored in UTC
        created_by=created_by,
        created_at=now,
    )


def copy_for(assignment: Assignment, agent: Person) -> AgentAssignment:
    return AgentAssignment(
        organization_id=assignment.organization_id,
        assignment_id=assignment.assignment_id,
        agent_id=agent.user_id,
        unit_ids=tuple(agent.units),
        type=assignment.type,
        title=assignment.title,
        due_at=assignment.due_at,
        created_by=assignment.created_by,
        created_at=assignment.created_at,
        has_confirmation=assignment.has_confirmation,
        comments_allowed=assignment.comments_allowed,
    )


# --- Save and Close ------------------------------------------------------------------------------


def save_outcome(has_confirmation: bool, confirmed: bool) -> AssignmentState:
    return SAVE_OUTCOMES[(has_confirmation, confirmed)]


def check_comments(comments: str | None) -> None:
    """What can be checked before the copy is known: the size."""
    if comments is not None and len(comments) > COMMENTS_MAX:
        raise Invalid(f"comments are longer than {COMMENTS_MAX} characters", field="comments", rule="too_long")


def save(
    copy: AgentAssignment,
    *,
    confirmed: bool,
    comments: str | None,
    expected_version: int,
    visible: frozenset[AssignmentType],
    now: datetime,
) -> AgentAssignment:
    """Store the checkbox and the comments (None keeps the stored ones); the state follows SAVE_OUTCOMES.

    The checks run in this order, and the store's conditional write refuses exactly the same cases.
    """
    require_visible(visible, copy.type, field="assignmentId")
    if copy.read_only:
        raise Conflict("this assignment is completed and read-only", rule="completed_read_only")
    check_comments(comments)
    if comments and not copy.comments_allowed:
        raise Invalid("this assignment does not allow comments", field="comments", rule="comments_not_allowed")
    if expected_version != copy.version:
        raise Conflict(
            "this assignment was saved meanwhile (another device?): reload and retry",
            field="version",
            rule="stale_version",
        )
    return replace(
        copy,
        state=save_outcome(copy.has_confirmation, confirmed),
        confirmed=confirmed,
        comments=copy.comments if comments is None else (comments or None),
        version=copy.version + 1,
        saved_at=now,
    )


def close(copy: AgentAssignment, *, visible: frozenset[AssignmentType]) -> AgentAssignment:
    """Close leaves the assignment in its current state: nothing to store."""
    require_visible(visible, copy.type, field="assignmentId")
    return copy


# --- whom a creator may assign to ----------------------------------------------------------------


def is_agent(person: Person) -> bool:
    """An agent works in at least one unit (roles may be custom; units are what assignments follow)."""
    return bool(person.units)


def resolve_targets(
    *,
    creator: Person | None,
    whole_organization: bool,
    people: Sequence[Person],
    agent_ids: Sequence[str],
    unit_ids: Sequence[str],
    known_units: frozenset[str],
) -> list[Person]:
    """The agents to assign to, each once; Invalid/Forbidden naming `agentIds` or `unitIds` otherwise.

    Administrators reach the whole organization; anyone else only agents of units they supervise.
    Ids of another organization's people are simply unknown here (people are this organization's).
    """
    supervised = frozenset() if creator is None else creator.supervised_units
    unknown_units = sorted(set(unit_ids) - known_units)
    if unknown_units:
        raise Invalid(f"unknown units {unknown_units}", field="unitIds", rule="unknown_unit")
    if not whole_organization:
        foreign = sorted(set(unit_ids) - supervised)
        if foreign:
            raise Forbidden(f"you do not supervise {foreign}", field="unitIds", rule="unit_not_supervised")
    agents = {p.user_id: p for p in people if is_agent(p)}
    unknown_agents = sorted(set(agent_ids) - set(agents))
    if unknown_agents:
        raise Invalid(f"unknown agents {unknown_agents[:10]}", field="agentIds", rule="unknown_agent")
    if not whole_organization:
        foreign_agents = sorted(a for a in agent_ids if not set(agents[a].units) & supervised)
        if foreign_agents:
            raise Forbidden(
                f"you do not supervise {foreign_agents[:10]}", field="agentIds", rule="agent_not_supervised"
            )
    wanted = set(agent_ids) | {p.user_id for p in agents.values() if set(p.units) & set(unit_ids)}
    if not wanted:
        field = "unitIds" if unit_ids else "agentIds"
        raise Invalid("no agents to assign to", field=field, rule="no_agents")
    if len(wanted) > TARGETS_MAX:
        raise Invalid(f"at most {TARGETS_MAX} agents at once", field="agentIds", rule="too_many")
    return [agents[a] for a in sorted(wanted)]


def may_follow(copy: AgentAssignment, *, viewer: Person | None, whole_organization: bool) -> bool:
    """Progress: administrators see all; a supervisor what they created or their agents' copies."""
    if whole_organization:
        return True
    if viewer is None:
        return False
    return copy.created_by == viewer.user_id or bool(set(copy.unit_ids) & viewer.supervised_units)


def may_follow_agent(agent: Person, *, viewer: Person | None, whole_organization: bool) -> bool:
    return whole_organization or (viewer is not None and bool(set(agent.units) & viewer.supervised_units))


# --- views: filters, pages, counts ---------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Filters of a list: the types to show (the visible ones unless one was asked for), state, overdue."""

    types: frozenset[AssignmentType]
    state: AssignmentState | None = None
    overdue: bool | None = None

    def matches(self, copy: AgentAssignment, now: datetime) -> bool:
        return (
            copy.type in self.types
            and (self.state is None or copy.state is self.state)
            and (self.overdue is None or copy.overdue(now) is self.overdue)
        )


def selection(
    visible: frozenset[AssignmentType],
    *,
    type: AssignmentType | None = None,
    state: AssignmentState | None = None,
    overdue: bool | None = None,
) -> Selection:
    """Asking for a type you may not see is refused, never answered with an empty list."""
    if type is not None:
        require_visible(visible, type)
    return Selection(types=frozenset({type}) if type else visible, state=state, overdue=overdue)


def newest_first(copies: Iterable[AgentAssignment]) -> list[AgentAssignment]:
    return sorted(copies, key=lambda c: (c.created_at, c.assignment_id), reverse=True)


def check_page(*, limit: int, cursor: str | None) -> None:
    if not 1 <= limit <= PAGE_MAX:
        raise Invalid(f"limit must be 1 to {PAGE_MAX}", field="limit", rule="out_of_range")
    if cursor is not None and not ASSIGNMENT_ID.match(cursor):
        raise Invalid("cursor is not one this API gave out", field="cursor", rule="format")


def page(
    copies: Sequence[AgentAssignment], *, limit: int, cursor: str | None
) -> tuple[list[AgentAssignment], str | None]:
    """A page of newest-first copies after `cursor` (the last id of the previous page)."""
    check_page(limit=limit, cursor=cursor)
    start = 0
    if cursor is not None:
        ids = [c.assignment_id for c in copies]
        start = ids.index(cursor) + 1 if cursor in ids else len(ids)
    rows = list(copies[start : start + limit])
    more = start + limit < len(copies)
    return rows, (rows[-1].assignment_id if more and rows else None)


def counts(
    copies: Iterable[AgentAssignment], types: Iterable[AssignmentType], *, now: datetime | None = None
) -> dict[str, Any]:
    """Counts by state, and by type and state, over the given types (zeros included); with `now`,
    also how many are overdue."""
    wanted = sorted(types)
    by_type = {kind.value: {state.value: 0 for state in AssignmentState} for kind in wanted}
    overdue = 0
    for copy in copies:
        if copy.type.value in by_type:
            by_type[copy.type.value][copy.state.value] += 1
            overdue += now is not None and copy.overdue(now)
    by_state = {state.value: sum(row[state.value] for row in by_type.values()) for state in AssignmentState}
    result: dict[str, Any] = {"total": sum(by_state.values()), "byState": by_state, "byType": by_type}
    if now is not None:
        result["overdue"] = overdue
    return result
