"""Attendance reports through the real handler on moto: the hourly compilation, on-demand jobs (HTTP ->
job item -> the table's stream -> the same handler), presigned links, who may ask for what, bad input."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests

from contactcenter.agents import Actor, ActorKind
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import Action, ClockIn, ClockOut, SetStatus
from contactcenter.statuses import Platform, Status
from contactcenter.store import clients
from functions.reports import app as reports
from tests.handlers.conftest import TABLE, LambdaContext, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization
from tests.support.streams import TableStream

BUCKET = "reports-test"
ROME = ZoneInfo("Europe/Rome")
ROLES = {"ana": "AGENT", "ben": "AGENT", "sam": "SUPERVISOR", "sue": "SUPERVISOR", "fay": "FINANCE", "ada": "ADMIN"}


class LongContext(LambdaContext):
    memory_limit_in_mb = 2048

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def bucket(aws: None) -> str:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def long_context() -> LongContext:
    return LongContext()


def _change(org: str, agent: str, action: Action, at: datetime | str, by: str | None = None) -> None:
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    actor = Actor(ActorKind.SUPERVISOR, by) if by else Actor(ActorKind.AGENT, agent)
    change_agent(org, agent, action, actor=actor, now=moment)


def _march_history(org: str) -> None:
    """Ana works a night shift into the 23-hour day; Ben is paused by Sue and logged into a queue."""
    _change(org, "ana", ClockIn(Platform.WEB), "2026-03-28T22:00:00.250+01:00")
    _change(org, "ana", SetStatus(Status.UNAVAILABLE, "BREAK"), "2026-03-28T23:30:00+01:00")
    _change(org, "ana", SetStatus(Status.AVAILABLE), "2026-03-29T00:15:00+01:00")
    _change(org, "ana", ClockOut("END_OF_SHIFT"), "2026-03-29T06:00:00.999+02:00")
    _change(org, "ben", ClockIn(Platform.APP), "2026-03-29T09:00:00+02:00")
    _change(org, "ben", SetStatus(Status.UNAVAILABLE, "MEETING"), "2026-03-29T10:00:00+02:00", by="sue")
    _change(org, "ben", SetStatus(Status.AVAILABLE), "2026-03-29T11:00:00+02:00")
    _change(org, "ben", ClockOut("END_OF_SHIFT"), "2026-03-29T17:00:00+02:00")


def _scheduled(context: Any, time: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load("eventbridge-scheduler"))
    event["time"] = time
    if detail is not None:
        event["detail"] = json.dumps(detail)
    result: dict[str, Any] = reports.handler(event, context)
    return result


def _keys(prefix: str = "attendance/") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def _read(key: str) -> bytes:
    body: bytes = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


DAILY = "attendance/acme/daily/2026/03/29/"
TABLES = ["adherence", "attendance", "sessions", "supervisor-actions", "unavailable"]
FILES = sorted(
    ["README.txt", "manifest.json"]
    + [f"{table}.csv" for table in TABLES]
    + [f"parquet/{t}/{t}.parquet" for t in (table.replace("-", "_") for table in TABLES)]
)


# --- the hourly compilation ----------------------------------------------------------------------


def test_the_hourly_run_compiles_each_organization_whose_day_is_over(
    acme: Organization, globex: Organization, bucket: str, long_context: LongContext
) -> None:
    _march_history("acme")
    _change("globex", "cy", ClockIn(Platform.WEB, unit_id="north"), "2026-03-29T08:00:00+02:00")

    # 00:30 in Rome: the 29th has been over for half an hour.
    summary = _scheduled(long_context, "2026-03-29T22:30:00Z")

    assert sorted((c["organizationId"], c["date"]) for c in summary["compiled"]) == [
        ("acme", "2026-03-28"),
        ("acme", "2026-03-29"),
        ("globex", "2026-03-28"),
        ("globex", "2026-03-29"),
    ]
    assert _keys(DAILY) == [DAILY + name for name in FILES]
    attendance = {row["agent_id"]: row for row in _csv(_read(DAILY + "attendance.csv"))}
    assert sorted(attendance) == ["ana", "ben"]
    assert attendance["ana"] | {} == attendance["ana"] | {
        "clocked_seconds": str(5 * 3600),
        "available_seconds": str(5 * 3600 - 900),
        "unavailable_break_seconds": "900",
        "continued": "true",
        "last_clock_out": "2026-03-29T04:00:00Z",
        "last_clock_out_local_date": "2026-03-29",
        "last_clock_out_local_time": "06:00:00",
        "clocked_hours": "5.00",
    }
    assert attendance["ben"]["unavailable_meeting_seconds"] == "3600"
    assert attendance["ben"]["clocked_seconds"] == str(8 * 3600)
    actions = _csv(_read(DAILY + "supervisor-actions.csv"))
    assert [(a["supervisor_id"], a["agent_id"], a["action"], a["reason"]) for a in actions] == [
        ("sue", "ben", "force_status", "MEETING")
    ]
    manifest = json.loads(_read(DAILY + "manifest.json"))
    assert manifest["period"]["seconds"] == 23 * 3600
    assert manifest["compiledAt"] == "2026-03-29T22:30:00.000+00:00"
    assert {f["name"]: f["rows"] for f in manifest["files"] if f["name"].endswith(".csv")} == {
        "adherence.csv": 0,  # nobody was scheduled
        "attendance.csv": 2,
        "sessions.csv": 2,
        "supervisor-actions.csv": 1,
        "unavailable.csv": 2,
    }
    assert {f["name"] for f in manifest["files"]} == set(FILES) - {"manifest.json"}
    # Each organization's files hold its own agents only.
    globex_rows = _csv(_read("attendance/globex/daily/2026/03/29/attendance.csv"))
    assert [(row["agent_id"], row["open"]) for row in globex_rows] == [("cy", "true")]


def test_a_day_not_over_for_long_enough_is_not_compiled(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    summary = _scheduled(long_context, "2026-03-29T22:29:00Z")
    assert [c["date"] for c in summary["compiled"]] == ["2026-03-27", "2026-03-28"]
    assert _keys(DAILY) == []


def _report_ready_queue() -> str:
    """An SQS queue receiving every Report Ready event of the default bus (as a finance rule would)."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="report-ready")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="report-ready",
        EventPattern=json.dumps({"source": ["contactcenter.reports"], "detail-type": ["Report Ready"]}),
    )
    events.put_targets(Rule="report-ready", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def _announced(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"])["detail"] for message in messages]


def test_the_month_is_compiled_once_it_is_over_as_the_sum_of_its_days_and_announced(
    acme: Organization, globex: Organization, bucket: str, long_context: LongContext
) -> None:
    _march_history("acme")
    queue = _report_ready_queue()
    # 02:00 on April 1st in Rome: March has been over for two hours.
    summary = _scheduled(long_context, "2026-04-01T00:00:00Z", {"report": "monthly"})

    assert sorted((c["organizationId"], c["date"]) for c in summary["compiled"]) == [
        ("acme", "2026-03"),
        ("globex", "2026-03"),
    ]
    monthly = "attendance/acme/monthly/2026/03/"
    assert _keys(monthly) == [
        monthly + name
        for name in (
            "README.txt",
            "attendance-month.csv",
            "manifest.json",
            "parquet/attendance_month/attendance_month.parquet",
        )
    ]
    month = {row["agent_id"]: row for row in _csv(_read(monthly + "attendance-month.csv"))}
    # Ana: 22:00 -> midnight on the 28th, midnight -> 06:00 (five hours) on the 29th.
    assert month["ana"] | {} == month["ana"] | {
        "month": "2026-03",
        "first_day": "2026-03-01",
        "last_day": "2026-03-31",
        "days": "2",
        "sessions": "2",
        "clocked_seconds": str(2 * 3600 + 5 * 3600),
        "clocked_hours": "7.00",
        "unavailable_break_seconds": str(45 * 60),  # 23:30 -> 00:15 across midnight
    }
    assert month["ben"]["clocked_seconds"] == str(8 * 3600)
    assert month["ben"]["unavailable_meeting_hours"] == "1.00"
    manifest = json.loads(_read(monthly + "manifest.json"))
    assert (manifest["kind"], manifest["period"]["from"], manifest["period"]["to"]) == (
        "monthly",
        "2026-03-01",
        "2026-03-31",
    )
    (announced,) = [d for d in _announced(queue) if d["organizationId"] == "acme"]
    assert announced | {} == announced | {
        "kind": "monthly",
        "prefix": monthly,
        "manifest": monthly + "manifest.json",
        "bucket": BUCKET,
        "compiledAt": "2026-04-01T00:00:00.000+00:00",
    }
    assert "attendance-month.csv" in announced["files"]
    # Finance finds it beside the daily files.
    listed = body_of(
        _http(long_context, "GET", "/reports/files", "fay", query={"from": "2026-03-01", "to": "2026-03-31"})
    )
    assert [m["month"] for m in listed["months"]] == ["2026-03"]
    # The next run finds it compiled.
    again = _scheduled(long_context, "2026-04-01T01:00:00Z", {"report": "monthly"})
    assert again["compiled"] == [] and again["skipped"] == 2


def test_each_compiled_day_and_job_is_announced(acme: Organization, bucket: str, long_context: LongContext) -> None:
    _march_history("acme")
    queue = _report_ready_queue()
    _scheduled(long_context, "2026-03-29T22:30:00Z")
    announced = _announced(queue)
    assert sorted((d["kind"], d["period"]["from"]) for d in announced) == [
        ("daily", "2026-03-28"),
        ("daily", "2026-03-29"),
    ]
    day = next(d for d in announced if d["period"]["from"] == "2026-03-29")
    assert day["prefix"] == DAILY and sorted(day["files"]) == FILES

    start = _recent_history()
    stream = TableStream(TABLE, "reports")
    stream.next_event()  # the history's records are not for this consumer
    first = (start - timedelta(days=1)).date().isoformat()
    asked = _ask(long_context, "fay", {"from": first, "to": start.date().isoformat()})
    reports.handler(stream.next_event(), long_context)
    (job,) = _announced(queue)
    assert (job["kind"], job["jobId"]) == ("on_demand", body_of(asked)["jobId"])
    assert "attendance-month.csv" in job["files"]  # more than one day: the period per agent beside the days


def test_a_compiled_day_is_skipped(acme: Organization, bucket: str, long_context: LongContext) -> None:
    _march_history("acme")
    _scheduled(long_context, "2026-03-29T22:30:00Z")
    writes = RequestCounter(clients.s3())

    summary = _scheduled(long_context, "2026-03-29T23:30:00Z")

    assert summary == {"compiled": [], "skipped": 2, "deferred": [], "failed": []}
    assert "PutObject" not in writes.calls


def test_compiling_a_day_again_gives_byte_identical_files(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    _march_history("acme")
    _scheduled(long_context, "2026-03-29T22:30:00Z")
    first = {key: _read(key) for key in _keys(DAILY)}

    # An operator's one-off event, hours later, names the day.
    summary = _scheduled(long_context, "2026-03-30T09:00:00Z", {"organizationId": "acme", "date": "2026-03-29"})

    assert summary["compiled"] == [{"organizationId": "acme", "date": "2026-03-29"}]
    assert {key: _read(key) for key in _keys(DAILY)} == first


def test_a_run_short_of_time_leaves_the_work_for_the_next(acme: Organization, bucket: str, context: Any) -> None:
    summary = _scheduled(context, "2026-03-29T22:30:00Z")  # ten seconds left
    assert summary["compiled"] == [] and len(summary["deferred"]) == 2
    assert _keys() == []


# --- on-demand jobs ------------------------------------------------------------------------------


def _http(
    context: Any,
    method: str,
    path: str,
    user: str,
    *,
    org: str = "acme",
    route: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = http_event(
        method,
        path,
        route=route,
        body=body,
        query=query,
        claims=claims_for(user, org, ROLES[user]),
        path_parameters=path_parameters,
        headers=headers,
    )
    response: dict[str, Any] = reports.handler(event, context)
    return response


def _ask(
    context: Any, user: str, body: Any, *, org: str = "acme", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return _http(context, "POST", "/reports/jobs", user, org=org, body=body, headers=headers)


def _job(context: Any, user: str, job_id: str, *, org: str = "acme") -> dict[str, Any]:
    return _http(
        context,
        "GET",
        f"/reports/jobs/{job_id}",
        user,
        org=org,
        route="/reports/jobs/{jobId}",
        path_parameters={"jobId": job_id},
    )


def _jobs_stored() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return [item for item in items if item.get("entity", {}).get("S") == "ReportJob"]


def _yesterday() -> datetime:
    """09:00 in Rome yesterday (jobs cover recent days, so this history follows the real clock)."""
    today = datetime.now(UTC).astimezone(ROME).date()
    return datetime(today.year, today.month, today.day, 9, tzinfo=ROME) - timedelta(days=1)


def _recent_history(org: str = "acme") -> datetime:
    start = _yesterday()
    _change(org, "ana", ClockIn(Platform.WEB), start)
    _change(org, "ana", SetStatus(Status.UNAVAILABLE, "BREAK"), start + timedelta(hours=1))
    _change(org, "ana", SetStatus(Status.AVAILABLE), start + timedelta(hours=1, minutes=20))
    _change(org, "ana", ClockOut("END_OF_SHIFT"), start + timedelta(hours=8))
    _change(org, "ben", ClockIn(Platform.APP), start + timedelta(hours=2))
    _change(org, "ben", ClockOut("SICK"), start + timedelta(hours=3), by="sue")
    return start


def test_an_on_demand_report_runs_from_request_to_download(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    start = _recent_history()
    day = start.date().isoformat()
    stream = TableStream(TABLE, "reports")
    stream.next_event()  # the history's records are not for this consumer

    asked = _ask(long_context, "fay", {"from": day, "to": day, "intervalMinutes": 15})
    assert asked["statusCode"] == 202, asked
    job_id = body_of(asked)["jobId"]
    assert body_of(asked) | {} == body_of(asked) | {"state": "queued", "period": {"from": day, "to": day}}
    assert body_of(asked)["unitIds"] is None

    polled = _job(long_context, "fay", job_id)
    assert polled["statusCode"] == 200 and body_of(polled)["state"] == "queued"
    assert "files" not in body_of(polled)

    event = stream.next_event()
    assert len(event["Records"]) == 1  # the job's INSERT, and nothing else passes the filter
    assert reports.handler(event, long_context) == {"batchItemFailures": []}

    done = body_of(_job(long_context, "fay", job_id))
    assert done["state"] == "done"
    assert done["progress"] == {"agentsDone": 4, "agentsTotal": 4, "percent": 100}
    files = {f["name"]: f for f in done["files"]}
    tables = [*(t for t in TABLES if t != "adherence"), "intervals"]  # adherence.csv is a daily file
    assert sorted(files) == sorted(
        ["README.txt", "manifest.json"]
        + [f"{table}.csv" for table in tables]
        + [f"parquet/{t}/{t}.parquet" for t in (table.replace("-", "_") for table in tables)]
    )
    assert all("X-Amz-Signature=" in f["url"] and "X-Amz-Expires=900" in f["url"] for f in files.values())
    downloaded = requests.get(files["attendance.csv"]["url"], timeout=5)
    assert downloaded.status_code == 200
    rows = {row["agent_id"]: row for row in _csv(downloaded.content)}
    assert rows["ana"]["clocked_seconds"] == str(8 * 3600)
    assert rows["ana"]["unavailable_break_seconds"] == str(20 * 60)
    assert rows["ben"]["clock_out_reasons"] == "SICK"
    intervals = _csv(requests.get(files["intervals.csv"]["url"], timeout=5).content)
    assert sum(int(r["seconds"]) for r in intervals if r["agent_id"] == "ana") == 8 * 3600
    manifest = json.loads(requests.get(files["manifest.json"]["url"], timeout=5).content)
    assert manifest["jobId"] == job_id and manifest["kind"] == "on_demand"
    assert manifest["intervalMinutes"] == 15


def test_a_delivered_again_job_record_changes_nothing(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    day = _recent_history().date().isoformat()
    stream = TableStream(TABLE, "reports")
    stream.next_event()
    job_id = body_of(_ask(long_context, "fay", {"from": day, "to": day}))["jobId"]
    event = stream.next_event()
    reports.handler(event, long_context)
    before = {key: _read(key) for key in _keys(f"attendance/acme/jobs/{job_id}/")}
    writes = RequestCounter(clients.s3())

    assert reports.handler(event, long_context) == {"batchItemFailures": []}

    assert "PutObject" not in writes.calls
    assert {key: _read(key) for key in _keys(f"attendance/acme/jobs/{job_id}/")} == before


def test_a_retried_request_with_the_same_key_gets_the_same_job(acme: Organization, bucket: str, context: Any) -> None:
    day = _yesterday().date().isoformat()
    first = _ask(context, "fay", {"from": day, "to": day}, headers={"Idempotency-Key": "k-1"})
    again = _ask(context, "fay", {"from": day, "to": day}, headers={"Idempotency-Key": "k-1"})
    assert again["statusCode"] == 202
    assert body_of(again)["jobId"] == body_of(first)["jobId"]
    assert len(_jobs_stored()) == 1

    other = _ask(context, "fay", {"from": day, "to": day, "unitId": "north"}, headers={"Idempotency-Key": "k-1"})
    assert other["statusCode"] == 409
    assert body_of(other)["error"]["rule"] == "idempotency_key_reused"
    assert len(_jobs_stored()) == 1


# --- who may ask for what ------------------------------------------------------------------------


def test_an_agent_may_not_ask_for_or_list_reports(acme: Organization, bucket: str, context: Any) -> None:
    day = _yesterday().date().isoformat()
    asked = _ask(context, "ana", {"from": day, "to": day})
    assert asked["statusCode"] == 403
    assert body_of(asked)["error"]["rule"] == "missing_permission"
    listed = _http(context, "GET", "/reports/files", "ana", query={"from": day, "to": day})
    assert listed["statusCode"] == 403
    assert _jobs_stored() == []


def test_a_supervisor_asks_only_for_units_they_supervise(acme: Organization, bucket: str, context: Any) -> None:
    day = _yesterday().date().isoformat()
    refused = _ask(context, "sam", {"from": day, "to": day, "unitId": "south"})
    assert refused["statusCode"] == 403
    assert body_of(refused)["error"] | {} == body_of(refused)["error"] | {
        "rule": "unit_not_supervised",
        "field": "unitId",
    }
    assert _jobs_stored() == []

    mine = _ask(context, "sam", {"from": day, "to": day})
    assert mine["statusCode"] == 202
    assert body_of(mine)["unitIds"] == ["north"]
    # Nor may a supervisor list the finance files.
    assert _http(context, "GET", "/reports/files", "sam", query={"from": day, "to": day})["statusCode"] == 403


def test_a_supervisors_report_holds_the_agents_of_their_units_only(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    day = _recent_history().date().isoformat()
    stream = TableStream(TABLE, "reports")
    stream.next_event()
    job_id = body_of(_ask(long_context, "sue", {"from": day, "to": day, "unitId": "south"}))["jobId"]
    reports.handler(stream.next_event(), long_context)
    done = body_of(_job(long_context, "sue", job_id))
    url = next(f["url"] for f in done["files"] if f["name"] == "attendance.csv")
    assert [row["agent_id"] for row in _csv(requests.get(url, timeout=5).content)] == ["ben"]
    assert done["progress"]["agentsTotal"] == 2  # ben and cy work in the south unit


def test_jobs_are_visible_to_their_requester_and_finance_only(
    acme: Organization, globex: Organization, bucket: str, context: Any
) -> None:
    day = _yesterday().date().isoformat()
    job_id = body_of(_ask(context, "sam", {"from": day, "to": day}))["jobId"]

    assert _job(context, "sam", job_id)["statusCode"] == 200
    assert _job(context, "fay", job_id)["statusCode"] == 200
    hidden = _job(context, "sue", job_id)
    assert hidden["statusCode"] == 404
    assert body_of(hidden)["error"]["rule"] == "unknown_job"
    # Another organization's finance user does not find it either.
    assert _job(context, "fay", job_id, org="globex")["statusCode"] == 404


def test_finance_lists_and_downloads_the_daily_files_of_its_organization_only(
    acme: Organization, globex: Organization, bucket: str, long_context: LongContext
) -> None:
    _march_history("acme")
    _scheduled(long_context, "2026-03-29T22:30:00Z")

    listed = _http(long_context, "GET", "/reports/files", "fay", query={"from": "2026-03-01", "to": "2026-03-31"})

    assert listed["statusCode"] == 200, listed
    body = body_of(listed)
    assert [d["date"] for d in body["days"]] == ["2026-03-28", "2026-03-29"]
    files = {f["name"]: f for f in body["days"][1]["files"]}
    assert sorted(files) == FILES
    downloaded = requests.get(files["attendance.csv"]["url"], timeout=5)
    assert downloaded.content == _read(DAILY + "attendance.csv")
    manifest = json.loads(requests.get(files["manifest.json"]["url"], timeout=5).content)
    assert manifest["organizationId"] == "acme"

    other = body_of(
        _http(
            long_context, "GET", "/reports/files", "fay", org="globex", query={"from": "2026-03-01", "to": "2026-03-31"}
        )
    )
    assert all("/acme/" not in f["url"] for d in other["days"] for f in d["files"])


# --- bad input -----------------------------------------------------------------------------------


def _errors(response: dict[str, Any]) -> list[tuple[str, str]]:
    error = body_of(response)["error"]
    if error["code"] == "validation":
        return [(e["field"], e["rule"]) for e in error["errors"]]
    return [(error.get("field"), error["rule"])]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, ("from", "date_from_datetime_parsing")),
        ({"from": "2026-03-01", "to": "03/02/2026"}, ("to", "date_from_datetime_parsing")),
        ({"from": "yesterday", "to": "2026-03-01"}, ("from", "date_from_datetime_parsing")),
        ({"to": "2026-03-01"}, ("from", "missing")),
        ({"from": "2026-03-01", "to": "2026-03-01", "intervalMinutes": 20}, ("intervalMinutes", "literal_error")),
        ({"from": "2026-03-01", "to": "2026-03-01", "colour": "red"}, ("colour", "extra_forbidden")),
    ],
)
def test_malformed_requests_get_422_naming_the_field(
    acme: Organization, bucket: str, context: Any, body: dict[str, Any], expected: tuple[str, str]
) -> None:
    response = _ask(context, "fay", body)
    assert response["statusCode"] == 422
    assert _errors(response) == [expected]
    assert _jobs_stored() == []


@pytest.mark.parametrize(
    ("offsets", "extra", "expected"),
    [
        ((0, -1), {}, ("to", "period_order")),
        ((-93, -1), {}, ("to", "period_too_long")),
        ((-8, -1), {"intervalMinutes": 15}, ("to", "period_too_long")),
        ((-110, -100), {}, ("from", "period_too_old")),
        ((0, 2), {}, ("to", "period_in_future")),
        ((-1, -1), {"unitId": "west"}, ("unitId", "unknown_unit")),
    ],
)
def test_periods_and_units_that_break_a_rule_get_422(
    acme: Organization,
    bucket: str,
    context: Any,
    offsets: tuple[int, int],
    extra: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    today = datetime.now(UTC).astimezone(ROME).date()
    body = {
        "from": (today + timedelta(days=offsets[0])).isoformat(),
        "to": (today + timedelta(days=offsets[1])).isoformat(),
    }
    response = _ask(context, "fay", body | extra)
    assert response["statusCode"] == 422, response
    assert _errors(response) == [expected]
    assert _jobs_stored() == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"from": "2026-03-01"}, ("to", "missing")),
        ({"from": "2026-3-1", "to": "2026-03-02"}, ("from", "date_format")),
        ({"from": "2026-03-01", "to": "2026-02-31"}, ("to", "date_format")),
        ({"from": "2025-01-01", "to": "2026-03-01"}, ("to", "period_too_long")),
    ],
)
def test_a_bad_listing_query_gets_422_naming_the_field(
    acme: Organization, bucket: str, context: Any, query: dict[str, str], expected: tuple[str, str]
) -> None:
    response = _http(context, "GET", "/reports/files", "fay", query=query)
    assert response["statusCode"] == 422
    assert _errors(response) == [expected]


def test_an_unknown_job_is_404(acme: Organization, bucket: str, context: Any) -> None:
    response = _job(context, "fay", "0" * 32)
    assert response["statusCode"] == 404
    assert _errors(response) == [("jobId", "unknown_job")]


def test_a_job_counts_a_change_made_earlier_in_the_second_it_was_asked_for(
    acme: Organization, bucket: str, long_context: LongContext
) -> None:
    stream = TableStream(TABLE, "reports")
    today = datetime.now(ROME).date().isoformat()
    asked = _ask(long_context, "fay", {"from": today, "to": today})
    assert asked["statusCode"] == 202, asked
    requested_at = datetime.fromisoformat(body_of(asked)["requestedAt"])
    # A clock-out at the start of the second the job was asked in (the job is run after it is written).
    second = requested_at.replace(microsecond=0)
    _change("acme", "ana", ClockIn(Platform.WEB), second - timedelta(seconds=1))
    _change("acme", "ana", ClockOut("END_OF_SHIFT"), second)
    event = stream.next_event()
    job_records = [r for r in event["Records"] if r["dynamodb"]["NewImage"]["entity"]["S"] == "ReportJob"]
    assert reports.handler({"Records": job_records}, long_context) == {"batchItemFailures": []}

    done = body_of(_job(long_context, "fay", body_of(asked)["jobId"]))
    files = {f["name"]: f for f in done["files"]}
    rows = {row["agent_id"]: row for row in _csv(requests.get(files["attendance.csv"]["url"], timeout=5).content)}
    assert rows["ana"]["clock_out_reasons"] == "END_OF_SHIFT"
    assert rows["ana"]["clocked_seconds"] == "1"


def test_download_links_live_as_long_as_the_deployment_says(
    acme: Organization, bucket: str, long_context: LongContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contactcenter.environment import environment

    _march_history("acme")
    _scheduled(long_context, "2026-03-29T22:30:00Z")
    monkeypatch.setenv("REPORT_LINK_SECONDS", "3600")
    environment.cache_clear()
    listed = body_of(
        _http(long_context, "GET", "/reports/files", "fay", query={"from": "2026-03-29", "to": "2026-03-29"})
    )
    assert listed["expiresInSeconds"] == 3600
    assert all("X-Amz-Expires=3600" in f["url"] for f in listed["days"][0]["files"])


@pytest.mark.parametrize("value", ["59", "43201", "an hour"])
def test_a_link_lifetime_out_of_range_stops_the_function_at_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from contactcenter.environment import MissingSetting, environment

    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("REPORT_LINK_SECONDS", value)
    environment.cache_clear()
    with pytest.raises(MissingSetting, match="REPORT_LINK_SECONDS"):
        environment()
    environment.cache_clear()
