"""Supervisors through the real supervision handler on moto: dashboards, forced changes, monitoring,
messages, missed changes; every refusal a 403/404 with a JSON reason and nothing written."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from contactcenter.store import clients
from functions.supervision import app as supervision
from functions.supervision import fanout
from tests.handlers.conftest import TABLE, body_of
from tests.handlers.test_status import Client, _history_count
from tests.handlers.test_supervision_push import _connect, _stream_event
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization
from tests.support.sockets import ManagementApiTap


class Supervisor:
    def __init__(self, context: Any, user: str, role: str = "SUPERVISOR", org: str = "acme") -> None:
        self.context, self.claims = context, claims_for(user, org, role)

    def call(
        self, method: str, path: str, route: str, body: Any = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        event = http_event(method, path, route=route, body=body, claims=self.claims, query=query)
        return supervision.handler(event, self.context)

    def force(self, agent: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", f"/agents/{agent}/status", "/agents/{agentId}/status", body)

    def dashboard(self, unit: str, **query: str) -> dict[str, Any]:
        return self.call("GET", f"/units/{unit}/dashboard", "/units/{unitId}/dashboard", query=query or None)


@pytest.fixture
def sam(acme: Organization, context: Any) -> Supervisor:
    return Supervisor(context, "sam")


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections("https://socket.execute-api.us-east-1.amazonaws.com/live"))


class EventsTap:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        clients.events().meta.events.register("before-call.events.PutEvents", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.entries.extend(json.loads(params["body"])["Entries"])


def test_dashboard_row_has_every_field_and_counts(sam: Supervisor, context: Any) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    ana.queue("support-line", "login")
    ana.set_status("UNAVAILABLE", "BREAK")
    body = body_of(sam.dashboard("north"))
    rows = {row["agentId"]: row for row in body["agents"]}
    assert set(rows) == {"ana", "cy", "una"}  # cy lists under its first unit while AWAY
    row = rows["ana"]
    for field in (
        "status",
        "reason",
        "secondsInStatus",
        "queues",
        "workItems",
        "platform",
        "autoAssignment",
        "stopNew",
        "today",
        "sequence",
    ):
        assert field in row
    assert set(row["today"]) == {
        "secondsPerStatus",
        "averageSecondsPerStatus",
        "pauseSecondsPerReason",
        "connectedSeconds",
        "lastLogin",
        "lastLogout",
    }
    assert (row["status"], row["reason"], row["queues"], row["platform"]) == (
        "UNAVAILABLE",
        "BREAK",
        ["support-line"],
        "web",
    )
    assert body["countsPerStatus"]["UNAVAILABLE"] == 1
    assert body["countsPerStatus"]["AWAY"] == 2


def test_dashboard_page_is_one_query_whatever_the_unit_size(
    sam: Supervisor, acme: Organization, requests_counted: RequestCounter
) -> None:
    from contactcenter.people import Person
    from contactcenter.services.administration import register_person

    sam.dashboard("north")  # caches settings and the supervisor
    requests_counted.reset()
    sam.dashboard("north")
    small = requests_counted.total
    for number in range(60):
        register_person(
            Person(
                organization_id="acme",
                user_id=f"extra-{number}",
                display_name=f"Extra {number}",
                roles=frozenset({"AGENT"}),
                units=("north",),
                groups=("agents",),
            ),
            acme.settings,
        )
    requests_counted.reset()
    page = body_of(sam.dashboard("north", limit="20"))
    assert len(page["agents"]) == 20 and page["nextCursor"]
    assert requests_counted.total == small == 1


def test_forcing_active_to_available_releases_work_items(sam: Supervisor, context: Any) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    ana.work("call-1", "accepted", channel="voice")
    response = sam.force("ana", {"status": "AVAILABLE"})
    assert response["statusCode"] == 200
    body = body_of(response)
    assert (body["agent"]["status"], body["agent"]["workItems"]) == ("AVAILABLE", [])
    assert body["changes"][-1]["actorKind"] == "supervisor"
    assert body["changes"][-1]["detail"] == {"released": "call-1"}


def test_forced_change_is_one_request_when_known(
    sam: Supervisor, context: Any, requests_counted: RequestCounter
) -> None:
    Client(context, "ana").clock_in()
    sam.force("ana", {"status": "UNAVAILABLE", "reason": "BREAK"})  # caches the supervisor's units
    requests_counted.reset()
    assert sam.force("ana", {"status": "OFFLINE_WORK"})["statusCode"] == 200
    assert requests_counted.calls == ["TransactWriteItems"]


def test_forced_away_closes_the_agents_sessions_after_pushing_it(
    sam: Supervisor, context: Any, tap: ManagementApiTap
) -> None:
    _connect(context, "conn-ana", "ana", "AGENT")
    Client(context, "ana").clock_in()
    sam.force("ana", {"status": "AWAY", "reason": "END_OF_SHIFT"})
    fanout.handler(_stream_event(), context)
    assert [m["change"]["toStatus"] for m in tap.received("conn-ana")] == ["AVAILABLE", "AWAY"]
    assert tap.deleted == ["conn-ana"]


def test_supervisor_of_another_unit_gets_403_and_nothing_is_written(acme: Organization, context: Any) -> None:
    Client(context, "ben").clock_in()  # ben works in south; sam supervises north
    sam = Supervisor(context, "sam")
    response = sam.force("ben", {"status": "UNAVAILABLE", "reason": "BREAK"})
    assert response["statusCode"] == 403
    assert (
        body_of(response)["error"] | {"rule": "agent_not_supervised", "field": "agentId"} == body_of(response)["error"]
    )
    assert _history_count("acme", "ben") == 1
    assert sam.dashboard("south")["statusCode"] == 403


def test_agent_cannot_use_supervision_routes(acme: Organization, context: Any) -> None:
    agent = Supervisor(context, "ana", role="AGENT")
    response = agent.force("ben", {"status": "UNAVAILABLE", "reason": "BREAK"})
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["rule"] == "missing_permission"


def test_other_organization_is_invisible(acme: Organization, globex: Organization, context: Any) -> None:
    Client(context, "ana", org="globex").clock_in()
    sam = Supervisor(context, "sam")  # acme's sam
    assert sam.force("ana", {"status": "UNAVAILABLE", "reason": "BREAK"})["statusCode"] == 409  # acme's ana is AWAY
    assert _history_count("globex", "ana") == 1


def test_admin_acts_across_units(acme: Organization, context: Any) -> None:
    Client(context, "ben").clock_in()
    admin = Supervisor(context, "ada", role="ADMIN")
    assert admin.force("ben", {"status": "UNAVAILABLE", "reason": "MEETING"})["statusCode"] == 200


def test_pause_and_queue_login_by_supervisor_creates_no_membership(sam: Supervisor, context: Any) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    paused = sam.call("POST", "/agents/ana/pause", "/agents/{agentId}/pause", {"reason": "MEETING"})
    assert body_of(paused)["agent"]["reason"] == "MEETING"
    logged = sam.call("POST", "/agents/ana/queues/renewals/login", "/agents/{agentId}/queues/{queueId}/login")
    agent = body_of(logged)["agent"]
    assert agent["queues"] == ["renewals"]
    assert "renewals" not in agent["assignedQueues"]


def test_auto_assignment_and_end_wrap_up(sam: Supervisor, context: Any) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    off = sam.call("PUT", "/agents/ana/auto-assignment", "/agents/{agentId}/auto-assignment", {"enabled": False})
    assert body_of(off)["agent"]["autoAssignment"] is False
    ana.work("c", "accepted", channel="voice")
    ana.work("c", "ended")
    ended = sam.call("POST", "/agents/ana/wrap-up/end", "/agents/{agentId}/wrap-up/end")
    assert body_of(ended)["agent"]["status"] == "AVAILABLE"


def test_monitoring_needs_an_active_voice_call_and_is_published(sam: Supervisor, context: Any) -> None:
    published = EventsTap()
    ana = Client(context, "ana")
    ana.clock_in()
    refused = sam.call("POST", "/agents/ana/monitoring", "/agents/{agentId}/monitoring", {"mode": "listen"})
    assert refused["statusCode"] == 409
    assert body_of(refused)["error"]["rule"] == "not_on_a_call"
    ana.work("call-1", "accepted", channel="voice", reference="CALL-77")
    started = body_of(sam.call("POST", "/agents/ana/monitoring", "/agents/{agentId}/monitoring", {"mode": "whisper"}))
    assert started["mode"] == "whisper"
    assert [e["DetailType"] for e in published.entries] == ["MonitoringStarted"]
    assert json.loads(published.entries[0]["Detail"])["reference"] == "CALL-77"
    route = "/agents/{agentId}/monitoring/{sessionId}"
    stopped = sam.call("DELETE", f"/agents/ana/monitoring/{started['sessionId']}", route)
    assert stopped["statusCode"] == 200
    again = sam.call("DELETE", f"/agents/ana/monitoring/{started['sessionId']}", route)
    assert again["statusCode"] == 404


def test_message_is_stored_and_pushed_to_the_agent(sam: Supervisor, context: Any, tap: ManagementApiTap) -> None:
    _connect(context, "conn-ana", "ana", "AGENT")
    sent = sam.call("POST", "/agents/ana/messages", "/agents/{agentId}/messages", {"text": "Please take a break"})
    assert sent["statusCode"] == 200
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = [
        r
        for r in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        if r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "AgentMessage"
    ]
    for record in records:
        record["eventSourceARN"] = arn
    fanout.handler({"Records": records}, context)
    assert [(m["type"], m["text"], m["fromName"]) for m in tap.received("conn-ana")] == [
        ("agent.message", "Please take a break", "Sam")
    ]


def test_missed_changes_after_a_sequence(sam: Supervisor, context: Any) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    ana.set_status("UNAVAILABLE", "BREAK")
    ana.set_status("AVAILABLE")
    body = body_of(sam.call("GET", "/agents/ana/changes", "/agents/{agentId}/changes", query={"after": "1"}))
    assert [c["sequence"] for c in body["changes"]] == [2, 3]
    bad = sam.call("GET", "/agents/ana/changes", "/agents/{agentId}/changes", query={"after": "-1"})
    assert bad["statusCode"] == 422


def test_bad_cursor_is_422(sam: Supervisor) -> None:
    response = sam.dashboard("north", cursor="not-a-cursor")
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "cursor"


def test_messages_and_monitoring_appear_in_the_days_supervisor_actions_file(
    sam: Supervisor, acme: Organization, context: Any
) -> None:
    import boto3 as aws

    from contactcenter.services.reports import compile_day
    from contactcenter.store import supervision as supervision_store

    aws.client("s3").create_bucket(Bucket="reports-test")
    ana = Client(context, "ana")
    ana.clock_in()
    ana.work("call-1", "accepted", channel="voice")
    sam.call("POST", "/agents/ana/messages", "/agents/{agentId}/messages", {"text": "Nice call"})
    sam.call("POST", "/agents/ana/monitoring", "/agents/{agentId}/monitoring", {"mode": "listen"})
    day_rows = aws.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="entity = :e", ExpressionAttributeValues={":e": {"S": "SupervisorAction"}}
    )["Items"]
    day = day_rows[0]["pk"]["S"].rsplit("#", 1)[-1]
    assert len(supervision_store.actions_of_day("acme", day)) == 2
    from datetime import UTC, date, datetime, timedelta

    compile_day("acme", date.fromisoformat(day), now=datetime.now(UTC) + timedelta(days=2))
    prefix = f"attendance/acme/daily/{day[:4]}/{day[5:7]}/{day[8:10]}/"
    text = aws.client("s3").get_object(Bucket="reports-test", Key=prefix + "supervisor-actions.csv")["Body"].read()
    lines = text.decode().splitlines()
    assert any(",message," in line and "Nice call" in line for line in lines)
    assert any(",monitoring_started," in line for line in lines)
