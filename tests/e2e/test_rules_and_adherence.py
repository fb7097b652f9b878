"""Status rules and adherence on the local stack, with real HTTP and WebSocket clients: a schedule import
with bad rows reports them and applies the rest; a rule warns at its first tier and acts at its last,
each firing pushed once and recorded once; a supervisor sees an agent go out of adherence within two
seconds of an activity's boundary. Real time throughout (rules of a few seconds); nothing moves the
shared clock."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.clients import Api, subscribe
from tests.e2e.conftest import LocalStack

ROME = ZoneInfo("Europe/Rome")


def test_a_schedule_import_with_bad_rows_reports_them_and_applies_the_rest(local_stack: LocalStack) -> None:
    admin = Api(local_stack, "ada")
    day = (datetime.now(ROME).date() + timedelta(days=3)).isoformat()
    text = (
        "agent_id,date,kind,start,end\n"
        f"agent-gina,{day},work,09:00,13:00\n"
        f"agent-gina,{day},lunch,13:00,14:00\n"
        f"agent-gina,{day},work,14:00,18:00\n"
        f"agent-nobody,{day},work,09:00,17:00\n"
        f"agent-hana,{day},work,09:00,17:00\n"
        f"agent-hana,{day},break,16:30,17:30\n"
        f"agent-hana,{day},nap,17:30,18:00\n"
        f"agent-hana,31-12-2026,work,09:00,17:00\n"
    )
    response = admin.raw("POST", "/schedules/imports/csv", content=text, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(p["row"], p["rule"]) for p in result["problems"]] == [
        (4, "unknown_agent"),
        (6, "overlap"),
        (7, "unknown_activity"),
        (8, "date_format"),
    ]
    assert (result["agentDays"], result["rowsApplied"], result["rowsRefused"]) == (2, 4, 4)
    gina = admin.call("GET", f"/agents/agent-gina/schedules/{day}")
    assert [a["kind"] for a in gina["activities"]] == ["work", "lunch", "work"]
    hana = admin.call("GET", f"/agents/agent-hana/schedules/{day}")
    assert [(a["kind"], a["start"][11:16], a["end"][11:16]) for a in hana["activities"]] == [("work", "09:00", "17:00")]
    # An agent may not import schedules.
    Api(local_stack, "gina").call("POST", "/schedules/imports", body={"schedules": []}, expect=403)


def _table(stack: LocalStack) -> list[dict[str, Any]]:
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=stack.table_name):
        items.extend(page["Items"])
    return items


def _version(admin: Api) -> dict[str, str]:
    return {"If-Match": str(admin.call("GET", "/admin/settings")["version"])}


async def _collect(socket: ClientConnection, seconds: float, wanted: str) -> list[tuple[float, dict[str, Any]]]:
    """Every message of type `wanted` for `seconds`, with the wall-clock time it arrived."""
    seen: list[tuple[float, dict[str, Any]]] = []
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        try:
            async with asyncio.timeout(left):
                message = json.loads(await socket.recv())
        except TimeoutError:
            break
        if message.get("type") == wanted:
            seen.append((time.time(), message))
    return seen


def test_a_rule_warns_at_its_first_tier_and_acts_at_its_last_each_once(local_stack: LocalStack) -> None:
    admin, bruno = Api(local_stack, "ada"), Api(local_stack, "bruno")
    reason = "RULE_E2E"
    if reason not in {r["code"] for r in admin.call("GET", "/admin/settings")["reasons"]["unavailable"]}:
        admin.call(
            "POST",
            "/admin/reasons/unavailable",
            body={"code": reason, "label": "Rule test"},
            headers=_version(admin),
            expect=201,
        )
    rule = {
        "ruleId": "e2e-long-pause",
        "name": "Long test pause",
        "status": "UNAVAILABLE",
        "reason": reason,
        "tiers": [
            {"afterSeconds": 2, "notice": "warning"},
            {"afterSeconds": 4, "notice": "alert", "notifyAgent": True},
            {"afterSeconds": 6, "force": {"status": "AVAILABLE"}, "publishEvent": True},
        ],
    }
    admin.call("PUT", "/admin/status-rules", body={"statusRules": [rule]}, headers=_version(admin))
    try:
        bruno.ensure_clocked_out()
        bruno.call("POST", "/me/clock-in", body={"platform": "web"})

        async def watch() -> tuple[list[Any], list[Any], dict[str, Any]]:
            async with (
                connect(local_stack.ws_url_for("sofia")) as sofia,
                connect(local_stack.ws_url_for("bruno")) as own,
            ):
                await subscribe(sofia, "sales")
                await asyncio.sleep(0.5)
                paused = await asyncio.to_thread(
                    bruno.call, "PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": reason}
                )
                supervisor, agent = await asyncio.gather(
                    _collect(sofia, 11, "rule.fired"), _collect(own, 11, "rule.fired")
                )
                return supervisor, agent, paused

        supervisor, agent, paused = asyncio.run(watch())
        since = datetime.fromisoformat(paused["agent"]["since"]).timestamp()
        mine = [(at, m) for at, m in supervisor if m["agentId"] == "agent-bruno" and m["ruleId"] == "e2e-long-pause"]
        assert [m["tier"] for _, m in mine] == [1, 2, 3]  # each pushed once, in order
        assert [m["notice"] for _, m in mine] == ["warning", "alert", None]
        for (at, message), after in zip(mine, (2, 4, 6), strict=True):
            assert at >= since + after - 0.01, message  # never before its moment
        assert [m["tier"] for _, m in agent if m["ruleId"] == "e2e-long-pause"] == [2]
        state = bruno.state()
        assert state["status"] == "AVAILABLE"
        assert state["note"] == "status rule e2e-long-pause (Long test pause), tier 3"
        recorded = [
            i
            for i in _table(local_stack)
            if i["pk"]["S"].endswith("#AGENT#agent-bruno") and i["sk"]["S"].startswith("RULE#e2e-long-pause#")
        ]
        assert len(recorded) == 3
        logged = [
            i
            for i in _table(local_stack)
            if i.get("entity", {}).get("S") == "SupervisorAction"
            and i["agentId"]["S"] == "agent-bruno"
            and i["action"]["S"] == "status_rule"
        ]
        assert len(logged) == 3
    finally:
        admin.call("PUT", "/admin/status-rules", body={"statusRules": []}, headers=_version(admin))
        bruno.ensure_clocked_out()


def test_a_supervisor_sees_an_agent_go_out_of_adherence_at_an_activity_boundary(local_stack: LocalStack) -> None:
    admin, elena = Api(local_stack, "ada"), Api(local_stack, "elena")
    defaults = admin.call("GET", "/admin/settings")["adherence"]
    strict = {kind: {**rule, "toleranceMinutes": 0} for kind, rule in defaults["activities"].items()}
    admin.call("PUT", "/admin/adherence", body={"activities": strict}, headers=_version(admin))
    now = datetime.now(ROME).replace(microsecond=0)
    boundary = now + timedelta(seconds=5)
    if (boundary + timedelta(minutes=10)).date() != (now - timedelta(minutes=10)).date():
        admin.call("PUT", "/admin/adherence", body={"activities": defaults["activities"]}, headers=_version(admin))
        return  # too close to local midnight for a one-day schedule
    day = now.date().isoformat()
    path = f"/agents/agent-elena/schedules/{day}"
    try:
        elena.ensure_clocked_out()
        elena.call("POST", "/me/clock-in", body={"platform": "web"})
        schedule = {
            "activities": [
                {"kind": "work", "start": (now - timedelta(minutes=10)).isoformat(), "end": boundary.isoformat()},
                {"kind": "break", "start": boundary.isoformat(), "end": (boundary + timedelta(minutes=10)).isoformat()},
            ]
        }
        existing = admin.raw("GET", path)
        version = existing.json()["version"] if existing.status_code == 200 else 0

        async def watch() -> list[tuple[float, dict[str, Any]]]:
            async with connect(local_stack.ws_url_for("marco")) as marco:
                await subscribe(marco, "support")
                await asyncio.to_thread(admin.call, "PUT", path, body=schedule, headers={"If-Match": str(version)})
                return await _collect(marco, (boundary.timestamp() - time.time()) + 4, "adherence.changed")

        seen = [(at, m["adherence"]) for at, m in asyncio.run(watch()) if m["agentId"] == "agent-elena"]
        states = [view["state"] for _, view in seen]
        assert states[0] == "in" and "out" in states, seen
        went_out, view = next((at, v) for at, v in seen if v["state"] == "out")
        assert view["activity"] == "break" and view["impact"] == "more_available"
        assert 0 <= went_out - boundary.timestamp() <= 2.0, went_out - boundary.timestamp()
        assert elena.call("GET", "/me/adherence")["adherence"]["state"] == "out"
    finally:
        admin.call("PUT", "/admin/adherence", body={"activities": defaults["activities"]}, headers=_version(admin))
        current = admin.raw("GET", path)
        if current.status_code == 200:
            admin.call("DELETE", path, headers={"If-Match": str(current.json()["version"])})
        elena.ensure_clocked_out()
