"""Attendance reports: one function, three event sources.

- EventBridge Scheduler (hourly): compile each organization's daily files once its local day is over,
  and (the schedule whose `detail` is `{"report":"monthly"}`) its monthly rollup once its local month is;
  "now" is the event's `time`, so a scheduler with a movable clock moves it. A `detail` naming an
  organization and a date or a month compiles that day or month again (an operator's correction).
- HTTP API: finance and supervisors ask for a report (202 and a job id), poll the job, list daily files.
- DynamoDB stream (INSERT of a ReportJob item, filtered in infra/wiring.py): run the job.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, idempotency_key, serve
from contactcenter.edge.parameters import Identifier
from contactcenter.services import reports as service

logger = Logger(service="reports")
app = build_resolver()


# Checked by the service, which names the field and the rule (YYYY-MM-DD, order, length).
FirstDay = Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD (local)")]
LastDay = Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD (local)")]


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    unit_id: str | None = Field(default=None, alias="unitId", min_length=1, max_length=64)
    interval_minutes: Literal[15, 30, 60] | None = Field(default=None, alias="intervalMinutes")


@app.post("/reports/jobs", status_code=202)
def request_report(request: ReportRequest) -> tuple[dict[str, Any], int]:
    job = service.request_job(
        current_principal(app),
        first=request.first,
        last=request.last,
        unit_id=request.unit_id,
        interval_minutes=request.interval_minutes,
        now=utc_now(),
        idempotency_key=idempotency_key(app),
    )
    return job, 202


@app.get("/reports/jobs/<job_id>")
def report_job(job_id: Identifier) -> dict[str, Any]:
    return service.job_status(current_principal(app), job_id)


@app.get("/reports/files")
def report_files(first: FirstDay = None, last: LastDay = None) -> dict[str, Any]:
    return service.list_files(current_principal(app), first, last, now=utc_now())


def _run_jobs(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Loaded here: only the stream path needs the batch utility.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    def run(record: DynamoDBRecord) -> None:
        image = record.raw_event["dynamodb"]["NewImage"]
        service.run_job(image["organizationId"]["S"], image["jobId"]["S"], now=utc_now())

    return dict(
        process_partial_response(
            event=event,
            record_handler=run,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=context,
        )
    )


def _on_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    detail = event.get("detail") or {}
    run = service.on_schedule(
        now,
        json.loads(detail) if isinstance(detail, str) else detail,
        time_left_ms=context.get_remaining_time_in_millis,
    )
    summary = run.summary()
    logger.info("scheduled attendance compilation", extra=summary)
    return summary


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch on the event's shape (the three sources never share one)."""
    if "requestContext" in event:
        return serve(app, event, context)
    if "Records" in event:
        return _run_jobs(event, context)
    return _on_schedule(event, context)
