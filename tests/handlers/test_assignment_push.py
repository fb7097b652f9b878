"""Assignments pushed through the same stream fan-out as status changes: a new copy and each save reach
the agent's own connections with the new counts, and the supervising unit hears new copies and state
changes. Records are delivered as the wiring's filter criteria let them through (INSERT and MODIFY)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from contactcenter.store import clients
from functions.assignments import app as assignments
from functions.supervision import fanout, socket
from tests.handlers.conftest import TABLE, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization
from tests.support.sockets import ManagementApiTap
from tests.support.streams import TableStream


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections("https://socket.execute-api.us-east-1.amazonaws.com/live"))


def _socket(context: Any, route: str, connection_id: str, user: str, roles: str, *, body: Any = None) -> None:
    event = copy.deepcopy(load("websocket-connect" if route == "$connect" else "websocket-message"))
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {
        "principalId": user,
        "organizationId": "acme",
        "userId": user,
        "roles": roles,
    }
    if body is not None:
        event["body"] = json.dumps(body)
    assert socket.handler(event, context)["statusCode"] == 200


def _http(context: Any, method: str, path: str, user: str, role: str, *, body: Any = None) -> dict[str, Any]:
    route = path
    parameters = None
    if path.startswith("/me/assignments/"):
        assignment_id = path.split("/")[3]
        route = path.replace(assignment_id, "{assignmentId}")
        parameters = {"assignmentId": assignment_id}
    event = http_event(
        method, path, route=route, body=body, claims=claims_for(user, "acme", role), path_parameters=parameters
    )
    response = assignments.handler(event, context)
    assert response["statusCode"] in {200, 201}, response
    return dict(body_of(response))


def _summary(messages: list[dict[str, Any]]) -> list[tuple[str, str | None, str, int]]:
    return [
        (m["type"], m["previousState"], m["assignment"]["state"], m["counts"]["byState"]["COMPLETED"]) for m in messages
    ]


def test_assignment_from_creation_to_completion_is_pushed_to_the_agent_and_the_unit(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    _socket(context, "$connect", "conn-ana", "ana", "AGENT")
    for supervisor, unit in (("sam", "north"), ("sue", "south")):
        _socket(context, "$connect", f"conn-{supervisor}", supervisor, "SUPERVISOR")
        _socket(
            context,
            "subscribe",
            f"conn-{supervisor}",
            supervisor,
            "SUPERVISOR",
            body={"action": "subscribe", "units": [unit]},
        )
    stream = TableStream(TABLE, "fanout")
    stream.next_event()  # sessions and subscriptions are not pushed
    tap.posts.clear()

    created = _http(
        context,
        "POST",
        "/assignments",
        "sam",
        "SUPERVISOR",
        body={
            "type": "coaching",
            "title": "Review",
            "instructions": "Listen.",
            "agentIds": ["ana"],
            "confirmationStatement": "Done.",
            "commentsAllowed": True,
        },
    )
    assignment_id = created["assignment"]["assignmentId"]
    assert fanout.handler(stream.next_event(), context) == {"batchItemFailures": []}
    pushed = tap.received("conn-ana")
    assert _summary(pushed) == [("assignment.changed", None, "NEW", 0)]
    assert pushed[0]["assignment"]["assignmentId"] == assignment_id
    assert pushed[0]["counts"]["byState"] == {"NEW": 1, "STARTED": 0, "COMPLETED": 0}
    assert _summary(tap.received("conn-sam")) == [("assignment.progress", None, "NEW", 0)]

    tap.posts.clear()
    save = f"/me/assignments/{assignment_id}/save"
    _http(context, "POST", save, "ana", "AGENT", body={"version": 1, "comments": "day one"})
    _http(context, "POST", save, "ana", "AGENT", body={"version": 2, "comments": "day two"})  # still STARTED
    _http(context, "POST", save, "ana", "AGENT", body={"version": 3, "confirmed": True})
    assert fanout.handler(stream.next_event(), context) == {"batchItemFailures": []}

    # The agent hears every save (their other devices learn the new version); the unit hears state changes.
    assert [
        (m["previousState"], m["assignment"]["state"], m["assignment"]["version"]) for m in tap.received("conn-ana")
    ] == [
        ("NEW", "STARTED", 2),
        ("STARTED", "STARTED", 3),
        ("STARTED", "COMPLETED", 4),
    ]
    assert [(m["previousState"], m["assignment"]["state"]) for m in tap.received("conn-sam")] == [
        ("NEW", "STARTED"),
        ("STARTED", "COMPLETED"),
    ]
    assert tap.received("conn-sue") == []


def test_nobody_connected_costs_the_fanout_only_the_subscriber_lookups(
    acme: Organization, context: Any, tap: ManagementApiTap, requests_counted: RequestCounter
) -> None:
    stream = TableStream(TABLE, "fanout")
    stream.next_event()
    body = {"type": "elearning", "title": "Course", "instructions": "Take it.", "unitIds": ["north"]}
    _http(context, "POST", "/assignments", "sam", "SUPERVISOR", body=body)
    event = stream.next_event()
    assert len(event["Records"]) == 3  # one copy per agent of the unit; the assignment itself is not pushed
    requests_counted.reset()

    assert fanout.handler(event, context) == {"batchItemFailures": []}

    # Each channel once per batch: the three agents' own, north and south (cy works in both); no counts read.
    assert requests_counted.calls == ["Query"] * 5
    assert tap.posts == []
