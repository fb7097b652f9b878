"""Status rules and adherence on the local stack, with real HTTP and WebSocket clients: a schedule import
with bad rows reports them and applies the rest; a rule warns at its first tier and acts at its last,
each firing pushed once and recorded once; a supervisor sees an agent go out of adherence within two
seconds of an activity's boundary. Real time throughout (rules of a few seconds); nothing moves the
shared clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.clients import Api
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
