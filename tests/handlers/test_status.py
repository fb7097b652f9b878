"""The status engine through the real status handler, on moto: every route and its error paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.clock import app as clock
from functions.status import app as status
from functions.status import sweep
from tests.handlers.conftest import TABLE, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization, register_holder


class Client:
    """Calls the handlers as API Gateway would, as one user."""

    def __init__(self, context: Any, user: str, *roles: str, org: str = "acme") -> None:
        self.context, self.claims = context, claims_for(user, org, *(roles or ("AGENT",)))

    def call(
        self,
        method: str,
        path: str,
        route: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = http_event(method, path, route=route, body=body, claims=self.claims, headers=headers, query=query)
        module = clock if path.startswith("/me/clock") else status
        return module.handler(event, self.context)

    def clock_in(self, **body: Any) -> dict[str, Any]:
        return self.call("POST", "/me/clock-in", body={"platform": "web", **body})

    def set_status(self, status_: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        return self.call(
            "PUT", "/me/status", body={"status": status_, **({"reason": reason} if reason else {}), **extra}
        )

    def work(self, item: str, kind: str, **extra: Any) -> dict[str, Any]:
        return self.call(
            "POST",
            f"/me/work-items/{item}/events",
            route="/me/work-items/{itemId}/events",
            body={"type": kind, **extra},
        )

    def queue(self, queue_id: str, action: str) -> dict[str, Any]:
        return self.call("POST", f"/me/queues/{queue_id}/{action}", route=f"/me/queues/{{queueId}}/{action}")

    def state(self) -> dict[str, Any]:
        return body_of(self.call("GET", "/me/state"))


def _history_count(org: str, agent: str) -> int:
    return boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{org}#AGENT#{agent}"}, ":h": {"S": "HIST#"}},
        Select="COUNT",
    )["Count"]


@pytest.fixture
def ana(acme: Organization, context: Any) -> Client:
    return Client(context, "ana")


def _error(response: dict[str, Any]) -> dict[str, Any]:
    return body_of(response)["error"]


def test_manual_changes_follow_the_default_policy(ana: Client) -> None:
    ana.clock_in()
    response = ana.set_status("UNAVAILABLE", "MEETING")
    assert response["statusCode"] == 200
    agent = body_of(response)["agent"]
    assert (agent["status"], agent["reason"]) == ("UNAVAILABLE", "MEETING")
    assert agent["allowedStatuses"] == ["AVAILABLE", "AWAY", "OFFLINE_WORK", "UNAVAILABLE"]
    assert body_of(ana.set_status("OFFLINE_WORK"))["agent"]["status"] == "OFFLINE_WORK"
    assert body_of(ana.set_status("AVAILABLE"))["agent"]["status"] == "AVAILABLE"
    assert _history_count("acme", "ana") == 4


@pytest.mark.parametrize(
    ("body", "status_code", "field", "rule"),
    [
        ({"status": "UNAVAILABLE"}, 422, "reason", "reason_required"),
        ({"status": "UNAVAILABLE", "reason": "NAPPING"}, 422, "reason", "unknown_reason"),
        ({"status": "UNAVAILABLE", "reason": "OTHER"}, 422, "description", "description_required"),
        ({"status": "AVAILABLE"}, 409, None, "no_change"),
        ({"status": "OFFLINE_WORK", "reason": "BREAK"}, 422, "reason", "reason_not_allowed"),
        ({"status": "ACTIVE"}, 422, "status", "literal_error"),
        ({"status": "AWAY"}, 422, "reason", "reason_required"),
    ],
)
def test_refused_status_changes_name_the_rule_and_write_nothing(
    ana: Client, body: dict[str, Any], status_code: int, field: str | None, rule: str
) -> None:
    ana.clock_in()
    response = ana.call("PUT", "/me/status", body=body)
    assert response["statusCode"] == status_code
    error = _error(response)
    if error.get("code") == "validation":
        assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in error["errors"]]
    else:
        assert (error.get("field"), error["rule"]) == (field, rule)
    assert _history_count("acme", "ana") == 1
    assert ana.state()["status"] == "AVAILABLE"


def test_strict_policy_is_enforced(aws: None, context: Any) -> None:
    from contactcenter.transitions import STRICT_POLICY
    from tests.support import organizations

    organizations.register(organizations.build("strict", policy=STRICT_POLICY))
    agent = Client(context, "ana", org="strict")
    agent.clock_in()
    agent.set_status("UNAVAILABLE", "BREAK")
    refused = agent.set_status("AVAILABLE")
    assert refused["statusCode"] == 409
    assert _error(refused)["rule"] == "transition_not_allowed"
    assert agent.set_status("OFFLINE_WORK")["statusCode"] == 200


def test_work_moves_agent_to_active_then_wrap_up_then_next_status(ana: Client) -> None:
    ana.clock_in()
    accepted = body_of(ana.work("call-1", "accepted", channel="voice", queueId="support-line", reference="T-9"))
    assert accepted["agent"]["status"] == "ACTIVE"
    assert (
        accepted["agent"]["workItems"][0] | {"itemId": "call-1", "reference": "T-9"}
        == accepted["agent"]["workItems"][0]
    )
    refused = ana.set_status("UNAVAILABLE", "BREAK")
    assert _error(refused)["rule"] == "status_set_automatically"
    assert ana.call("PUT", "/me/next-status", body={"status": "UNAVAILABLE", "reason": "BREAK"})["statusCode"] == 200
    ended = body_of(ana.work("call-1", "ended"))["agent"]
    assert ended["status"] == "WRAP_UP"
    assert ended["nextStatus"]["status"] == "UNAVAILABLE"
    done = body_of(ana.call("POST", "/me/wrap-up/end"))["agent"]
    assert (done["status"], done["reason"], done["nextStatus"]) == ("UNAVAILABLE", "BREAK", None)


def test_elapsed_wrap_up_reads_as_over_and_the_sweep_records_it_at_that_moment(ana: Client, context: Any) -> None:
    ana.clock_in()
    ana.work("call-1", "accepted", channel="voice", queueId="support-line")
    wrap = body_of(ana.work("call-1", "ended"))["agent"]
    ends_at = datetime.fromisoformat(wrap["wrapUpEndsAt"])
    assert ends_at - datetime.fromisoformat(wrap["since"]) == timedelta(seconds=30)

    event = load("eventbridge-scheduler")
    event["time"] = (ends_at + timedelta(seconds=5)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert sweep.handler(event, context) == {"settled": 1}
    assert sweep.handler(event, context) == {"settled": 0}
    entries = body_of(ana.call("GET", "/me/history"))["entries"]
    assert (entries[0]["fromStatus"], entries[0]["toStatus"], entries[0]["actorKind"]) == (
        "WRAP_UP",
        "AVAILABLE",
        "system",
    )
    assert datetime.fromisoformat(entries[0]["at"]) == ends_at


def test_timeboxed_wrap_up_cannot_be_ended_by_the_agent(aws: None, context: Any) -> None:
    from contactcenter.organization import WrapUpMode
    from tests.support import organizations

    organizations.register(organizations.build("boxed", wrap_up_mode=WrapUpMode.TIMEBOXED))
    agent = Client(context, "ana", org="boxed")
    agent.clock_in()
    agent.work("c", "accepted", channel="voice")
    agent.work("c", "ended")
    response = agent.call("POST", "/me/wrap-up/end")
    assert response["statusCode"] == 403
    assert _error(response)["rule"] == "wrap_up_timeboxed"


def test_rejected_offer_puts_agent_on_break(ana: Client) -> None:
    ana.clock_in()
    ana.work("chat-7", "offered", channel="chat", queueId="web-chat")
    agent = body_of(ana.work("chat-7", "rejected"))["agent"]
    assert (agent["status"], agent["reason"], agent["workItems"]) == ("UNAVAILABLE", "BREAK", [])


def test_stop_new_and_resume_only_while_active(ana: Client) -> None:
    ana.clock_in()
    assert _error(ana.call("POST", "/me/stop-new"))["rule"] == "not_active"
    ana.work("chat-1", "accepted", channel="chat")
    assert body_of(ana.call("POST", "/me/stop-new"))["agent"]["stopNew"] is True
    assert body_of(ana.call("POST", "/me/resume"))["agent"]["stopNew"] is False


def test_routable_agents_longest_idle_first_in_one_query(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    ana, ben = Client(context, "ana"), Client(context, "ben")
    register_holder("acme", "router-1", "INTEGRATION")
    router = Client(context, "router-1", "INTEGRATION")
    for agent in (ben, ana):
        agent.clock_in()
        agent.queue("web-chat", "login")
    path = "/queues/web-chat/routable-agents"
    route = "/queues/{queueId}/routable-agents"
    router.call("GET", path, route=route)  # settings and the router's record cached
    requests_counted.reset()
    listed = body_of(router.call("GET", path, route=route))
    assert [a["agentId"] for a in listed["agents"]] == ["ben", "ana"]
    assert requests_counted.calls == ["Query"]
    # ben at capacity 1 of 3 chats stays routable; with stop-new he is not.
    ben.work("c1", "accepted", channel="chat", queueId="web-chat")
    ben.call("POST", "/me/stop-new")
    assert [a["agentId"] for a in body_of(router.call("GET", path, route=route))["agents"]] == ["ana"]


def test_integration_reports_work_for_an_agent_of_its_organization(
    acme: Organization, globex: Organization, context: Any
) -> None:
    Client(context, "ana").clock_in()
    register_holder("acme", "router-1", "INTEGRATION")
    register_holder("globex", "router-2", "INTEGRATION")
    router = Client(context, "router-1", "INTEGRATION")
    route = "/agents/{agentId}/work-items/{itemId}/events"
    response = router.call(
        "POST", "/agents/ana/work-items/case-1/events", route=route, body={"type": "accepted", "channel": "case"}
    )
    assert body_of(response)["agent"]["status"] == "ACTIVE"
    assert body_of(response)["changes"][0]["actorKind"] == "system"
    other = Client(context, "router-2", "INTEGRATION", org="globex")
    theirs = other.call(
        "POST", "/agents/ana/work-items/case-2/events", route=route, body={"type": "accepted", "channel": "case"}
    )
    # globex's own ana, who is not clocked in: acme's ana is out of globex's reach.
    assert (theirs["statusCode"], body_of(theirs)["error"]["rule"]) == (409, "not_clocked_in")


def test_agent_cannot_report_work_for_someone_else(ana: Client) -> None:
    route = "/agents/{agentId}/work-items/{itemId}/events"
    response = ana.call("POST", "/agents/ben/work-items/x/events", route=route, body={"type": "accepted"})
    assert response["statusCode"] == 403
    assert _history_count("acme", "ben") == 0


def test_restricted_unassigned_queue(aws: None, context: Any) -> None:
    from tests.support import organizations

    organizations.register(organizations.build("tight", restrict_unassigned_queues=True))
    agent = Client(context, "ana", org="tight")
    agent.clock_in()
    response = agent.queue("renewals", "login")
    assert response["statusCode"] == 403
    assert _error(response) | {"field": "queueId", "rule": "unassigned_queue"} == _error(response)
    assert agent.queue("support-line", "login")["statusCode"] == 200
    assert agent.queue("nowhere", "login")["statusCode"] == 404


def test_history_pages_newest_first(ana: Client) -> None:
    ana.clock_in()
    for reason in ("BREAK", "MEETING", "BACK_OFFICE"):
        ana.set_status("UNAVAILABLE", reason)
    first = body_of(ana.call("GET", "/me/history", query={"limit": "2"}))
    assert [e["sequence"] for e in first["entries"]] == [4, 3]
    second = body_of(ana.call("GET", "/me/history", query={"limit": "2", "before": str(first["nextBefore"])}))
    assert [e["sequence"] for e in second["entries"]] == [2, 1]
    bad = ana.call("GET", "/me/history", query={"limit": "1000"})
    assert bad["statusCode"] == 422


def test_status_change_is_one_request_when_this_environment_knows_the_agent(
    ana: Client, requests_counted: RequestCounter
) -> None:
    ana.clock_in()
    requests_counted.reset()
    ana.set_status("UNAVAILABLE", "BREAK")
    assert requests_counted.calls == ["TransactWriteItems"]


def test_stale_knowledge_is_corrected_not_written(ana: Client, context: Any, requests_counted: RequestCounter) -> None:
    from contactcenter.store import agents as agent_store

    ana.clock_in()
    known = agent_store.known_state("acme", "ana")
    ana.set_status("UNAVAILABLE", "BREAK")
    assert known is not None
    agent_store._remember(known)  # as if another environment had handled the last change
    requests_counted.reset()
    response = ana.set_status("OFFLINE_WORK")
    # The clock-in was written long before this request began in real terms? No: within the race window,
    # so it is a race and the caller is told to retry, with nothing written.
    assert response["statusCode"] in (200, 409)
    assert _history_count("acme", "ana") == (3 if response["statusCode"] == 200 else 2)


def test_sdk_retry_of_a_write_that_was_applied_is_success_not_conflict(ana: Client) -> None:
    """The first attempt is written but its answer lost; botocore sends the same call again."""
    from contactcenter.store import clients

    ana.clock_in()
    seen: list[int] = []

    def retry_once_after_success(attempts: int, **_: object) -> float | None:
        seen.append(attempts)
        return 0 if attempts == 1 else None

    events = clients.dynamodb().meta.events
    events.register("needs-retry.dynamodb.TransactWriteItems", retry_once_after_success)
    try:
        response = ana.set_status("UNAVAILABLE", "BREAK")
    finally:
        events.unregister("needs-retry.dynamodb.TransactWriteItems", retry_once_after_success)
    assert seen[:2] == [1, 2]
    assert response["statusCode"] == 200
    assert body_of(response)["agent"]["reason"] == "BREAK"
    assert _history_count("acme", "ana") == 2
