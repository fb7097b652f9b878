"""Clock in and out: the agent starts and ends a tracked session."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.agents import Actor, ActorKind
from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, idempotency_key, serve
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import ClockIn, ClockOut
from contactcenter.statuses import Platform

logger = Logger(service="clock")
app = build_resolver()


class ClockInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["web", "app"]
    unit_id: str | None = Field(default=None, alias="unitId", min_length=1, max_length=64)


class ClockOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=500)


@app.post("/me/clock-in")
def clock_in(request: ClockInRequest) -> dict[str, Any]:
    principal = current_principal(app)
    answer = change_agent(
        principal.organization_id,
        principal.user_id,
        ClockIn(platform=Platform(request.platform), unit_id=request.unit_id),
        actor=Actor(ActorKind.AGENT, principal.user_id),
        now=utc_now(),
        idempotency_key=idempotency_key(app),
    )
    return answer.body


@app.post("/me/clock-out")
def clock_out(request: ClockOutRequest) -> dict[str, Any]:
    principal = current_principal(app)
    answer = change_agent(
        principal.organization_id,
        principal.user_id,
        ClockOut(reason=request.reason, description=request.description),
        actor=Actor(ActorKind.AGENT, principal.user_id),
        now=utc_now(),
        idempotency_key=idempotency_key(app),
    )
    return answer.body


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
