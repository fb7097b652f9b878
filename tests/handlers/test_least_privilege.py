"""Least data, least privilege (issue 14, point 8), through the real handlers on moto: what an integration
hears back, what only integrations may hold, ids that would run as formulas in report files, time zones
that are not regions, and one organization's failure during the daily compilation."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contactcenter.store import identities
from contactcenter.store.identity_local import local_directory
from functions.admin import app as admin
from functions.clock import app as clock
from functions.reports import app as reports
from functions.status import app as status
from tests.handlers.conftest import TABLE, LambdaContext, body_of
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization, register_holder


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("IDENTITY_PROVIDER", "local")
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    local_directory.cache_clear()
    identities.directory.cache_clear()
    yield
    local_directory.cache_clear()
    identities.directory.cache_clear()


def _call(context: Any, module: Any, user: str, role: str, method: str, path: str, **parts: Any) -> dict[str, Any]:
    event = http_event(method, path, claims=claims_for(user, "acme", role), **parts)
    return module.handler(event, context)


def _admin(context: Any, method: str, path: str, route: str | None = None, body: Any = None) -> dict[str, Any]:
    version = body_of(_call(context, admin, "ada", "ADMIN", "GET", "/admin/settings"))["version"]
    return _call(
        context, admin, "ada", "ADMIN", method, path, route=route, body=body, headers={"If-Match": str(version)}
    )


def _refused(response: dict[str, Any], rule: str | None = None) -> str:
    assert response["statusCode"] == 422, response
    text = json.dumps(body_of(response))
    if rule is not None:
        assert rule in text, text
    return text


def test_an_integrations_work_answer_leaves_out_the_agents_private_note_and_day(
    acme: Organization, context: Any
) -> None:
    assert _call(context, clock, "ana", "AGENT", "POST", "/me/clock-in", body={"platform": "web"})["statusCode"] == 200
    paused = {"status": "UNAVAILABLE", "reason": "OTHER", "description": "doctor at 3, private"}
    assert _call(context, status, "ana", "AGENT", "PUT", "/me/status", body=paused)["statusCode"] == 200
    register_holder("acme", "router-1", "INTEGRATION")

    answer = _call(
        context,
        status,
        "router-1",
        "INTEGRATION",
        "POST",
        "/agents/ana/work-items/case-1/events",
        route="/agents/{agentId}/work-items/{itemId}/events",
        body={"type": "offered", "channel": "case"},
    )

    assert answer["statusCode"] == 200, answer
    body = body_of(answer)
    assert body["agent"]["status"] == "UNAVAILABLE"
    assert [item["itemId"] for item in body["agent"]["workItems"]] == ["case-1"]
    assert "doctor" not in answer["body"]
    assert not {"note", "reason", "today", "units", "groups", "displayName"} & set(body["agent"])
    assert all("note" not in change for change in body["changes"])


def test_integration_only_permissions_are_granted_to_no_person(acme: Organization, context: Any) -> None:
    role = {"permissions": ["work.report", "attendance.self"]}
    _refused(_admin(context, "PUT", "/admin/roles/ROUTER", "/admin/roles/{roleName}", role), "integration_only")
    person = {"email": "mallory@example.com", "displayName": "Mallory", "roles": ["INTEGRATION"]}
    _refused(_admin(context, "POST", "/admin/people", body=person), "integration_only")
    patch = {"roles": ["AGENT", "INTEGRATION"]}
    _refused(_admin(context, "PATCH", "/admin/people/ana", "/admin/people/{userId}", patch), "integration_only")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/admin/units", {"unitId": "-2+3", "name": "Formula"}),
        ("/admin/groups", {"groupId": "-cmd", "name": "Formula"}),
        ("/admin/queues", {"queueId": "-1", "name": "Formula"}),
    ],
)
def test_an_id_an_administrator_chooses_cannot_start_a_formula(
    acme: Organization, context: Any, path: str, body: dict[str, Any]
) -> None:
    _refused(_admin(context, "POST", path, body=body))


@pytest.mark.parametrize("zone", ["localtime", "right/Europe/Rome", "posixrules", "Factory", "posix/Europe/Rome"])
def test_a_time_zone_is_a_region(acme: Organization, context: Any, zone: str) -> None:
    _refused(_admin(context, "PATCH", "/admin/organization", body={"timeZone": zone}), "time")
    assert _admin(context, "PATCH", "/admin/organization", body={"timeZone": "Europe/Rome"})["statusCode"] == 200


class LongContext(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def test_one_organizations_failure_does_not_stop_the_others_compilation(acme: Organization) -> None:
    boto3.client("s3").create_bucket(Bucket="reports-test")
    # Listed before acme, with a time zone the database does not know (stored before the rules, or lost
    # in a tz database update): its compilation fails, acme's goes on.
    broken = {"pk": {"S": "ORGANIZATIONS"}, "sk": {"S": "ORG#aaa-broken"}}
    broken |= {"entity": {"S": "OrganizationEntry"}, "organizationId": {"S": "aaa-broken"}}
    broken |= {"timeZone": {"S": "Mars/Olympus"}}
    boto3.client("dynamodb").put_item(TableName=TABLE, Item=broken)
    event = copy.deepcopy(load("eventbridge-scheduler"))
    event["time"] = "2026-03-30T10:00:00Z"

    summary = reports.handler(event, LongContext())

    assert {entry["organizationId"] for entry in summary["compiled"]} == {"acme"}, summary
    assert {entry["organizationId"] for entry in summary["failed"]} == {"aaa-broken"}
