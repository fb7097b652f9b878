"""Who may administer: every admin route of the wiring table x every built-in role x the caller's own or
another organization. Derived from infra/wiring.py: a new admin route without a row in REQUESTS fails
(and so does a route in the handler that is not wired).

Expected: only a role with the `administration` permission gets through (403 `missing_permission` and
nothing written otherwise); an administrator of another organization acts on their own organization
only (the same answer, and nothing of the first organization changes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from contactcenter.access import BUILT_IN_ROLES, Permission, Role
from contactcenter.administration import (
    AddGroup,
    AddQueue,
    AddReason,
    AddUnit,
    PersonDraft,
    PutRole,
    ReasonKind,
)
from contactcenter.organization import Queue, Reason, Unit, UserGroup
from contactcenter.services.administration import change_settings, create_person
from contactcenter.store import identities
from contactcenter.store.identity_local import local_directory
from functions.admin import app as admin
from infra.wiring import WIRING, HttpRoute
from tests.handlers.conftest import TABLE, body_of
from tests.support import organizations as test_organizations
from tests.support.events import claims_for, http_event

# The admin function also serves the platform operator's /platform routes (tests/e2e/test_organizations.py
# and the security matrix cover those).
ADMIN_ROUTES = [route for route in WIRING.http_routes if route.function == "admin" and route.path.startswith("/admin")]
HANDLED_ROUTES = [route for route in WIRING.http_routes if route.function == "admin"]
SETUP_VERSION = 5  # the settings version after _prepare


@dataclass(frozen=True)
class Request:
    path: str  # "{person}": a person created through the admin services (their subject is per organization)
    status_code: int  # what an administrator gets
    body: Callable[[str], Any] | None = None  # organization id -> body
    version: int | None = None  # If-Match


def _settings(path: str, status_code: int = 200, body: Any = None) -> Request:
    return Request(path, status_code, (lambda org: body) if body is not None else None, SETUP_VERSION)


REQUESTS: dict[str, Request] = {
    "GET /admin/settings": Request("/admin/settings", 200),
    "PATCH /admin/organization": _settings("/admin/organization", body={"name": "Renamed"}),
    "POST /admin/units": _settings("/admin/units", 201, {"unitId": "west", "name": "West"}),
    "PATCH /admin/units/{unitId}": _settings("/admin/units/north", body={"name": "North side"}),
    "DELETE /admin/units/{unitId}": _settings("/admin/units/east"),
    "POST /admin/groups": _settings("/admin/groups", 201, {"groupId": "day", "name": "Day"}),
    "PATCH /admin/groups/{groupId}": _settings("/admin/groups/night", body={"name": "Night shift"}),
    "DELETE /admin/groups/{groupId}": _settings("/admin/groups/night"),
    "PATCH /admin/attendance": _settings("/admin/attendance", body={"clockOutWhileActive": True}),
    "POST /admin/reasons/{kind}": _settings("/admin/reasons/unavailable", 201, {"code": "LUNCH", "label": "Lunch"}),
    "PATCH /admin/reasons/{kind}/{code}": _settings("/admin/reasons/unavailable/BREAK", body={"label": "Pause"}),
    "DELETE /admin/reasons/{kind}/{code}": _settings("/admin/reasons/clock-out/DRAFT"),
    "POST /admin/queues": _settings("/admin/queues", 201, {"queueId": "new-line", "name": "New line"}),
    "PATCH /admin/queues/{queueId}": _settings("/admin/queues/spare", body={"name": "Spare line"}),
    "DELETE /admin/queues/{queueId}": _settings("/admin/queues/spare"),
    "PATCH /admin/routing": _settings("/admin/routing", body={"wrapUpSeconds": 10}),
    "GET /admin/roles": Request("/admin/roles", 200),
    "PUT /admin/roles/{roleName}": _settings("/admin/roles/QA", body={"permissions": ["engage"]}),
    "DELETE /admin/roles/{roleName}": _settings("/admin/roles/SPARE"),
    "PUT /admin/policy": _settings("/admin/policy", body={"policy": "strict"}),
    "GET /admin/status-rules": Request("/admin/status-rules", 200),
    "PUT /admin/status-rules": _settings("/admin/status-rules", body={"statusRules": []}),
    "PUT /admin/adherence": _settings("/admin/adherence", body={"severeMinutes": 20}),
    "GET /admin/people": Request("/admin/people", 200),
    "POST /admin/people": Request(
        "/admin/people",
        201,
        lambda org: {"email": f"new@{org}.example.com", "displayName": "New", "roles": ["FINANCE"]},
    ),
    "GET /admin/people/{userId}": Request("/admin/people/{person}", 200),
    "PATCH /admin/people/{userId}": Request("/admin/people/{person}", 200, lambda org: {"displayName": "Pat B."}, 1),
    "DELETE /admin/people/{userId}": Request("/admin/people/{person}", 200, version=1),
    "POST /admin/integrations": Request("/admin/integrations", 201, lambda org: {"name": "Router"}),
    "GET /admin/audit": Request("/admin/audit", 200),
}

ROLES = sorted(BUILT_IN_ROLES)
ALLOWED = {role for role in ROLES if Permission.ADMINISTRATION in BUILT_IN_ROLES[role]}


def test_every_wired_admin_route_has_a_row_and_every_row_a_route() -> None:
    assert set(REQUESTS) == {route.route_key for route in ADMIN_ROUTES}


def test_every_admin_route_needs_the_administration_permission() -> None:
    assert {route.permission for route in ADMIN_ROUTES} == {Permission.ADMINISTRATION.value}


def test_every_route_of_the_admin_handler_is_wired() -> None:
    paths = admin.app.get_openapi_schema(title="admin", version="1").paths or {}
    handled = {
        f"{method.upper()} {_template(path)}"
        for path, operations in paths.items()
        for method in operations.model_dump(exclude_none=True)
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert handled == {f"{route.method} {_template(route.path)}" for route in HANDLED_ROUTES}


def test_only_administrators_administer() -> None:
    assert {Role.ADMIN} == ALLOWED


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture
def people(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Both organizations, prepared; organization id -> the subject of the person the routes act on."""
    monkeypatch.setenv("IDENTITY_PROVIDER", "local")
    local_directory.cache_clear()
    identities.directory.cache_clear()
    subjects = {}
    for org in ("acme", "globex"):
        test_organizations.register(test_organizations.build(org))
        for role in ROLES:  # a caller of each role: authorization reads the caller's record
            test_organizations.register_holder(org, _caller_id(role), role)
        subjects[org] = _prepare(org)
    yield subjects
    local_directory.cache_clear()
    identities.directory.cache_clear()


def _prepare(org: str) -> str:
    """Things the routes delete or change, unused, so an administrator's request succeeds."""
    at = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    commands = (
        AddUnit(Unit(unit_id="east", name="East")),
        AddGroup(UserGroup(group_id="night", name="Night")),
        AddReason(ReasonKind.CLOCK_OUT, Reason(code="DRAFT", label="Draft", active=False)),
        AddQueue(Queue(queue_id="spare", name="Spare")),
        PutRole("SPARE", frozenset({Permission.ENGAGE})),
    )
    for version, command in enumerate(commands):
        change_settings(org, command, expected_version=version, actor_id="setup", now=at)
    assert len(commands) == SETUP_VERSION
    draft = PersonDraft(display_name="Pat", email=f"pat@{org}.example.com", roles=frozenset({"FINANCE"}))
    return str(create_person(org, draft, actor_id="setup", now=at)["userId"])


def _items(org: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    mine = [i for i in items if i["pk"]["S"].startswith(f"ORG#{org}") or i["sk"]["S"] == f"ORG#{org}"]
    return sorted(mine, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _caller_id(role: str) -> str:
    return f"as-{role.lower().replace('_', '-')}"


def _call(route: HttpRoute, request: Request, org: str, role: str, people: dict[str, str], context: Any) -> Any:
    headers = {"If-Match": str(request.version)} if request.version is not None else None
    event = http_event(
        route.method,
        request.path.format(person=people[org]),
        route=route.path,
        body=request.body(org) if request.body else None,
        claims=claims_for(_caller_id(role), org, role),
        headers=headers,
    )
    return admin.handler(event, context)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda route: route.route_key)
def test_route_x_role_x_organization(route: HttpRoute, people: dict[str, str], context: Any) -> None:
    request = REQUESTS[route.route_key]
    before = {org: _items(org) for org in ("acme", "globex")}
    # Everyone without the permission, from either organization: refused. (Writes last: one look after.)
    for org in ("acme", "globex"):
        for role in sorted(set(ROLES) - ALLOWED):
            response = _call(route, request, org, role, people, context)
            assert response["statusCode"] == 403, (org, role, response)
            assert body_of(response)["error"]["rule"] == "missing_permission", (org, role)
    assert {org: _items(org) for org in ("acme", "globex")} == before
    # An administrator of the other organization: served, on their own organization only.
    for role in sorted(ALLOWED):
        response = _call(route, request, "globex", role, people, context)
        assert response["statusCode"] == request.status_code, ("globex", role, response)
    assert _items("acme") == before["acme"]
    # An administrator of this one.
    for role in sorted(ALLOWED):
        response = _call(route, request, "acme", role, people, context)
        assert response["statusCode"] == request.status_code, ("acme", role, response)
