"""The agent's own status: current state, manual changes, next status, stop-new, queues, work items,
history; work reported by integrations; routable agents for a router."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.agents import Actor, ActorKind
from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, idempotency_key, serve
from contactcenter.edge.parameters import Identifier, SequenceBefore, StatusRequest
from contactcenter.organization import Channel
from contactcenter.services.agent_changes import change_agent, current_state, integration_answer
from contactcenter.services.agent_reads import history, routable_agents
from contactcenter.status import (
    AcceptWork,
    Action,
    CancelNextStatus,
    EndWork,
    EndWrapUp,
    LogIntoQueue,
    LogOutOfQueue,
    OfferWork,
    RejectWork,
    Resume,
    SetNextStatus,
    SetStatus,
    StopNew,
)
from contactcenter.statuses import Status

logger = Logger(service="status")
app = build_resolver()


class WorkEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["offered", "accepted", "rejected", "ended"]
    channel: Channel = Channel.CASE
    reference: str | None = Field(default=None, max_length=256)
    queue_id: str | None = Field(default=None, alias="queueId", pattern=r"^[A-Za-z0-9_-]{1,64}$")


def _for_me(action: Action) -> dict[str, Any]:
    principal = current_principal(app)
    answer = change_agent(
        principal.organization_id,
        principal.user_id,
        action,
        actor=Actor(ActorKind.AGENT, principal.user_id),
        now=utc_now(),
        idempotency_key=idempotency_key(app),
    )
    return answer.body


def _work_action(item_id: str, event: WorkEvent) -> Action:
    if event.type == "offered":
        return OfferWork(item_id, event.channel, event.reference, event.queue_id)
    if event.type == "accepted":
        return AcceptWork(item_id, event.channel, event.reference, event.queue_id)
    if event.type == "rejected":
        return RejectWork(item_id)
    return EndWork(item_id)


@app.get("/me/state")
def my_state() -> dict[str, Any]:
    principal = current_principal(app)
    return current_state(principal.organization_id, principal.user_id, now=utc_now())


@app.put("/me/status")
def set_my_status(request: StatusRequest) -> dict[str, Any]:
    return _for_me(SetStatus(Status(request.status), request.reason, request.description))


@app.put("/me/next-status")
def set_my_next_status(request: StatusRequest) -> dict[str, Any]:
    return _for_me(SetNextStatus(Status(request.status), request.reason, request.description))


@app.delete("/me/next-status")
def cancel_my_next_status() -> dict[str, Any]:
    return _for_me(CancelNextStatus())


@app.post("/me/stop-new")
def stop_new() -> dict[str, Any]:
    return _for_me(StopNew())


@app.post("/me/resume")
def resume() -> dict[str, Any]:
    return _for_me(Resume())


@app.post("/me/wrap-up/end")
def end_my_wrap_up() -> dict[str, Any]:
    return _for_me(EndWrapUp())


@app.post("/me/queues/<queue_id>/login")
def log_into_queue(queue_id: Identifier) -> dict[str, Any]:
    return _for_me(LogIntoQueue(queue_id))


@app.post("/me/queues/<queue_id>/logout")
def log_out_of_queue(queue_id: Identifier) -> dict[str, Any]:
    return _for_me(LogOutOfQueue(queue_id))


@app.post("/me/work-items/<item_id>/events")
def my_work_event(item_id: Identifier, event: WorkEvent) -> dict[str, Any]:
    return _for_me(_work_action(item_id, event))


@app.get("/me/history")
def my_history(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    before: SequenceBefore = None,
) -> dict[str, Any]:
    principal = current_principal(app)
    return history(principal.organization_id, principal.user_id, limit=limit, before=before)


@app.post("/agents/<agent_id>/work-items/<item_id>/events")
def reported_work_event(agent_id: Identifier, item_id: Identifier, event: WorkEvent) -> dict[str, Any]:
    """An integration (router, ticketing) reports work for an agent of its organization."""
    principal = current_principal(app)
    answer = change_agent(
        principal.organization_id,
        agent_id,
        _work_action(item_id, event),
        actor=Actor(ActorKind.SYSTEM, principal.user_id),
        now=utc_now(),
        idempotency_key=idempotency_key(app),
    )
    return integration_answer(answer.body)


@app.get("/queues/<queue_id>/routable-agents")
def queue_routable_agents(queue_id: Identifier, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    principal = current_principal(app)
    return routable_agents(principal.organization_id, queue_id, limit=limit)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
