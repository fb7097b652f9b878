"""Administration end to end, over the local stack's HTTP API with real tokens: the demo's administrator
replaces the transition policy and an agent is held to it; a custom role grants its permissions to a
token carrying it; a person is created and the audit trail names every change. What is changed is put
back, since the stack is shared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack


def _write(admin: Api, method: str, path: str, body: object = None, *, expect: int = 200) -> dict[str, object]:
    version = admin.call("GET", "/admin/settings")["version"]
    return dict(admin.call(method, path, body=body, headers={"If-Match": f'"{version}"'}, expect=expect))


@pytest.fixture
def admin(local_stack: LocalStack) -> Iterator[Api]:
    ada = Api(local_stack, "ada")
    yield ada
    if ada.call("GET", "/admin/settings")["policy"]["name"] != "default":
        _write(ada, "PUT", "/admin/policy", {"policy": "default"})
    if any(role["name"] == "COACHEE" for role in ada.call("GET", "/admin/roles")["custom"]):
        _write(ada, "DELETE", "/admin/roles/COACHEE")


def test_a_replaced_policy_holds_the_agents_of_the_organization(local_stack: LocalStack, admin: Api) -> None:
    elena = Api(local_stack, "elena")
    elena.ensure_clocked_out()
    strict = _write(admin, "PUT", "/admin/policy", {"policy": "strict"})
    assert strict["policy"] == {**strict["policy"], "name": "strict", "builtIn": True}
    elena.call("POST", "/me/clock-in", body={"platform": "web"})
    elena.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"})
    refused = elena.call("PUT", "/me/status", body={"status": "AVAILABLE"}, expect=409)
    assert refused["error"]["rule"] == "transition_not_allowed"
    elena.call("PUT", "/me/status", body={"status": "AWAY", "reason": "END_OF_SHIFT"})


def test_a_custom_role_is_honoured_for_whoever_holds_it_and_a_token_alone_grants_nothing(
    local_stack: LocalStack, admin: Api
) -> None:
    _write(admin, "PUT", "/admin/roles/COACHEE", {"permissions": ["engage", "engage.coaching"]})
    body = {"email": "cora@example.com", "displayName": "Cora Coachee", "roles": ["COACHEE"]}
    created = admin.call("POST", "/admin/people", body=body, expect=201)
    cora = created["userId"]
    claims = {"sub": cora, "cognito:username": "cora@example.com", "email": "cora@example.com"}
    coachee = Api(local_stack, None, token=local_stack.mint("ada", claims=claims, **{"cognito:groups": ["COACHEE"]}))
    coachee.call("GET", "/me/assignments")
    assert coachee.call("GET", "/admin/settings", expect=403)["error"]["rule"] == "missing_permission"
    # A token naming ADMIN for her: her record says COACHEE, and the record decides.
    claiming = Api(local_stack, None, token=local_stack.mint("ada", claims=claims, **{"cognito:groups": ["ADMIN"]}))
    assert claiming.call("GET", "/admin/settings", expect=403)["error"]["rule"] == "missing_permission"
    # Retired, she is refused whatever she holds (and the role can be deleted again).
    admin.call("DELETE", f"/admin/people/{cora}", headers={"If-Match": f'"{created["version"]}"'})
    assert coachee.call("GET", "/me/assignments", expect=403)["error"]["rule"] == "person_retired"


def test_a_person_is_created_and_every_change_is_audited(local_stack: LocalStack, admin: Api) -> None:
    stale = admin.call("GET", "/admin/settings")["version"]
    _write(admin, "PATCH", "/admin/routing", {"consoleIdleTimeoutSeconds": 900})
    refused = admin.call(
        "PATCH", "/admin/routing", body={"wrapUpSeconds": 5}, headers={"If-Match": str(stale)}, expect=409
    )
    assert refused["error"]["rule"] == "stale_version"
    person = admin.call(
        "POST",
        "/admin/people",
        body={"email": "nora@example.com", "displayName": "Nora", "roles": ["FINANCE"]},
        expect=201,
    )
    audit = admin.call("GET", "/admin/audit?limit=5")["entries"]
    actions = [entry["action"] for entry in audit]
    assert "routing.update" in actions
    assert audit[0]["target"] == f"person/{person['userId']}"
    assert audit[0]["actorId"] == "admin-ada"
