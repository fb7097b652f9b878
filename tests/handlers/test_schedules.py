"""Schedules and adherence through the real handler on moto: JSON and CSV imports report every bad row
and apply the rest; an agent-day replaced and deleted with its version, audited; an exception approved
by the agent's supervisor only; live adherence recomputed at once when today's schedule changes, stored
only when it changes, read by the unit's supervisors and by the agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from contactcenter.store import schedules as schedule_store
from functions.clock import app as clock
from functions.schedules import app as schedules
from functions.status import app as status
from tests.handlers.conftest import TABLE, body_of
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization

ROME = ZoneInfo("Europe/Rome")


def call(
    who: str,
    role: str,
    method: str,
    path: str,
    route: str | None = None,
    body: Any = None,
    *,
    context: Any,
    module: Any = schedules,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = http_event(method, path, route=route, body=body, claims=claims_for(who, "acme", role), headers=headers)
    response: dict[str, Any] = module.handler(event, context)
    return response


def _today() -> str:
    return datetime.now(ROME).date().isoformat()


def _at(offset: timedelta) -> str:
    moment = (datetime.now(UTC) + offset).replace(microsecond=0)
    return moment.astimezone(ROME).isoformat()


def _soon(days: int = 10) -> str:
    return (datetime.now(ROME).date() + timedelta(days=days)).isoformat()


def _audit() -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(i["action"]["S"] for i in items if i["pk"]["S"].endswith("#AUDIT"))


def test_a_csv_import_reports_bad_rows_and_applies_the_rest(acme: Organization, context: Any) -> None:
    day = _soon()
    text = (
        "agent_id,date,kind,start,end\n"
        f"ana,{day},work,09:00,13:00\n"
        f"ana,{day},lunch,13:00,14:00\n"
        f"nobody,{day},work,09:00,17:00\n"
        f"ben,{day},work,25:00,26:00\n"
        f"ben,{day},work,09:00,17:00\n"
    )
    response = call(
        "ada",
        "ADMIN",
        "POST",
        "/schedules/imports/csv",
        body=text,
        context=context,
        headers={"content-type": "text/csv"},
    )
    assert response["statusCode"] == 200, response
    result = body_of(response)
    assert (result["agentDays"], result["rowsApplied"], result["rowsRefused"]) == (2, 3, 2)
    assert [(p["row"], p["rule"]) for p in result["problems"]] == [(3, "unknown_agent"), (4, "time_format")]
    read = call(
        "ada", "ADMIN", "GET", f"/agents/ana/schedules/{day}", "/agents/{agentId}/schedules/{day}", context=context
    )
    assert [(a["kind"], a["start"][11:16]) for a in body_of(read)["activities"]] == [
        ("work", "09:00"),
        ("lunch", "13:00"),
    ]
    assert _audit() == ["schedule.import.csv"]


def test_json_import_and_a_body_that_is_not_csv_or_json(acme: Organization, context: Any) -> None:
    body = {
        "schedules": [
            {
                "agentId": "ana",
                "date": _soon(),
                "activities": [{"kind": "work", "start": "09:00", "end": "17:00"}],
            },
            {
                "agentId": "ana",
                "date": _soon(11),
                "activities": [{"kind": "dance", "start": "09:00", "end": "17:00"}],
            },
        ]
    }
    result = body_of(call("ada", "ADMIN", "POST", "/schedules/imports", body=body, context=context))
    assert (result["rowsApplied"], [(p["row"], p["rule"]) for p in result["problems"]]) == (
        1,
        [(2, "unknown_activity")],
    )
    refused = call(
        "ada", "ADMIN", "POST", "/schedules/imports", body="a,b", context=context, headers={"content-type": "text/csv"}
    )
    assert refused["statusCode"] == 415


def test_only_planners_import_and_change_schedules(acme: Organization, context: Any) -> None:
    for who, role in (("sam", "SUPERVISOR"), ("ana", "AGENT")):
        refused = call(who, role, "POST", "/schedules/imports", body={"schedules": []}, context=context)
        assert refused["statusCode"] == 403


def test_an_agent_day_is_replaced_and_deleted_with_its_version(acme: Organization, context: Any) -> None:
    path, route = f"/agents/ana/schedules/{_soon()}", "/agents/{agentId}/schedules/{day}"
    work = {"activities": [{"kind": "work", "start": "09:00", "end": "17:00"}]}

    def put(version: int, body: Any = work) -> dict[str, Any]:
        return call("ada", "ADMIN", "PUT", path, route, body, context=context, headers={"If-Match": str(version)})

    created = put(0)
    assert created["statusCode"] == 200, created
    assert body_of(created)["version"] == 1
    assert put(0)["statusCode"] == 409  # it exists now
    overlap = put(1, {"activities": [*work["activities"], {"kind": "break", "start": "11:00", "end": "11:15"}]})
    assert overlap["statusCode"] == 422 and body_of(overlap)["error"]["rule"] == "overlap"
    assert body_of(put(1, {"activities": [{"kind": "work", "start": "08:00", "end": "16:00"}]}))["version"] == 2
    stale = call("ada", "ADMIN", "DELETE", path, route, context=context, headers={"If-Match": "1"})
    assert stale["statusCode"] == 409 and body_of(stale)["error"]["rule"] == "stale_version"
    assert call("ada", "ADMIN", "DELETE", path, route, context=context, headers={"If-Match": "2"})["statusCode"] == 200
    assert call("ada", "ADMIN", "GET", path, route, context=context)["statusCode"] == 404
    assert _audit() == ["schedule.delete", "schedule.replace", "schedule.replace"]


def test_todays_schedule_change_recomputes_adherence_at_once(acme: Organization, context: Any) -> None:
    assert (
        call("ana", "AGENT", "POST", "/me/clock-in", body={"platform": "web"}, context=context, module=clock)[
            "statusCode"
        ]
        == 200
    )
    path, route = f"/agents/ana/schedules/{_today()}", "/agents/{agentId}/schedules/{day}"
    # A meeting began 10 minutes ago and ana is AVAILABLE: out of adherence, more available than planned.
    meeting = {
        "activities": [{"kind": "meeting", "start": _at(-timedelta(minutes=10)), "end": _at(timedelta(hours=1))}]
    }
    if datetime.fromisoformat(meeting["activities"][0]["start"]).date() != datetime.now(ROME).date():
        pytest.skip("too close to local midnight for a one-day schedule")
    put = call("ada", "ADMIN", "PUT", path, route, meeting, context=context, headers={"If-Match": "0"})
    assert put["statusCode"] == 200, put
    # The agent clocked in a moment ago, so the mismatch is younger than the tolerance: in, for now.
    stored = schedule_store.get_adherence("acme", ["ana"])["ana"]
    assert stored.view["judgement"] == "tolerated" and stored.next_check is not None
    mine = body_of(call("ana", "AGENT", "GET", "/me/adherence", context=context))
    assert mine["adherence"]["activity"] == "meeting" and mine["schedule"]["version"] == 1
    work = {"activities": [{"kind": "work", "start": _at(-timedelta(minutes=10)), "end": _at(timedelta(hours=1))}]}
    call("ada", "ADMIN", "PUT", path, route, work, context=context, headers={"If-Match": "1"})
    assert schedule_store.get_adherence("acme", ["ana"])["ana"].view["judgement"] == "adherent"
    board = body_of(
        call("sam", "SUPERVISOR", "GET", "/units/north/adherence", "/units/{unitId}/adherence", context=context)
    )
    assert {row["agentId"]: (row["adherence"] or {}).get("state") for row in board["agents"]}["ana"] == "in"
    refused = call("sue", "SUPERVISOR", "GET", "/units/north/adherence", "/units/{unitId}/adherence", context=context)
    assert refused["statusCode"] == 403


def test_an_exception_is_approved_by_the_agents_supervisor_with_a_note(acme: Organization, context: Any) -> None:
    call("ana", "AGENT", "POST", "/me/clock-in", body={"platform": "web"}, context=context, module=clock)
    call(
        "ana",
        "AGENT",
        "PUT",
        "/me/status",
        body={"status": "UNAVAILABLE", "reason": "MEETING"},
        context=context,
        module=status,
    )
    path, route = f"/agents/ana/schedules/{_today()}", "/agents/{agentId}/schedules/{day}"
    start, end = _at(-timedelta(minutes=30)), _at(timedelta(minutes=30))
    if datetime.fromisoformat(start).date() != datetime.fromisoformat(end).date():
        pytest.skip("too close to local midnight for a one-day schedule")
    call(
        "ada",
        "ADMIN",
        "PUT",
        path,
        route,
        {"activities": [{"kind": "work", "start": start, "end": end}]},
        context=context,
        headers={"If-Match": "0"},
    )
    exception = {"start": start, "end": end, "note": "coaching with Sam"}
    route = "/agents/{agentId}/adherence-exceptions"
    other = call("sue", "SUPERVISOR", "POST", "/agents/ana/adherence-exceptions", route, exception, context=context)
    assert other["statusCode"] == 403
    approved = call("sam", "SUPERVISOR", "POST", "/agents/ana/adherence-exceptions", route, exception, context=context)
    assert approved["statusCode"] == 201, approved
    assert body_of(approved)["approvedBy"] == "sam"
    assert schedule_store.get_adherence("acme", ["ana"])["ana"].view["judgement"] == "approved"
    assert "adherence_exception.approve" in _audit()
    blank = call(
        "sam",
        "SUPERVISOR",
        "POST",
        "/agents/ana/adherence-exceptions",
        route,
        {**exception, "note": " "},
        context=context,
    )
    assert blank["statusCode"] == 422
