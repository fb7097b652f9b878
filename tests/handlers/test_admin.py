"""Organization administration through the real admin handler on moto: each configuration object's
create, read, update, retire and refusals; versions and the audit trail; the policy loaded and enforced;
custom roles in the caller's permissions; people as identities of the (local) identity directory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contactcenter.store import clients, identities
from contactcenter.store.identity_local import LocalIdentity, LocalIdentityDirectory, local_directory
from contactcenter.store.organizations import list_organizations
from functions.admin import app as admin
from functions.assignments import app as assignments
from functions.clock import app as clock
from functions.status import app as status
from tests.handlers.conftest import TABLE, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization, register_holder


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIdentityDirectory]:
    """A fresh local identity directory per test (it lives for the process, as on the local stack)."""
    monkeypatch.setenv("IDENTITY_PROVIDER", "local")
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    local_directory.cache_clear()
    identities.directory.cache_clear()
    yield local_directory()
    local_directory.cache_clear()
    identities.directory.cache_clear()


class Caller:
    """Calls handlers as API Gateway would, as one user of one organization."""

    def __init__(self, context: Any, user: str = "ada", *roles: str, org: str = "acme") -> None:
        self.context, self.org = context, org
        self.claims = claims_for(user, org, *(roles or ("ADMIN",)))

    def call(
        self,
        method: str,
        path: str,
        route: str | None = None,
        body: Any = None,
        *,
        version: int | str | None = None,
        query: dict[str, str] | None = None,
        module: Any = admin,
    ) -> dict[str, Any]:
        headers = {"If-Match": f'"{version}"'} if version is not None else None
        event = http_event(method, path, route=route, body=body, claims=self.claims, headers=headers, query=query)
        response: dict[str, Any] = module.handler(event, self.context)
        return response

    def settings(self) -> dict[str, Any]:
        response = self.call("GET", "/admin/settings")
        assert response["statusCode"] == 200, response
        return dict(body_of(response))

    def write(self, method: str, path: str, route: str | None = None, body: Any = None) -> dict[str, Any]:
        """A settings write at the version just read."""
        return self.call(method, path, route, body, version=self.settings()["version"])

    def person(self, user_id: str) -> dict[str, Any]:
        return dict(body_of(self.call("GET", f"/admin/people/{user_id}", "/admin/people/{userId}")))


def known_identities(directory: LocalIdentityDirectory, organization: Organization) -> None:
    """The test organization's people were registered directly: the directory learns they exist."""
    for person in organization.people.values():
        directory.register(
            LocalIdentity(
                user_id=person.user_id,
                username=f"{person.user_id}@{organization.id}.example.com",
                organization_id=organization.id,
                roles=tuple(sorted(person.roles)),
                display_name=person.display_name,
                email=f"{person.user_id}@{organization.id}.example.com",
            )
        )


@pytest.fixture
def ada(acme: Organization, context: Any, directory: LocalIdentityDirectory) -> Caller:
    known_identities(directory, acme)
    return Caller(context)


def _error(response: dict[str, Any]) -> dict[str, Any]:
    return dict(body_of(response)["error"])


def _items() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _audit(org: str = "acme") -> list[dict[str, Any]]:
    return [i for i in _items() if i["pk"]["S"] == f"ORG#{org}#AUDIT"]


def _refused(response: dict[str, Any], status_code: int, rule: str, field: str | None = None) -> None:
    assert response["statusCode"] == status_code, response
    error = _error(response)
    assert error["rule"] == rule, error
    if field is not None:
        assert error["field"] == field, error


@pytest.fixture
def unchanged() -> Iterator[None]:
    """The test's refusals write nothing: the table is the same after as before."""
    before = _items()
    yield
    assert _items() == before


# --- the settings and their version --------------------------------------------------------------


def test_the_settings_are_read_whole_with_their_version(ada: Caller) -> None:
    settings = ada.settings()
    assert settings["version"] == 0
    assert settings["timeZone"] == "Europe/Rome"
    assert [u["unitId"] for u in settings["units"]] == ["north", "south"]
    assert settings["attendance"]["trackedGroups"] == ["agents"]
    assert [q["queueId"] for q in settings["queues"]] == ["support-line", "web-chat", "renewals"]
    assert settings["policy"]["name"] == "default"


def test_the_organization_is_renamed_and_its_time_zone_changed(ada: Caller) -> None:
    response = ada.write("PATCH", "/admin/organization", body={"name": "Acme Ltd", "timeZone": "America/New_York"})
    assert response["statusCode"] == 200, response
    assert (body_of(response)["name"], body_of(response)["timeZone"], body_of(response)["version"]) == (
        "Acme Ltd",
        "America/New_York",
        1,
    )
    # Scheduled reports find the organization's days in its new zone.
    assert ("acme", "America/New_York") in list_organizations()


def test_an_unknown_time_zone_is_refused(ada: Caller, unchanged: None) -> None:
    response = ada.call("PATCH", "/admin/organization", body={"timeZone": "Mars/Olympus"}, version=0)
    _refused(response, 422, "unknown_time_zone", "timeZone")


def test_a_stale_version_gets_409_and_nothing_is_written(ada: Caller) -> None:
    ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    before = _items()
    response = ada.call("POST", "/admin/units", body={"unitId": "west", "name": "West"}, version=0)
    _refused(response, 409, "stale_version", "If-Match")
    assert _items() == before


@pytest.mark.parametrize("header", [None, "latest", '"-1"'])
def test_a_write_without_a_usable_version_is_refused(ada: Caller, unchanged: None, header: str | None) -> None:
    headers = {"If-Match": header} if header is not None else None
    event = http_event(
        "POST", "/admin/units", body={"unitId": "east", "name": "East"}, claims=ada.claims, headers=headers
    )
    response = admin.handler(event, ada.context)
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["errors"][0]["field"] == "header.if-match"


def test_a_weak_etag_is_accepted(ada: Caller) -> None:
    event = http_event(
        "POST",
        "/admin/units",
        body={"unitId": "east", "name": "East"},
        claims=ada.claims,
        headers={"If-Match": 'W/"0"'},
    )
    assert admin.handler(event, ada.context)["statusCode"] == 201


class _Status:
    """The HTTP response botocore sees when a before-call hook answers instead of AWS."""

    def __init__(self, status_code: int) -> None:
        self.status_code, self.headers = status_code, {}


def test_a_throttled_write_is_retryable_and_writes_nothing(ada: Caller) -> None:
    before = _items()

    def throttle(**_: Any) -> Any:
        return _Status(400), {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}

    clients.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", throttle)
    response = ada.call("POST", "/admin/units", body={"unitId": "east", "name": "East"}, version=0)
    clients.dynamodb().meta.events.unregister("before-call.dynamodb.TransactWriteItems", throttle)
    _refused(response, 503, "throttled")
    assert _items() == before


def test_the_settings_are_read_with_one_request_and_cached(
    acme: Organization, requests_counted: RequestCounter
) -> None:
    from contactcenter.store.organizations import forget_cached_settings, get_settings

    forget_cached_settings()
    requests_counted.reset()
    get_settings("acme")
    get_settings("acme")
    assert requests_counted.calls == ["GetItem"]


# --- units ---------------------------------------------------------------------------------------


def test_units_are_created_renamed_and_deleted(ada: Caller) -> None:
    created = ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    assert created["statusCode"] == 201
    assert {"unitId": "east", "name": "East"} in body_of(created)["units"]
    renamed = ada.write("PATCH", "/admin/units/east", "/admin/units/{unitId}", {"name": "East coast"})
    assert {"unitId": "east", "name": "East coast"} in body_of(renamed)["units"]
    deleted = ada.write("DELETE", "/admin/units/east", "/admin/units/{unitId}")
    assert deleted["statusCode"] == 200
    assert [u["unitId"] for u in ada.settings()["units"]] == ["north", "south"]


def test_unit_refusals(ada: Caller, unchanged: None) -> None:
    _refused(ada.call("POST", "/admin/units", body={"unitId": "north", "name": "N"}, version=0), 409, "unit_exists")
    _refused(
        ada.call("PATCH", "/admin/units/east", "/admin/units/{unitId}", {"name": "E"}, version=0),
        404,
        "unknown_unit",
        "unitId",
    )
    _refused(ada.call("DELETE", "/admin/units/north", "/admin/units/{unitId}", version=0), 409, "unit_in_use", "unitId")
    bad = ada.call("POST", "/admin/units", body={"unitId": "no spaces", "name": ""}, version=0)
    assert bad["statusCode"] == 422
    assert {e["field"] for e in body_of(bad)["error"]["errors"]} == {"unitId", "name"}


def test_a_unit_can_be_deleted_once_its_people_moved(ada: Caller) -> None:
    ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    ben = ada.person("ben")
    moved = ada.call(
        "PATCH", "/admin/people/ben", "/admin/people/{userId}", {"units": ["east"]}, version=ben["version"]
    )
    assert moved["statusCode"] == 200, moved
    _refused(ada.write("DELETE", "/admin/units/east", "/admin/units/{unitId}"), 409, "unit_in_use")
    ben = ada.person("ben")
    ada.call("PATCH", "/admin/people/ben", "/admin/people/{userId}", {"units": ["south"]}, version=ben["version"])
    assert ada.write("DELETE", "/admin/units/east", "/admin/units/{unitId}")["statusCode"] == 200


# --- user groups and attendance tracking ---------------------------------------------------------


def test_tracking_a_new_group_lets_its_agents_clock_in(ada: Caller, context: Any) -> None:
    una = Caller(context, "una", "AGENT")
    _refused(una.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock), 403, "agent_not_tracked")
    created = ada.write("POST", "/admin/groups", body={"groupId": "back-office", "name": "Back office"})
    assert created["statusCode"] == 201
    tracked = ada.write("PATCH", "/admin/attendance", body={"trackedGroups": ["agents", "back-office"]})
    assert body_of(tracked)["attendance"]["trackedGroups"] == ["agents", "back-office"]
    assert una.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)["statusCode"] == 200


def test_groups_are_renamed_and_deleted_and_refused_while_used(ada: Caller) -> None:
    ada.write("POST", "/admin/groups", body={"groupId": "night", "name": "Night"})
    renamed = ada.write("PATCH", "/admin/groups/night", "/admin/groups/{groupId}", {"name": "Night shift"})
    assert {"groupId": "night", "name": "Night shift"} in body_of(renamed)["userGroups"]
    _refused(ada.write("DELETE", "/admin/groups/agents", "/admin/groups/{groupId}"), 409, "group_tracked", "groupId")
    _refused(ada.write("DELETE", "/admin/groups/ghosts", "/admin/groups/{groupId}"), 404, "unknown_group")
    _refused(ada.write("POST", "/admin/groups", body={"groupId": "night", "name": "Again"}), 409, "group_exists")
    assert ada.write("DELETE", "/admin/groups/night", "/admin/groups/{groupId}")["statusCode"] == 200


def test_attendance_settings_are_enforced(ada: Caller, context: Any) -> None:
    response = ada.write("PATCH", "/admin/attendance", body={"clockInPlatforms": ["app"]})
    assert body_of(response)["attendance"]["clockInPlatforms"] == ["app"]
    ana = Caller(context, "ana", "AGENT")
    _refused(ana.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock), 403, "platform_not_allowed")
    ada.write("PATCH", "/admin/attendance", body={"trackingEnabled": False})
    _refused(ana.call("POST", "/me/clock-in", body={"platform": "app"}, module=clock), 403, "tracking_disabled")


def test_attendance_refusals(ada: Caller, unchanged: None) -> None:
    _refused(
        ada.call("PATCH", "/admin/attendance", body={"trackedGroups": ["ghosts"]}, version=0), 422, "unknown_group"
    )
    empty = ada.call("PATCH", "/admin/attendance", body={"clockInPlatforms": []}, version=0)
    _refused(empty, 422, "platform_required", "clockInPlatforms")
    wrong = ada.call("PATCH", "/admin/attendance", body={"clockInPlatforms": ["fax"]}, version=0)
    assert wrong["statusCode"] == 422


# --- reasons -------------------------------------------------------------------------------------


def test_a_reason_is_created_used_retired_and_kept_by_history(ada: Caller, context: Any) -> None:
    created = ada.write(
        "POST", "/admin/reasons/unavailable", "/admin/reasons/{kind}", {"code": "TRAINING", "label": "Training"}
    )
    assert created["statusCode"] == 201
    ana = Caller(context, "ana", "AGENT")
    ana.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    used = ana.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "TRAINING"}, module=status)
    assert used["statusCode"] == 200, used
    ana.call("PUT", "/me/status", body={"status": "AVAILABLE"}, module=status)

    route = "/admin/reasons/{kind}/{code}"
    retired = ada.write(
        "PATCH", "/admin/reasons/unavailable/TRAINING", route, {"active": False, "label": "Training (old)"}
    )
    training = next(r for r in body_of(retired)["reasons"]["unavailable"] if r["code"] == "TRAINING")
    assert training == {
        "code": "TRAINING",
        "label": "Training (old)",
        "active": False,
        "needsDescription": False,
        "inUse": True,
    }
    refused = ana.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "TRAINING"}, module=status)
    _refused(refused, 422, "unknown_reason", "reason")
    _refused(ada.write("DELETE", "/admin/reasons/unavailable/TRAINING", route), 409, "reason_in_use", "code")
    history = body_of(ana.call("GET", "/me/history", module=status))
    assert "TRAINING" in [entry.get("reason") for entry in history["entries"]]


def test_a_clock_out_reason_never_active_is_deleted(ada: Caller) -> None:
    body = {"code": "HOLIDAY", "label": "Holiday", "active": False, "needsDescription": True}
    ada.write("POST", "/admin/reasons/clock-out", "/admin/reasons/{kind}", body)
    route = "/admin/reasons/{kind}/{code}"
    assert ada.write("PATCH", "/admin/reasons/clock-out/HOLIDAY", route, {"label": "Holidays"})["statusCode"] == 200
    deleted = ada.write("DELETE", "/admin/reasons/clock-out/HOLIDAY", route)
    assert deleted["statusCode"] == 200
    assert "HOLIDAY" not in [r["code"] for r in body_of(deleted)["reasons"]["clock-out"]]


def test_reason_refusals(ada: Caller, unchanged: None) -> None:
    route = "/admin/reasons/{kind}/{code}"
    _refused(
        ada.call(
            "POST", "/admin/reasons/unavailable", "/admin/reasons/{kind}", {"code": "BREAK", "label": "B"}, version=0
        ),
        409,
        "reason_exists",
    )
    retire_break = ada.call("PATCH", "/admin/reasons/unavailable/BREAK", route, {"active": False}, version=0)
    _refused(retire_break, 422, "break_reason_required", "breakOnReject")
    _refused(ada.call("DELETE", "/admin/reasons/clock-out/SICK", route, version=0), 409, "reason_in_use")
    _refused(ada.call("DELETE", "/admin/reasons/clock-out/NOPE", route, version=0), 404, "unknown_reason")
    assert (
        ada.call("POST", "/admin/reasons/lunch", "/admin/reasons/{kind}", {"code": "X", "label": "X"}, version=0)[
            "statusCode"
        ]
        == 422
    )
    lower = ada.call(
        "POST", "/admin/reasons/unavailable", "/admin/reasons/{kind}", {"code": "lunch", "label": "L"}, version=0
    )
    assert lower["statusCode"] == 422


# --- queues, membership and routing --------------------------------------------------------------


def test_a_queue_is_created_changed_and_deleted(ada: Caller) -> None:
    created = ada.write(
        "POST", "/admin/queues", body={"queueId": "vip-chat", "name": "VIP chat", "kind": "chat", "wrapUpSeconds": 10}
    )
    assert created["statusCode"] == 201
    queue = next(q for q in body_of(created)["queues"] if q["queueId"] == "vip-chat")
    assert (queue["kind"], queue["channel"], queue["wrapUpSeconds"]) == ("chat", "chat", 10)
    changed = ada.write(
        "PATCH", "/admin/queues/vip-chat", "/admin/queues/{queueId}", {"wrapUpSeconds": None, "wrapUpMode": "timeboxed"}
    )
    queue = next(q for q in body_of(changed)["queues"] if q["queueId"] == "vip-chat")
    assert (queue["wrapUpSeconds"], queue["wrapUpMode"], queue["name"]) == (None, "timeboxed", "VIP chat")
    assert ada.write("DELETE", "/admin/queues/vip-chat", "/admin/queues/{queueId}")["statusCode"] == 200


def test_membership_and_the_restriction_of_unassigned_queues(ada: Caller, context: Any) -> None:
    ana = Caller(context, "ana", "AGENT")
    ana.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    ada.write("PATCH", "/admin/routing", body={"restrictUnassignedQueues": True})
    login = ana.call("POST", "/me/queues/renewals/login", "/me/queues/{queueId}/login", module=status)
    _refused(login, 403, "unassigned_queue", "queueId")
    # A standing membership, given while she is clocked in: her live item learns it.
    member = ada.call(
        "PATCH",
        "/admin/people/ana",
        "/admin/people/{userId}",
        {"queues": ["support-line", "web-chat", "renewals"]},
        version=ada.person("ana")["version"],
    )
    assert body_of(member)["queues"] == ["support-line", "web-chat", "renewals"]
    assert body_of(ana.call("GET", "/me/state", module=status))["assignedQueues"] == [
        "support-line",
        "web-chat",
        "renewals",
    ]
    login = ana.call("POST", "/me/queues/renewals/login", "/me/queues/{queueId}/login", module=status)
    assert login["statusCode"] == 200, login


def test_a_queue_with_members_or_logged_in_agents_is_not_deleted(ada: Caller, context: Any) -> None:
    _refused(ada.write("DELETE", "/admin/queues/web-chat", "/admin/queues/{queueId}"), 409, "queue_in_use", "queueId")
    cy = Caller(context, "cy", "AGENT")
    cy.call("POST", "/me/clock-in", body={"platform": "web", "unitId": "north"}, module=clock)
    cy.call("POST", "/me/queues/renewals/login", "/me/queues/{queueId}/login", module=status)
    _refused(ada.write("DELETE", "/admin/queues/renewals", "/admin/queues/{queueId}"), 409, "queue_in_use", "queueId")
    cy.call("POST", "/me/queues/renewals/logout", "/me/queues/{queueId}/logout", module=status)
    assert ada.write("DELETE", "/admin/queues/renewals", "/admin/queues/{queueId}")["statusCode"] == 200


def test_queue_refusals(ada: Caller, unchanged: None) -> None:
    duplicate = ada.call("POST", "/admin/queues", body={"queueId": "web-chat", "name": "Again"}, version=0)
    _refused(duplicate, 409, "queue_exists")
    _refused(
        ada.call("PATCH", "/admin/queues/nope", "/admin/queues/{queueId}", {"name": "x"}, version=0),
        404,
        "unknown_queue",
    )
    kind = ada.call("POST", "/admin/queues", body={"queueId": "fax", "name": "Fax", "kind": "fax"}, version=0)
    assert kind["statusCode"] == 422


def test_routing_settings_change(ada: Caller) -> None:
    body = {
        "wrapUpSeconds": 0,
        "wrapUpMode": "timeboxed",
        "breakOnReject": False,
        "consoleIdleTimeoutSeconds": 1200,
        "concurrency": {"chat": 4},
    }
    routing = body_of(ada.write("PATCH", "/admin/routing", body=body))["routing"]
    assert routing == {
        "wrapUpSeconds": 0,
        "wrapUpMode": "timeboxed",
        "breakOnReject": False,
        "consoleIdleTimeoutSeconds": 1200,
        "restrictUnassignedQueues": False,
        "concurrency": {"voice": 1, "chat": 4, "case": 5},
        "workItemLimits": {"voice": 5, "chat": 10, "case": 25},
    }


@pytest.mark.parametrize(
    "body",
    [
        {"wrapUpSeconds": -1},
        {"consoleIdleTimeoutSeconds": 10},
        {"concurrency": {"fax": 2}},
        {"concurrency": {"chat": 0}},
        {"x": 1},
    ],
)
def test_routing_refusals(ada: Caller, unchanged: None, body: dict[str, Any]) -> None:
    assert ada.call("PATCH", "/admin/routing", body=body, version=0)["statusCode"] == 422


# --- roles ---------------------------------------------------------------------------------------


def test_a_custom_role_grants_its_permissions_to_whoever_holds_it(ada: Caller, context: Any) -> None:
    put = ada.write(
        "PUT", "/admin/roles/COACHEE", "/admin/roles/{roleName}", {"permissions": ["engage", "engage.coaching"]}
    )
    assert body_of(put)["customRoles"] == [{"name": "COACHEE", "permissions": ["engage", "engage.coaching"]}]
    roles = body_of(ada.call("GET", "/admin/roles"))
    assert roles["custom"] == [{"name": "COACHEE", "permissions": ["engage", "engage.coaching"]}]
    register_holder("acme", "cora", "COACHEE")
    coachee = Caller(context, "cora", "COACHEE")
    mine = coachee.call("GET", "/me/assignments", module=assignments)
    assert mine["statusCode"] == 200, mine
    _refused(coachee.call("GET", "/admin/settings"), 403, "missing_permission")
    _refused(coachee.call("GET", "/me/state", module=status), 403, "missing_permission")


def test_the_callers_record_and_settings_cost_one_cached_read_each(
    ada: Caller, context: Any, requests_counted: RequestCounter
) -> None:
    from contactcenter.store.organizations import forget_cached_settings

    ada.write("PUT", "/admin/roles/COACHEE", "/admin/roles/{roleName}", {"permissions": ["engage"]})
    register_holder("acme", "cora", "COACHEE")
    forget_cached_settings()
    requests_counted.reset()
    _refused(Caller(context, "fay", "FINANCE").call("GET", "/me/state", module=status), 403, "missing_permission")
    assert requests_counted.calls == ["GetItem", "GetItem"]  # the settings, fay's record
    coachee = Caller(context, "cora", "COACHEE")
    _refused(coachee.call("GET", "/me/state", module=status), 403, "missing_permission")
    assert requests_counted.calls == ["GetItem", "GetItem", "GetItem"]  # cora's record; the settings cached
    _refused(coachee.call("GET", "/me/state", module=status), 403, "missing_permission")
    assert requests_counted.calls == ["GetItem", "GetItem", "GetItem"]


def test_roles_are_replaced_and_deleted_and_refused_while_given(ada: Caller) -> None:
    route = "/admin/roles/{roleName}"
    ada.write("PUT", "/admin/roles/QA", route, {"permissions": ["engage", "engage.evaluations"]})
    replaced = ada.write("PUT", "/admin/roles/QA", route, {"permissions": ["engage", "engage.elearning"]})
    assert body_of(replaced)["customRoles"] == [{"name": "QA", "permissions": ["engage", "engage.elearning"]}]
    cy = ada.person("cy")
    given = ada.call(
        "PATCH", "/admin/people/cy", "/admin/people/{userId}", {"roles": ["AGENT", "QA"]}, version=cy["version"]
    )
    assert body_of(given)["roles"] == ["AGENT", "QA"]
    _refused(ada.write("DELETE", "/admin/roles/QA", route), 409, "role_in_use", "role")
    cy = ada.person("cy")
    ada.call("PATCH", "/admin/people/cy", "/admin/people/{userId}", {"roles": ["AGENT"]}, version=cy["version"])
    assert body_of(ada.write("DELETE", "/admin/roles/QA", route))["customRoles"] == []


@pytest.mark.parametrize(
    ("role", "permissions", "status_code", "rule"),
    [
        ("SUPERVISOR", ["engage"], 422, "built_in_role"),
        ("COACHEE", ["engage.coaching"], 422, "engage_required"),
        ("COACHEE", [], 422, "permission_required"),
    ],
)
def test_role_refusals(
    ada: Caller, unchanged: None, role: str, permissions: list[str], status_code: int, rule: str
) -> None:
    response = ada.call(
        "PUT", f"/admin/roles/{role}", "/admin/roles/{roleName}", {"permissions": permissions}, version=0
    )
    _refused(response, status_code, rule)


def test_an_unknown_permission_or_role_name_is_refused(ada: Caller, unchanged: None) -> None:
    route = "/admin/roles/{roleName}"
    assert ada.call("PUT", "/admin/roles/QA", route, {"permissions": ["fly"]}, version=0)["statusCode"] == 422
    assert ada.call("PUT", "/admin/roles/qa", route, {"permissions": ["engage"]}, version=0)["statusCode"] == 422
    _refused(ada.call("DELETE", "/admin/roles/GHOST", route, version=0), 404, "unknown_role")


# --- the transition policy -----------------------------------------------------------------------


def test_the_strict_policy_is_loaded_and_enforced(ada: Caller, context: Any) -> None:
    replaced = ada.write("PUT", "/admin/policy", body={"policy": "strict"})
    assert replaced["statusCode"] == 200
    assert body_of(replaced)["policy"]["name"] == "strict"
    assert body_of(replaced)["policy"]["manual"]["UNAVAILABLE"] == ["AWAY", "OFFLINE_WORK"]
    ana = Caller(context, "ana", "AGENT")
    ana.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    paused = ana.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"}, module=status)
    assert paused["statusCode"] == 200
    back = ana.call("PUT", "/me/status", body={"status": "AVAILABLE"}, module=status)
    _refused(back, 409, "transition_not_allowed")
    assert body_of(ana.call("GET", "/me/state", module=status))["status"] == "UNAVAILABLE"
    standby = ana.call("PUT", "/me/status", body={"status": "OFFLINE_WORK"}, module=status)
    assert standby["statusCode"] == 200
    assert ana.call("PUT", "/me/status", body={"status": "AVAILABLE"}, module=status)["statusCode"] == 200


def test_a_custom_policy_replaces_the_default_and_the_default_comes_back(ada: Caller) -> None:
    manual = {
        "AWAY": ["AVAILABLE"],
        "AVAILABLE": ["UNAVAILABLE", "AWAY"],
        "UNAVAILABLE": ["AVAILABLE", "AWAY"],
        "OFFLINE_WORK": ["AWAY"],
    }
    custom = body_of(ada.write("PUT", "/admin/policy", body={"policy": {"name": "no-standby", "manual": manual}}))
    assert custom["policy"]["name"] == "no-standby"
    assert custom["policy"]["builtIn"] is False
    assert custom["policy"]["manual"]["AVAILABLE"] == ["AWAY", "UNAVAILABLE"]
    default = body_of(ada.write("PUT", "/admin/policy", body={"policy": "default"}))
    assert default["policy"] == {**default["policy"], "name": "default", "builtIn": True}


VALID_POLICY = {
    "AWAY": ["AVAILABLE"],
    "AVAILABLE": ["UNAVAILABLE", "OFFLINE_WORK", "AWAY"],
    "UNAVAILABLE": ["AVAILABLE", "AWAY"],
    "OFFLINE_WORK": ["AVAILABLE", "AWAY"],
}


@pytest.mark.parametrize(
    ("manual", "rule"),
    [
        pytest.param(
            VALID_POLICY | {"UNAVAILABLE": ["OFFLINE_WORK"], "OFFLINE_WORK": ["UNAVAILABLE"]}, "no_way_back_to_away"
        ),
        pytest.param(VALID_POLICY | {"UNAVAILABLE": ["LUNCH", "AWAY"]}, "unknown_status"),
        pytest.param(VALID_POLICY | {"AVAILABLE": ["ACTIVE", "AWAY"]}, "manual_into_automatic"),
        pytest.param(VALID_POLICY | {"OFFLINE_WORK": ["WRAP_UP", "AWAY"]}, "manual_into_automatic"),
        pytest.param(VALID_POLICY | {"AWAY": []}, "clock_in_required"),
    ],
)
def test_a_refused_policy_gets_422_naming_the_rule(
    ada: Caller, unchanged: None, manual: dict[str, list[str]], rule: str
) -> None:
    response = ada.call("PUT", "/admin/policy", body={"policy": {"name": "ours", "manual": manual}}, version=0)
    _refused(response, 422, rule, "policy")


def test_an_unknown_built_in_policy_is_refused(ada: Caller, unchanged: None) -> None:
    _refused(ada.call("PUT", "/admin/policy", body={"policy": "lenient"}, version=0), 422, "unknown_policy", "policy")


# --- people --------------------------------------------------------------------------------------

ZOE = {
    "email": "Zoe@Example.com",
    "displayName": "Zoe",
    "roles": ["AGENT"],
    "units": ["north"],
    "groups": ["agents"],
    "queues": ["support-line"],
}


def test_a_person_is_created_as_an_identity_and_can_work(
    ada: Caller, context: Any, directory: LocalIdentityDirectory
) -> None:
    created = ada.call("POST", "/admin/people", body=ZOE)
    assert created["statusCode"] == 201, created
    zoe = body_of(created)
    assert zoe | {"userId": "-"} == {
        "userId": "-",
        "displayName": "Zoe",
        "email": "zoe@example.com",
        "kind": "user",
        "roles": ["AGENT"],
        "units": ["north"],
        "supervisedUnits": [],
        "groups": ["agents"],
        "queues": ["support-line"],
        "employeeNumber": None,
        "retired": False,
        "version": 1,
    }
    identity = directory.identity(zoe["userId"])
    assert identity is not None
    assert (identity.organization_id, identity.roles, identity.email) == ("acme", ("AGENT",), "zoe@example.com")
    assert ada.person(zoe["userId"]) == zoe
    assert zoe["userId"] in [p["userId"] for p in body_of(ada.call("GET", "/admin/people"))["people"]]
    agent = Caller(context, zoe["userId"], "AGENT")
    assert agent.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)["statusCode"] == 200


def test_a_supervisor_is_created_with_the_units_they_supervise(ada: Caller, context: Any) -> None:
    body = {"email": "sid@example.com", "displayName": "Sid", "roles": ["UNIT_MANAGER"], "supervisedUnits": ["south"]}
    sid = body_of(ada.call("POST", "/admin/people", body=body))
    dashboard = Caller(context, sid["userId"], "UNIT_MANAGER").call(
        "GET", "/units/south/dashboard", "/units/{unitId}/dashboard", module=_supervision()
    )
    assert dashboard["statusCode"] == 200, dashboard
    north = Caller(context, sid["userId"], "UNIT_MANAGER").call(
        "GET", "/units/north/dashboard", "/units/{unitId}/dashboard", module=_supervision()
    )
    assert north["statusCode"] == 403


def _supervision() -> Any:
    from functions.supervision import app as supervision

    return supervision


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"units": ["east"]}, "units", "unknown_unit"),
        ({"roles": ["WIZARD"]}, "roles", "unknown_role"),
        ({"groups": ["ghosts"]}, "groups", "unknown_group"),
        ({"queues": ["nope"]}, "queues", "unknown_queue"),
        ({"units": []}, "units", "unit_required"),
        ({"supervisedUnits": ["north"]}, "supervisedUnits", "not_a_supervisor"),
    ],
)
def test_a_person_breaking_a_rule_is_refused_and_no_identity_is_made(
    ada: Caller, unchanged: None, directory: LocalIdentityDirectory, change: dict[str, Any], field: str, rule: str
) -> None:
    known = directory.identities
    _refused(ada.call("POST", "/admin/people", body=ZOE | change), 422, rule, field)
    assert directory.identities == known


def test_a_malformed_person_is_refused(ada: Caller, unchanged: None) -> None:
    response = ada.call("POST", "/admin/people", body=ZOE | {"email": "not-an-email", "displayName": ""})
    assert response["statusCode"] == 422
    assert {e["field"] for e in body_of(response)["error"]["errors"]} == {"email", "displayName"}


def test_a_retried_creation_adopts_the_identity_and_the_person_exists_once(
    ada: Caller, directory: LocalIdentityDirectory
) -> None:
    first = body_of(ada.call("POST", "/admin/people", body=ZOE))
    again = ada.call("POST", "/admin/people", body=ZOE | {"roles": ["ADMIN"], "units": []})
    _refused(again, 409, "person_exists", "userId")
    assert [i.user_id for i in directory.identities if i.email == "zoe@example.com"] == [first["userId"]]
    identity = directory.identity(first["userId"])
    assert identity is not None and identity.roles == ("AGENT",)  # the person there is left alone


def test_a_user_left_by_a_failed_creation_is_adopted_and_brought_in_line(
    ada: Caller, directory: LocalIdentityDirectory
) -> None:
    from contactcenter.identity import NewUser

    subject = directory.create_user(NewUser("acme", "zoe@example.com", "Zo", frozenset({"FINANCE"}))).subject
    created = body_of(ada.call("POST", "/admin/people", body=ZOE))
    assert created["userId"] == subject
    identity = directory.identity(subject)
    assert identity is not None and (identity.display_name, identity.roles) == ("Zoe", ("AGENT",))


def test_an_email_of_another_organization_is_taken(ada: Caller, globex: Organization, context: Any) -> None:
    ada.call("POST", "/admin/people", body=ZOE)
    other = Caller(context, "ada", "ADMIN", org="globex")
    _refused(other.call("POST", "/admin/people", body=ZOE), 409, "email_taken", "email")


def test_a_person_is_updated_while_clocked_in_and_keeps_working(
    ada: Caller, context: Any, directory: LocalIdentityDirectory
) -> None:
    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE))
    agent = Caller(context, zoe["userId"], "AGENT")
    agent.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    route = "/admin/people/{userId}"
    changed = ada.call(
        "PATCH",
        f"/admin/people/{zoe['userId']}",
        route,
        {
            "displayName": "Zoe Q.",
            "units": ["north", "south"],
            "roles": ["AGENT", "SUPERVISOR"],
            "supervisedUnits": ["south"],
        },
        version=1,
    )
    assert changed["statusCode"] == 200, changed
    assert body_of(changed)["version"] == 2
    identity = directory.identity(zoe["userId"])
    assert identity is not None and (identity.display_name, identity.roles) == ("Zoe Q.", ("AGENT", "SUPERVISOR"))
    # The status engine's next change starts from the item the profile change bumped: it still lands.
    paused = agent.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"}, module=status)
    assert paused["statusCode"] == 200, paused
    state = body_of(agent.call("GET", "/me/state", module=status))
    assert (state["displayName"], state["units"], state["status"]) == ("Zoe Q.", ["north", "south"], "UNAVAILABLE")


def test_an_employee_number_is_set_changed_and_removed_and_each_change_audited(ada: Caller) -> None:
    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE | {"employeeNumber": "P-0042"}))
    assert zoe["employeeNumber"] == "P-0042"
    path, route = f"/admin/people/{zoe['userId']}", "/admin/people/{userId}"
    kept = body_of(ada.call("PATCH", path, route, {"displayName": "Zoe Q."}, version=1))
    assert kept["employeeNumber"] == "P-0042"  # left out: unchanged
    changed = body_of(ada.call("PATCH", path, route, {"employeeNumber": "00017"}, version=2))
    assert changed["employeeNumber"] == "00017"
    removed = body_of(ada.call("PATCH", path, route, {"employeeNumber": None}, version=3))
    assert removed["employeeNumber"] is None
    entries = body_of(ada.call("GET", "/admin/audit"))["entries"]
    assert [(e["before"] or {}).get("employeeNumber", "-") for e in entries[:3]] == [
        "00017",
        "P-0042",
        "P-0042",
    ]
    assert [e["after"]["employeeNumber"] for e in entries[:4]] == [None, "00017", "P-0042", "P-0042"]


@pytest.mark.parametrize("number", ["", "=1+2", "-42", " 42", "x" * 33, "42;7", 42])
def test_a_malformed_employee_number_is_refused_naming_the_field(ada: Caller, unchanged: None, number: Any) -> None:
    response = ada.call("POST", "/admin/people", body=ZOE | {"employeeNumber": number})
    assert response["statusCode"] == 422, response
    assert {e["field"] for e in body_of(response)["error"]["errors"]} == {"employeeNumber"}
    patched = ada.call("PATCH", "/admin/people/ana", "/admin/people/{userId}", {"employeeNumber": number}, version=0)
    assert patched["statusCode"] == 422, patched


def test_person_update_refusals(ada: Caller, unchanged: None) -> None:
    route = "/admin/people/{userId}"
    _refused(ada.call("PATCH", "/admin/people/ana", route, {"units": ["east"]}, version=0), 422, "unknown_unit")
    _refused(ada.call("PATCH", "/admin/people/ana", route, {"displayName": "A"}, version=7), 409, "stale_version")
    _refused(ada.call("PATCH", "/admin/people/nobody", route, {"displayName": "N"}, version=0), 404, "unknown_person")
    _refused(ada.call("PATCH", "/admin/people/ada", route, {"roles": ["FINANCE"]}, version=0), 422, "own_account")


def test_a_person_is_retired_once_clocked_out(ada: Caller, context: Any, directory: LocalIdentityDirectory) -> None:
    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE))
    path, route = f"/admin/people/{zoe['userId']}", "/admin/people/{userId}"
    agent = Caller(context, zoe["userId"], "AGENT")
    agent.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    _refused(ada.call("DELETE", path, route, version=1), 409, "agent_clocked_in", "userId")
    agent.call("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"}, module=clock)
    retired = ada.call("DELETE", path, route, version=1)
    assert retired["statusCode"] == 200, retired
    assert (body_of(retired)["retired"], body_of(retired)["version"]) == (True, 2)
    identity = directory.identity(zoe["userId"])
    assert identity is not None and not identity.enabled
    _refused(ada.call("PATCH", path, route, {"displayName": "Z"}, version=2), 409, "retired")
    _refused(ada.call("DELETE", path, route, version=2), 409, "retired")
    # Retired people no longer hold their unit: it can go.
    ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    assert ada.write("DELETE", "/admin/units/east", "/admin/units/{unitId}")["statusCode"] == 200


def test_nobody_retires_themselves(ada: Caller, unchanged: None) -> None:
    _refused(ada.call("DELETE", "/admin/people/ada", "/admin/people/{userId}", version=0), 422, "own_account")


def test_an_integration_gets_machine_credentials_once(
    ada: Caller, context: Any, directory: LocalIdentityDirectory
) -> None:
    created = ada.call("POST", "/admin/integrations", body={"name": "Router"})
    assert created["statusCode"] == 201, created
    body = body_of(created)
    client_id = body["credentials"]["clientId"]
    assert body["userId"] == client_id and body["kind"] == "client" and body["roles"] == ["INTEGRATION"]
    assert body["credentials"]["clientSecret"]
    assert "credentials" not in ada.person(client_id)
    identity = directory.identity(client_id)
    assert identity is not None and identity.machine and identity.client_secret == body["credentials"]["clientSecret"]
    router = Caller(context, client_id, "INTEGRATION")
    routable = router.call(
        "GET", "/queues/support-line/routable-agents", "/queues/{queueId}/routable-agents", module=status
    )
    assert routable["statusCode"] == 200
    revoked = ada.call("DELETE", f"/admin/people/{client_id}", "/admin/people/{userId}", version=1)
    assert body_of(revoked)["retired"] is True
    assert not (directory.identity(client_id) or identity).enabled


def test_people_of_another_organization_are_out_of_reach(ada: Caller, globex: Organization, context: Any) -> None:
    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE))
    other = Caller(context, "ada", "ADMIN", org="globex")
    _refused(other.call("GET", f"/admin/people/{zoe['userId']}", "/admin/people/{userId}"), 404, "unknown_person")
    assert zoe["userId"] not in [p["userId"] for p in body_of(other.call("GET", "/admin/people"))["people"]]


# --- the audit trail -----------------------------------------------------------------------------


def test_every_change_is_audited_once_with_who_when_before_and_after(ada: Caller) -> None:
    ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    ada.write("PATCH", "/admin/routing", body={"wrapUpSeconds": 45})
    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE))
    assert len(_audit()) == 3
    page = body_of(ada.call("GET", "/admin/audit"))
    assert [e["action"] for e in page["entries"]] == ["person.create", "routing.update", "unit.create"]
    routing = page["entries"][1]
    assert routing["actorId"] == "ada" and routing["target"] == "settings" and routing["version"] == 2
    assert routing["before"]["routing"]["wrapUpSeconds"] == 30
    assert routing["after"]["routing"]["wrapUpSeconds"] == 45
    assert routing["at"].endswith("+00:00")
    person = page["entries"][0]
    assert person["target"] == f"person/{zoe['userId']}" and person["before"] is None and person["after"] == zoe


def test_the_audit_trail_is_paged_newest_first(ada: Caller) -> None:
    for name in ("A", "B", "C"):
        ada.write("PATCH", "/admin/organization", body={"name": name})
    first = body_of(ada.call("GET", "/admin/audit", query={"limit": "2"}))
    assert [e["after"]["name"] for e in first["entries"]] == ["C", "B"]
    rest = body_of(ada.call("GET", "/admin/audit", query={"limit": "2", "cursor": first["cursor"]}))
    assert [e["after"]["name"] for e in rest["entries"]] == ["A"]
    _refused(ada.call("GET", "/admin/audit", query={"cursor": "bm9wZQ"}), 422, "cursor", "cursor")


def test_refusals_are_not_audited(ada: Caller) -> None:
    ada.call("DELETE", "/admin/units/north", "/admin/units/{unitId}", version=0)
    ada.call("PUT", "/admin/policy", body={"policy": "lenient"}, version=0)
    assert _audit() == []


def test_a_retired_agent_leaves_the_unit_dashboard_and_keeps_their_history(ada: Caller, context: Any) -> None:
    from functions.supervision import app as supervision

    zoe = body_of(ada.call("POST", "/admin/people", body=ZOE))
    agent = Caller(context, zoe["userId"], "AGENT")
    agent.call("POST", "/me/clock-in", body={"platform": "web"}, module=clock)
    agent.call("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"}, module=clock)

    def north() -> list[str]:
        page = ada.call("GET", "/units/north/dashboard", "/units/{unitId}/dashboard", module=supervision)
        assert page["statusCode"] == 200, page
        return [row["agentId"] for row in body_of(page)["agents"]]

    assert zoe["userId"] in north()
    path, route = f"/admin/people/{zoe['userId']}", "/admin/people/{userId}"
    assert ada.call("DELETE", path, route, version=1)["statusCode"] == 200
    assert zoe["userId"] not in north()
    assert "ana" in north()
    assert body_of(ada.call("GET", path, route))["units"] == ["north"]  # the person record keeps them
    from contactcenter.store.agents import history_page

    history = history_page("acme", zoe["userId"], limit=10)
    assert [entry.to_status.value for entry in reversed(history)] == ["AVAILABLE", "AWAY"]  # kept for reports


# --- status rules and adherence settings ---------------------------------------------------------

LONG_BREAK = {
    "ruleId": "long-break",
    "name": "Long break",
    "status": "UNAVAILABLE",
    "reason": "BREAK",
    "exemptUnits": ["south"],
    "cooldownSeconds": 600,
    "tiers": [
        {"afterSeconds": 300, "notice": "warning"},
        {"afterSeconds": 600, "notice": "alert", "notifyAgent": True},
        {"afterSeconds": 900, "force": {"status": "AVAILABLE"}, "publishEvent": True},
    ],
}


def test_status_rules_are_replaced_whole_versioned_and_audited(ada: Caller) -> None:
    assert body_of(ada.call("GET", "/admin/status-rules")) == {"version": 0, "statusRules": []}
    replaced = ada.call("PUT", "/admin/status-rules", body={"statusRules": [LONG_BREAK]}, version=0)
    assert replaced["statusCode"] == 200, replaced
    rule = body_of(replaced)["statusRules"][0]
    assert rule["tiers"][2] == {
        "afterSeconds": 900,
        "notice": None,
        "notifyAgent": False,
        "force": {"status": "AVAILABLE", "reason": None},
        "publishEvent": True,
    }
    assert body_of(ada.call("GET", "/admin/status-rules"))["version"] == 1
    stale = ada.call("PUT", "/admin/status-rules", body={"statusRules": []}, version=0)
    _refused(stale, 409, "stale_version", "If-Match")
    (entry,) = _audit()
    assert entry["action"] == {"S": "status_rules.replace"}
    # A unit a rule names cannot go away underneath it.
    ada.write("POST", "/admin/units", body={"unitId": "east", "name": "East"})
    ada.write("PUT", "/admin/status-rules", body={"statusRules": [{**LONG_BREAK, "unitId": "east"}]})
    refused = ada.write("DELETE", "/admin/units/east", "/admin/units/{unitId}")
    _refused(refused, 422, "unknown_unit", "statusRules[0].unitId")


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        ({"tiers": [{"afterSeconds": 60}]}, "tier_does_nothing", "statusRules[0].tiers[0]"),
        (
            {"tiers": [{"afterSeconds": 600, "notice": "alert"}, {"afterSeconds": 300, "notice": "warning"}]},
            "tiers_out_of_order",
            "statusRules[0]",
        ),
        ({"reason": "NAP"}, "unknown_reason", "statusRules[0].reason"),
        ({"unitId": "mars"}, "unknown_unit", "statusRules[0].unitId"),
        (
            {"tiers": [{"afterSeconds": 60, "force": {"status": "UNAVAILABLE"}}]},
            "reason_required",
            "statusRules[0].tiers[0].force.reason",
        ),
        ({"status": "WRAP_UP", "reason": None}, "force_from_automatic", "statusRules[0]"),
        ({"tiers": [{"afterSeconds": "soon", "notice": "alert"}]}, "invalid", "statusRules[0].tiers[0].afterSeconds"),
    ],
)
def test_a_refused_rule_gets_422_naming_the_rule_and_changes_nothing(
    ada: Caller, unchanged: None, change: dict[str, Any], rule: str, field: str
) -> None:
    response = ada.call("PUT", "/admin/status-rules", body={"statusRules": [{**LONG_BREAK, **change}]}, version=0)
    _refused(response, 422, rule, field)


def test_two_rules_with_one_id_are_refused(ada: Caller, unchanged: None) -> None:
    response = ada.call("PUT", "/admin/status-rules", body={"statusRules": [LONG_BREAK, LONG_BREAK]}, version=0)
    _refused(response, 422, "duplicate_rule", "statusRules")


def test_adherence_settings_are_replaced_and_checked(ada: Caller) -> None:
    default = ada.settings()["adherence"]
    assert default["activities"]["break"]["states"] == [
        {"status": "UNAVAILABLE", "reason": "BREAK"},
        {"status": "AWAY", "reason": None},
    ]
    activities = {**default["activities"], "meeting": {"states": [{"status": "OFFLINE_WORK"}], "toleranceMinutes": 5}}
    changed = ada.write("PUT", "/admin/adherence", body={"activities": activities, "severeMinutes": 20})
    assert changed["statusCode"] == 200, changed
    assert body_of(changed)["adherence"]["activities"]["meeting"]["toleranceMinutes"] == 5
    assert body_of(changed)["adherence"]["severeMinutes"] == 20
    missing = ada.write("PUT", "/admin/adherence", body={"activities": {"work": default["activities"]["work"]}})
    _refused(missing, 422, "activity_kind_missing")
    nap = {**activities, "break": {"states": [{"status": "UNAVAILABLE", "reason": "NAP"}]}}
    _refused(ada.write("PUT", "/admin/adherence", body={"activities": nap}), 422, "unknown_reason")
