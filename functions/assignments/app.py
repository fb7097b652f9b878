"""Assignments (evaluations, coaching, e-learning): supervisors create and follow them, agents open,
save and close their own ("My Assignments")."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contactcenter.agents import SEQUENCE_MAX
from contactcenter.assignments import PAGE_MAX, TARGETS_MAX, AssignmentState, AssignmentType
from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, idempotency_key, serve
from contactcenter.edge.parameters import Identifier
from contactcenter.services import assignments as service

logger = Logger(service="assignments")
app = build_resolver()

TypeQuery = Annotated[AssignmentType | None, Query()]
StateQuery = Annotated[AssignmentState | None, Query()]
OverdueQuery = Annotated[bool | None, Query()]
LimitQuery = Annotated[int, Query(ge=1, le=PAGE_MAX)]
CursorQuery = Annotated[str | None, Query(max_length=64)]


class CreateRequest(BaseModel):
    """Sizes, the https link and the due date are the domain's rules (contactcenter.assignments)."""

    model_config = ConfigDict(extra="forbid")

    type: AssignmentType
    title: str
    instructions: str
    content_link: str | None = Field(default=None, alias="contentLink")
    confirmation_statement: str | None = Field(default=None, alias="confirmationStatement")
    comments_allowed: bool = Field(default=False, alias="commentsAllowed")
    due_at: AwareDatetime | None = Field(default=None, alias="dueAt")
    agent_ids: list[str] = Field(default_factory=list, alias="agentIds", max_length=TARGETS_MAX)
    unit_ids: list[str] = Field(default_factory=list, alias="unitIds", max_length=50)


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=SEQUENCE_MAX)  # the version the agent opened: a stale one gets 409
    confirmed: bool = False
    comments: str | None = None


@app.post("/assignments", status_code=201)
def create(request: CreateRequest) -> tuple[dict[str, Any], int]:
    draft = service.Draft(
        type=request.type,
        title=request.title,
        instructions=request.instructions,
        content_link=request.content_link,
        confirmation_statement=request.confirmation_statement,
        comments_allowed=request.comments_allowed,
        due_at=request.due_at,
        agent_ids=tuple(request.agent_ids),
        unit_ids=tuple(request.unit_ids),
    )
    answer = service.create(current_principal(app), draft, now=utc_now(), idempotency_key=idempotency_key(app))
    return answer.body, answer.status_code


@app.get("/assignments")
def created(limit: LimitQuery = 25, cursor: CursorQuery = None) -> dict[str, Any]:
    return service.created_assignments(current_principal(app), limit=limit, cursor=cursor)


@app.get("/assignments/<assignment_id>/progress")
def progress(
    assignment_id: Identifier, *, type: TypeQuery = None, state: StateQuery = None, overdue: OverdueQuery = None
) -> dict[str, Any]:
    filters = service.Filters(type=type, state=state, overdue=overdue)
    return service.assignment_progress(current_principal(app), assignment_id, filters, now=utc_now())


@app.get("/agents/<agent_id>/assignments")
def agent_assignments(
    agent_id: Identifier,
    *,
    type: TypeQuery = None,
    state: StateQuery = None,
    overdue: OverdueQuery = None,
    limit: LimitQuery = 25,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    filters = service.Filters(type=type, state=state, overdue=overdue)
    principal = current_principal(app)
    return service.agent_progress(principal, agent_id, filters, limit=limit, cursor=cursor, now=utc_now())


@app.get("/me/assignments")
def my_assignments(
    *,
    type: TypeQuery = None,
    state: StateQuery = None,
    overdue: OverdueQuery = None,
    limit: LimitQuery = 25,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    filters = service.Filters(type=type, state=state, overdue=overdue)
    return service.my_assignments(current_principal(app), filters, limit=limit, cursor=cursor, now=utc_now())


@app.get("/me/assignments/<assignment_id>")
def open_assignment(assignment_id: Identifier) -> dict[str, Any]:
    return service.open_assignment(current_principal(app), assignment_id, now=utc_now())


@app.post("/me/assignments/<assignment_id>/save")
def save(assignment_id: Identifier, request: SaveRequest) -> dict[str, Any]:
    return service.save_assignment(
        current_principal(app),
        assignment_id,
        version=request.version,
        confirmed=request.confirmed,
        comments=request.comments,
        now=utc_now(),
    )


@app.post("/me/assignments/<assignment_id>/close")
def close(assignment_id: Identifier) -> dict[str, Any]:
    return service.close_assignment(current_principal(app), assignment_id, now=utc_now())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
