"""Inputs only AWS would refuse, through the real handlers on moto (refusing what DynamoDB refuses: key
sizes, number precision): each one is a 4xx naming the field and the rule, never a 5xx, and changes
nothing. Issue 14, point 5."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from functions.admin import app as admin
from functions.assignments import app as assignments
from functions.clock import app as clock
from functions.reports import app as reports
from functions.status import app as status
from functions.supervision import app as supervision
from tests.handlers.conftest import TABLE, body_of
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization

HUGE = str(10**40)  # 41 digits: beyond DynamoDB's 38
LONG_ID = "j" * 1500  # beyond a sort key's 1,024 bytes
DEEP = "[" * 100_000 + "]" * 100_000  # beyond Python's recursion limit and DynamoDB's 32 levels


def _module(path: str) -> ModuleType:
    for prefix, module in (
        ("/me/clock", clock),
        ("/me/assignments", assignments),
        ("/assignments", assignments),
        ("/reports", reports),
        ("/admin", admin),
        ("/units", supervision),
        ("/agents/ana/changes", supervision),
    ):
        if path.startswith(prefix):
            return module
    return status


def _call(
    context: Any,
    user: str,
    role: str,
    method: str,
    path: str,
    route: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = http_event(
        method,
        path,
        route=route,
        body=body,
        claims=claims_for(user, "acme", role),
        query=query,
        path_parameters=path_parameters,
    )
    return _module(path).handler(event, context)


def _items() -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=TABLE)["Items"]


CASES = [
    # (user, role, method, path, route, keyword arguments, the field named)
    ("ana", "AGENT", "GET", "/me/history", "/me/history", {"query": {"before": HUGE}}, "before"),
    (
        "sam",
        "SUPERVISOR",
        "GET",
        "/agents/ana/changes",
        "/agents/{agentId}/changes",
        {"query": {"after": HUGE}},
        "after",
    ),
    (
        "fay",
        "FINANCE",
        "GET",
        f"/reports/jobs/{LONG_ID}",
        "/reports/jobs/{jobId}",
        {"path_parameters": {"jobId": LONG_ID}},
        "jobId",
    ),
    (
        "ana",
        "AGENT",
        "GET",
        f"/me/assignments/{LONG_ID}",
        "/me/assignments/{assignmentId}",
        {"path_parameters": {"assignmentId": LONG_ID}},
        "assignmentId",
    ),
    (
        "ana",
        "AGENT",
        "POST",
        "/me/assignments/a1/save",
        "/me/assignments/{assignmentId}/save",
        {"path_parameters": {"assignmentId": "a1"}, "body": {"version": int(HUGE)}},
        "version",
    ),
    ("ana", "AGENT", "PUT", "/me/status", "/me/status", {"body": DEEP}, "body"),
    (
        "ana",
        "AGENT",
        "PUT",
        "/me/status",
        "/me/status",
        {"body": '{"status": "UNAVAILABLE", "reason": "OTHER", "description": "half \\ud800 a pair"}'},
        "description",
    ),
    (
        "fay",
        "FINANCE",
        "POST",
        "/reports/jobs",
        "/reports/jobs",
        {"body": {"from": "9999-12-31", "to": "9999-12-31"}},
        "to",
    ),
    (
        "fay",
        "FINANCE",
        "GET",
        "/reports/files",
        "/reports/files",
        {"query": {"from": "9999-12-31", "to": "9999-12-31"}},
        "to",
    ),
    (
        "sam",
        "SUPERVISOR",
        "POST",
        "/assignments",
        "/assignments",
        {
            "body": {
                "type": "coaching",
                "title": "t",
                "instructions": "i",
                "dueAt": "9999-12-31T23:59:59-23:59",
                "agentIds": ["ana"],
            }
        },
        "dueAt",
    ),
]


@pytest.mark.parametrize(("user", "role", "method", "path", "route", "request_parts", "field"), CASES)
def test_input_beyond_what_aws_accepts_is_a_4xx_naming_the_field_and_changes_nothing(
    acme: Organization,
    context: Any,
    user: str,
    role: str,
    method: str,
    path: str,
    route: str,
    request_parts: dict[str, Any],
    field: str,
) -> None:
    clock_in = _call(context, "ana", "AGENT", "POST", "/me/clock-in", "/me/clock-in", body={"platform": "web"})
    assert clock_in["statusCode"] == 200
    before = _items()

    response = _call(context, user, role, method, path, route, **request_parts)

    assert 400 <= response["statusCode"] < 500, (response["statusCode"], response.get("body"))
    named = json.dumps(body_of(response)).replace("_", "").lower()  # jobId or path.job_id
    assert field.replace("_", "").lower() in named, body_of(response)
    assert _items() == before
