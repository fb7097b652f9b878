"""Attendance reports on the local stack: changes made over HTTP, the scheduler's clock moved past local
midnight, the daily files in S3 downloaded by finance through presigned links, and an on-demand job
polled to completion (the job item's stream record runs it, as on AWS).

Named to run last among the end-to-end tests: it moves the shared scheduler clock forward past midnight,
and the clock never moves back.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyarrow.parquet as pq

from contactcenter.attendance import day_of
from tests.e2e.conftest import LocalStack

ROME = ZoneInfo("Europe/Rome")  # the demo organization's time zone
JOB_SECONDS = 60


class Api:
    """An asserting API client for one demo user."""

    def __init__(self, stack: LocalStack, username: str) -> None:
        self.client = httpx.Client(
            base_url=stack.api_url, headers={"authorization": f"Bearer {stack.tokens[username]}"}, timeout=30
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def call(
        self, method: str, path: str, *, expect: int = 200, body: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.client.request(method, path, json=body, params=params)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return dict(response.json())


def _download(url: str) -> bytes:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def _rows(content: bytes) -> dict[str, dict[str, str]]:
    return {row["agent_id"]: row for row in csv.DictReader(io.StringIO(content.decode("utf-8")))}


def test_daily_files_and_an_on_demand_job(local_stack: LocalStack) -> None:
    with Api(local_stack, "hana") as hana, Api(local_stack, "sofia") as sofia, Api(local_stack, "fabio") as fabio:
        _daily_files_and_an_on_demand_job(local_stack, hana, sofia, fabio)


def _daily_files_and_an_on_demand_job(local_stack: LocalStack, hana: Api, sofia: Api, fabio: Api) -> None:
    hana.call("POST", "/me/clock-in", body={"platform": "web"})
    sofia.call("POST", "/agents/agent-hana/pause", body={"reason": "MEETING"})
    hana.call("PUT", "/me/status", body={"status": "AVAILABLE"})
    hana.call("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"})
    today = datetime.now(UTC).astimezone(ROME).date()

    # Half an hour after local midnight the day is compiled.
    after_midnight = datetime.fromtimestamp(day_of(today, ROME).end, UTC) + timedelta(minutes=31)
    local_stack.move_clock(after_midnight.isoformat(), fire=False)
    fired = local_stack.fire("compile-daily-attendance")
    assert fired["ok"], fired

    listed = fabio.call("GET", "/reports/files", params={"from": today.isoformat(), "to": today.isoformat()})
    (day,) = listed["days"]
    links = {f["name"]: f["url"] for f in day["files"]}
    tables = ("adherence", "attendance", "sessions", "supervisor-actions", "unavailable")
    assert sorted(links) == sorted(
        ["README.txt", "manifest.json"]
        + [f"{table}.csv" for table in tables]
        + [f"parquet/{t}/{t}.parquet" for t in (table.replace("-", "_") for table in tables)]
    )
    manifest = json.loads(_download(links["manifest.json"]))
    attendance = _download(links["attendance.csv"])
    assert next(f for f in manifest["files"] if f["name"] == "attendance.csv")["bytes"] == len(attendance)
    row = _rows(attendance)["agent-hana"]
    assert row["sessions"] == "1" and row["clock_out_reasons"] == "END_OF_SHIFT"
    assert int(row["clocked_seconds"]) == sum(
        int(row[f"{s}_seconds"]) for s in ("available", "active", "wrap_up", "offline_work", "unavailable")
    )
    actions = list(csv.DictReader(io.StringIO(_download(links["supervisor-actions.csv"]).decode("utf-8"))))
    assert any(a["supervisor_id"] == "sup-sofia" and a["agent_id"] == "agent-hana" for a in actions)

    # On demand: 202 with a job id, then polled until the stream consumer has run it.
    job = fabio.call("POST", "/reports/jobs", expect=202, body={"from": today.isoformat(), "to": today.isoformat()})
    deadline = time.monotonic() + JOB_SECONDS
    polled = fabio.call("GET", f"/reports/jobs/{job['jobId']}")
    while polled["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        polled = fabio.call("GET", f"/reports/jobs/{job['jobId']}")
    assert polled["state"] == "done", polled
    files = {f["name"]: f for f in polled["files"]}
    assert _rows(_download(files["attendance.csv"]["url"]))["agent-hana"]["clock_out_reasons"] == "END_OF_SHIFT"
    assert json.loads(_download(files["manifest.json"]["url"]))["jobId"] == job["jobId"]


def test_the_month_is_compiled_when_it_ends_and_finance_reads_its_rollup(local_stack: LocalStack) -> None:
    # Runs after the daily test (the clock only moves forward): past the end of this month in Rome.
    with Api(local_stack, "hana") as hana, Api(local_stack, "fabio") as fabio:
        hana.call("POST", "/me/clock-in", body={"platform": "web"})
        hana.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"})
        hana.call("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"})
        today = datetime.now(UTC).astimezone(ROME).date()
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        month_over = datetime.fromtimestamp(day_of(following, ROME).start, UTC) + timedelta(minutes=31)
        local_stack.move_clock(month_over.isoformat(), fire=False)
        fired = local_stack.fire("compile-monthly-attendance")
        assert fired["ok"], fired

        listed = fabio.call("GET", "/reports/files", params={"from": first.isoformat(), "to": today.isoformat()})
        (month,) = listed["months"]
        assert month["month"] == f"{first:%Y-%m}"
        links = {f["name"]: f["url"] for f in month["files"]}
        assert sorted(links) == [
            "README.txt",
            "attendance-month.csv",
            "manifest.json",
            "parquet/attendance_month/attendance_month.parquet",
        ]
        manifest = json.loads(_download(links["manifest.json"]))
        assert manifest["kind"] == "monthly"
        assert (manifest["period"]["from"], manifest["period"]["to"]) == (
            first.isoformat(),
            (following - timedelta(days=1)).isoformat(),
        )
        rollup = _download(links["attendance-month.csv"])
        row = _rows(rollup)["agent-hana"]
        assert (row["month"], row["employee_number"], row["unit_id"], row["unit_name"]) == (
            f"{first:%Y-%m}",
            "E-1008",
            "sales",
            "Sales",
        )
        assert int(row["days"]) >= 1 and int(row["sessions"]) >= 1
        assert int(row["clocked_seconds"]) == sum(
            int(row[f"{s}_seconds"]) for s in ("available", "active", "wrap_up", "offline_work", "unavailable")
        )
        assert row["clocked_hours"] == f"{int(row['clocked_seconds']) / 3600:.2f}"
        assert "unavailable_break_seconds" in row
        # The Parquet beside it holds the same rows, typed.
        parquet = pq.read_table(io.BytesIO(_download(links["parquet/attendance_month/attendance_month.parquet"])))
        by_agent = {r["agent_id"]: r for r in parquet.to_pylist()}
        assert by_agent["agent-hana"]["clocked_seconds"] == int(row["clocked_seconds"])
        assert by_agent["agent-hana"]["first_day"] == first
