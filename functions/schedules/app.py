"""Schedules and adherence over HTTP: imports (JSON, CSV), one agent-day read, replaced and deleted,
exceptions a supervisor approves, a unit's live adherence and the agent's own."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, serve
from contactcenter.edge.parameters import Identifier
from contactcenter.errors import Invalid
from contactcenter.schedules import ActivityDraft
from contactcenter.services import adherence, schedules

logger = Logger(service="schedules")
app = build_resolver()

CSV_IMPORT = "POST /schedules/imports/csv"
AgentId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:@-]{1,128}$")]
Day = Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
IfMatch = Annotated[str, Header(pattern=r'^(W/)?"?[0-9]{1,10}"?$', description="The version read (0: new)")]
Moment = Annotated[str, Field(min_length=4, max_length=40)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ActivityBody(_Body):
    kind: str = Field(max_length=20)
    start: Moment
    end: Moment


class DayBody(_Body):
    activities: list[ActivityBody] = Field(max_length=48)


class ImportedDay(_Body):
    # Checked row by row by the import (a bad agent or date is reported, not refused whole).
    agent_id: str = Field(alias="agentId", max_length=128)
    date: str = Field(max_length=20)
    activities: list[ActivityBody] = Field(max_length=48)


class ImportBody(_Body):
    schedules: list[ImportedDay] = Field(max_length=5000)


class ExceptionBody(_Body):
    start: Moment
    end: Moment
    note: str = Field(min_length=1, max_length=500)


def _version(if_match: str) -> int:
    return int(if_match.removeprefix("W/").strip('"'))


@app.post("/schedules/imports")
def import_json(body: ImportBody) -> dict[str, Any]:
    days = [day.model_dump(by_alias=True) for day in body.schedules]
    return schedules.import_json(current_principal(app), days, now=utc_now())


@app.post("/schedules/imports/csv")
def import_csv() -> dict[str, Any]:
    text = app.current_event.decoded_body or ""
    if len(text) > 2_000_000:
        raise Invalid("a CSV import is at most 2 MB", field="body", rule="too_large")
    return schedules.import_csv(current_principal(app), text, now=utc_now())


@app.get("/agents/<agent_id>/schedules/<day>")
def read_schedule(agent_id: AgentId, day: Day) -> dict[str, Any]:
    return schedules.schedule_of(current_principal(app), agent_id, day)


@app.put("/agents/<agent_id>/schedules/<day>")
def replace_schedule(agent_id: AgentId, day: Day, body: DayBody, if_match: IfMatch) -> dict[str, Any]:
    drafts = [ActivityDraft(a.kind, a.start, a.end) for a in body.activities]
    return schedules.replace_schedule(
        current_principal(app), agent_id, day, drafts, expected_version=_version(if_match), now=utc_now()
    )


@app.delete("/agents/<agent_id>/schedules/<day>")
def delete_schedule(agent_id: AgentId, day: Day, if_match: IfMatch) -> dict[str, Any]:
    return schedules.delete_schedule(
        current_principal(app), agent_id, day, expected_version=_version(if_match), now=utc_now()
    )


@app.post("/agents/<agent_id>/adherence-exceptions", status_code=201)
def approve_exception(agent_id: Identifier, body: ExceptionBody) -> tuple[dict[str, Any], int]:
    approved = schedules.approve_exception(
        current_principal(app), agent_id, start=body.start, end=body.end, note=body.note, now=utc_now()
    )
    return approved, 201


@app.get("/units/<unit_id>/adherence")
def unit_adherence(
    unit_id: Identifier,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    return schedules.unit_adherence(current_principal(app), unit_id, limit=limit, cursor=cursor)


@app.get("/me/adherence")
def my_adherence() -> dict[str, Any]:
    principal = current_principal(app)
    return adherence.adherence_of_agent(principal.organization_id, principal.user_id, now=utc_now())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context, csv_routes=frozenset({CSV_IMPORT}))
