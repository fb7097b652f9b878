"""Organizations end to end: the platform operator creates an organization with its first administrator,
who signs in and administers it; the operator lists and disables it, and everything of it gets 403 until
it is enabled again. Organization administrators cannot reach the operator's routes."""

from __future__ import annotations

import asyncio
import secrets

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.e2e.clients import Api, signed_in_tokens
from tests.e2e.conftest import LocalStack


def _organization(operator: Api) -> tuple[str, str]:
    organization_id = f"acme-{secrets.token_hex(3)}"
    email = f"admin@{organization_id}.example.com"
    created = operator.call(
        "POST",
        "/platform/organizations",
        body={
            "organizationId": organization_id,
            "name": "Acme Support",
            "timeZone": "Europe/Berlin",
            "administratorEmail": email,
            "administratorName": "Acme Admin",
        },
        expect=201,
    )
    assert created["organization"]["organizationId"] == organization_id
    assert created["administrator"]["roles"] == ["ADMIN"]
    return organization_id, email


def test_an_operator_creates_an_organization_whose_administrator_works(local_stack: LocalStack) -> None:
    operator = Api(local_stack, "olga")
    organization_id, email = _organization(operator)
    listed = {o["organizationId"]: o for o in operator.call("GET", "/platform/organizations")["organizations"]}
    assert listed[organization_id] == {
        "organizationId": organization_id,
        "name": "Acme Support",
        "timeZone": "Europe/Berlin",
        "disabled": False,
    }
    assert "demo" in listed

    admin = Api(local_stack, None, token=signed_in_tokens(local_stack, email)["id_token"])
    settings = admin.call("GET", "/admin/settings")
    assert (settings["organizationId"], settings["timeZone"]) == (organization_id, "Europe/Berlin")
    admin.call(
        "POST",
        "/admin/units",
        body={"unitId": "tier-1", "name": "Tier 1"},
        headers={"If-Match": f'"{settings["version"]}"'},
        expect=201,
    )
    # Nothing of the demo organization reaches the new administrator, nor the operator's routes.
    assert "sales" not in {unit["unitId"] for unit in admin.call("GET", "/admin/settings")["units"]}
    assert admin.raw("GET", "/platform/organizations").status_code == 403
    assert Api(local_stack, "ada").raw("GET", "/platform/organizations").status_code == 403


def test_an_operator_cannot_be_made_by_an_organization(local_stack: LocalStack) -> None:
    ada = Api(local_stack, "ada")
    version = ada.call("GET", "/admin/settings")["version"]
    made = ada.raw(
        "POST",
        "/admin/people",
        json={"email": f"x-{secrets.token_hex(3)}@example.com", "displayName": "X", "roles": ["OPERATOR"]},
        headers={"If-Match": f'"{version}"'},
    )
    assert made.status_code == 422, made.text
    role = ada.raw(
        "PUT",
        "/admin/roles/PLATFORMISH",
        json={"permissions": ["platform.operate"]},
        headers={"If-Match": f'"{version}"'},
    )
    assert role.status_code in (400, 422), role.text


async def _socket_status(url: str) -> int:
    try:
        async with connect(url):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_a_disabled_organization_gets_403_everywhere_until_enabled(local_stack: LocalStack) -> None:
    operator = Api(local_stack, "olga")
    organization_id, email = _organization(operator)
    tokens = signed_in_tokens(local_stack, email)
    admin = Api(local_stack, None, token=tokens["id_token"])
    integration = admin.call("POST", "/admin/integrations", body={"name": "router"}, expect=201)["credentials"]
    issued = httpx.post(
        f"{local_stack.endpoints['issuer']}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(integration["clientId"], integration["clientSecret"]),
    ).json()
    router = Api(local_stack, None, token=issued["access_token"])
    assert admin.raw("GET", "/admin/settings").status_code == 200

    operator.call("PATCH", f"/platform/organizations/{organization_id}", body={"disabled": True})
    for caller, path in ((admin, "/admin/settings"), (admin, "/me/state"), (router, "/queues/q-1/routable-agents")):
        refused = caller.raw("GET", path)
        assert refused.status_code == 403, (path, refused.text)
    assert admin.raw("GET", "/me/state").json()["error"]["rule"] == "organization_disabled"
    assert asyncio.run(_socket_status(f"{local_stack.ws_url}?token={tokens['id_token']}")) == 403
    listed = {o["organizationId"]: o for o in operator.call("GET", "/platform/organizations")["organizations"]}
    assert listed[organization_id]["disabled"] is True
    assert Api(local_stack, "ada").raw("GET", "/admin/settings").status_code == 200  # others unaffected

    operator.call("PATCH", f"/platform/organizations/{organization_id}", body={"disabled": False})
    assert admin.raw("GET", "/admin/settings").status_code == 200
    assert operator.raw("PATCH", "/platform/organizations/nobody", json={"disabled": True}).status_code == 404
