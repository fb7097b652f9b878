"""Supervision over HTTP: dashboards of units and queues, and supervisors acting on agents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, idempotency_key, serve
from contactcenter.edge.parameters import Identifier, SequenceAfter, StatusRequest
from contactcenter.services import supervision
from contactcenter.status import (
    Action,
    CancelNextStatus,
    EndWrapUp,
    LogIntoQueue,
    LogOutOfQueue,
    SetAutoAssignment,
    SetNextStatus,
    SetStatus,
)
from contactcenter.statuses import Status

logger = Logger(service="supervision")
app = build_resolver()

PageSize = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=2048)]


class Pause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=500)


class AutoAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class Monitoring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["listen", "whisper", "barge"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)


def _act(agent_id: str, action: Action) -> dict[str, Any]:
    principal = current_principal(app)
    return supervision.act_on_agent(principal, agent_id, action, now=utc_now(), key=idempotency_key(app)).body


@app.get("/units/<unit_id>/dashboard")
def unit_dashboard(unit_id: Identifier, limit: PageSize = 200, cursor: Cursor = None) -> dict[str, Any]:
    return supervision.unit_dashboard(current_principal(app), unit_id, limit=limit, cursor=cursor, now=utc_now())


@app.get("/queues/<queue_id>/dashboard")
def queue_dashboard(queue_id: Identifier, limit: PageSize = 200, cursor: Cursor = None) -> dict[str, Any]:
    return supervision.queue_dashboard(current_principal(app), queue_id, limit=limit, cursor=cursor, now=utc_now())


@app.post("/agents/<agent_id>/status")
def force_status(agent_id: Identifier, request: StatusRequest) -> dict[str, Any]:
    return _act(agent_id, SetStatus(Status(request.status), request.reason, request.description))


@app.post("/agents/<agent_id>/pause")
def pause(agent_id: Identifier, request: Pause) -> dict[str, Any]:
    return _act(agent_id, SetStatus(Status.UNAVAILABLE, request.reason, request.description))


@app.put("/agents/<agent_id>/next-status")
def set_next_status(agent_id: Identifier, request: StatusRequest) -> dict[str, Any]:
    return _act(agent_id, SetNextStatus(Status(request.status), request.reason, request.description))


@app.delete("/agents/<agent_id>/next-status")
def cancel_next_status(agent_id: Identifier) -> dict[str, Any]:
    return _act(agent_id, CancelNextStatus())


@app.post("/agents/<agent_id>/wrap-up/end")
def end_wrap_up(agent_id: Identifier) -> dict[str, Any]:
    return _act(agent_id, EndWrapUp())


@app.put("/agents/<agent_id>/auto-assignment")
def auto_assignment(agent_id: Identifier, request: AutoAssignment) -> dict[str, Any]:
    return _act(agent_id, SetAutoAssignment(request.enabled))


@app.post("/agents/<agent_id>/queues/<queue_id>/login")
def log_agent_into_queue(agent_id: Identifier, queue_id: Identifier) -> dict[str, Any]:
    return _act(agent_id, LogIntoQueue(queue_id))


@app.post("/agents/<agent_id>/queues/<queue_id>/logout")
def log_agent_out_of_queue(agent_id: Identifier, queue_id: Identifier) -> dict[str, Any]:
    return _act(agent_id, LogOutOfQueue(queue_id))


@app.post("/agents/<agent_id>/monitoring")
def start_monitoring(agent_id: Identifier, request: Monitoring) -> dict[str, Any]:
    return supervision.start_monitoring(current_principal(app), agent_id, request.mode, now=utc_now())


@app.delete("/agents/<agent_id>/monitoring/<session_id>")
def stop_monitoring(agent_id: Identifier, session_id: Identifier) -> dict[str, Any]:
    return supervision.stop_monitoring(current_principal(app), agent_id, session_id, now=utc_now())


@app.post("/agents/<agent_id>/messages")
def send_message(agent_id: Identifier, request: Message) -> dict[str, Any]:
    return supervision.send_message(current_principal(app), agent_id, request.text, now=utc_now())


@app.get("/agents/<agent_id>/changes")
def missed_changes(
    agent_id: Identifier,
    after: SequenceAfter,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> dict[str, Any]:
    return supervision.missed_changes(current_principal(app), agent_id, after=after, limit=limit)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
