"""S3 failing while a report's files are written: the manifest is written last, so a report whose files
did not all arrive is never published (nothing lists or links it), and the next run compiles the same
bytes and publishes it whole."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from contactcenter.agents import Actor, ActorKind
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import Action, ClockIn, ClockOut, SetStatus
from contactcenter.statuses import Platform, Status
from contactcenter.store import clients
from functions.reports import app as reports
from tests.faults.conftest import TableStream, body_of
from tests.faults.injection import Outage, Timeout, s3_error
from tests.handlers.conftest import LambdaContext
from tests.support.events import claims_for, http_event, load

BUCKET = "reports-test"
ROME = ZoneInfo("Europe/Rome")
DAY = "attendance/acme/daily/2026/03/10/"
MANIFEST = "manifest.json"


class LongContext(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def bucket(acme: Any) -> Iterator[str]:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    yield BUCKET


def _change(agent: str, action: Action, at: datetime, by: str | None = None) -> None:
    """History at a chosen time, through the one change path (the handlers would take `now` from the clock)."""
    actor = Actor(ActorKind.SUPERVISOR, by) if by else Actor(ActorKind.AGENT, agent)
    change_agent("acme", agent, action, actor=actor, now=at)


def _shift(start: datetime) -> None:
    _change("ana", ClockIn(Platform.WEB), start)
    _change("ana", SetStatus(Status.UNAVAILABLE, "BREAK"), start + timedelta(hours=2, milliseconds=250))
    _change("ana", SetStatus(Status.AVAILABLE), start + timedelta(hours=2, minutes=15))
    _change("ana", ClockOut("END_OF_SHIFT"), start + timedelta(hours=8))
    _change("ben", ClockIn(Platform.APP), start + timedelta(hours=1))
    _change("ben", SetStatus(Status.UNAVAILABLE, "MEETING"), start + timedelta(hours=3), by="sue")


def _hourly_run(time: str, detail: dict[str, str] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load("eventbridge-scheduler"))
    event["time"] = time
    if detail:
        event["detail"] = json.dumps(detail)
    result: dict[str, Any] = reports.handler(event, LongContext())
    return result


def _objects(prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {item["Key"][len(prefix) :]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


def _listed_days(first: str, last: str) -> list[str]:
    event = http_event(
        "GET", "/reports/files", claims=claims_for("fay", "acme", "FINANCE"), query={"from": first, "to": last}
    )
    response = reports.handler(event, LongContext())
    assert response["statusCode"] == 200, response
    return [day["date"] for day in body_of(response)["days"]]


def _put_of(name: str, prefix: str) -> Any:
    return lambda request: str(request["url_path"]).endswith(prefix + name)


@pytest.mark.parametrize("failing", ["attendance.csv", "sessions.csv", MANIFEST])
def test_a_daily_report_whose_write_failed_is_not_published_and_the_next_run_writes_the_same_bytes(
    bucket: str, failing: str
) -> None:
    _shift(datetime(2026, 3, 10, 8, tzinfo=ROME))

    with Outage(
        clients.s3(),
        "PutObject",
        s3_error("SlowDown", "Please reduce your request rate."),
        status_code=503,
        matching=_put_of(failing, DAY),
    ) as outage:
        first = _hourly_run("2026-03-10T23:30:00Z")  # 00:30 in Rome: the 10th is over

    assert outage.failed == 1
    assert first["deferred"] == [{"organizationId": "acme", "date": "2026-03-10"}]
    assert first["failed"] == []
    written = _objects(DAY)
    assert MANIFEST not in written
    assert failing not in written
    assert _listed_days("2026-03-10", "2026-03-10") == []

    second = _hourly_run("2026-03-11T00:30:00Z")

    assert second["compiled"] == [{"organizationId": "acme", "date": "2026-03-10"}]
    published = _objects(DAY)
    assert sorted(published) == sorted(
        ["README.txt", MANIFEST]
        + [f"{table}.csv" for table in ("adherence", "attendance", "sessions", "supervisor-actions", "unavailable")]
        + [
            f"parquet/{t}/{t}.parquet"
            for t in ("adherence", "attendance", "sessions", "supervisor_actions", "unavailable")
        ]
    )
    assert {name: published[name] for name in written} == written  # what the failed run wrote is unchanged
    manifest = json.loads(published[MANIFEST])
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        name: hashlib.sha256(content).hexdigest() for name, content in published.items() if name != MANIFEST
    }
    assert _listed_days("2026-03-10", "2026-03-10") == ["2026-03-10"]

    # An operator's run of the same day later on gives the same bytes, manifest included.
    _hourly_run("2026-03-11T09:00:00Z", {"organizationId": "acme", "date": "2026-03-10"})
    assert _objects(DAY) == published


def _s3_fails(prefix: str) -> Any:
    return Outage(clients.s3(), "PutObject", s3_error(), status_code=500, matching=_put_of("sessions.csv", prefix))


def _s3_times_out(prefix: str) -> Any:
    return Timeout(clients.s3(), "PutObject", arrived=False)


@pytest.mark.parametrize("fault", [_s3_fails, _s3_times_out], ids=["s3-error", "s3-timeout"])
def test_an_on_demand_job_whose_write_failed_stays_running_and_its_retried_record_finishes_it(
    bucket: str, fault: Any
) -> None:
    today = datetime.now(UTC).astimezone(ROME).date()
    _shift(datetime(today.year, today.month, today.day, 8, tzinfo=ROME) - timedelta(days=1))
    day = (today - timedelta(days=1)).isoformat()
    stream = TableStream("reports")
    stream.next_event()
    fay = claims_for("fay", "acme", "FINANCE")
    asked = reports.handler(
        http_event("POST", "/reports/jobs", claims=fay, body={"from": day, "to": day}), LongContext()
    )
    job_id = body_of(asked)["jobId"]
    prefix = f"attendance/acme/jobs/{job_id}/"
    record = stream.next_event()
    assert len(record["Records"]) == 1

    with (
        fault(prefix),
        pytest.raises(BatchProcessingError),
    ):
        # A batch whose every record failed is a function error (Powertools): Lambda delivers it again.
        reports.handler(record, LongContext())

    polled = _job(fay, job_id)  # not failed: the job is still being worked on
    assert polled["state"] == "running" and "error" not in polled and "files" not in polled
    assert MANIFEST not in _objects(prefix)
    partial = _objects(prefix)

    assert reports.handler(record, LongContext()) == {"batchItemFailures": []}

    done = _job(fay, job_id)
    assert done["state"] == "done"
    stored = _objects(prefix)
    assert sorted(stored) == sorted(f["name"] for f in done["files"])
    assert {name: stored[name] for name in partial} == partial


def _job(claims: dict[str, Any], job_id: str) -> dict[str, Any]:
    event = http_event(
        "GET",
        f"/reports/jobs/{job_id}",
        route="/reports/jobs/{jobId}",
        claims=claims,
        path_parameters={"jobId": job_id},
    )
    response = reports.handler(event, LongContext())
    assert response["statusCode"] == 200, response
    return dict(body_of(response))
