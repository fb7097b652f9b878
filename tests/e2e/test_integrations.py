"""Integrations end to end: an integration the administrator creates at run time gets a client-credentials
access token from the local token endpoint with the secret the admin API returned, and is accepted, with
no redeploy, on the routes its permissions allow and refused on the others."""

from __future__ import annotations

import secrets

import httpx
import jwt

from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack


def _integration(stack: LocalStack) -> dict[str, str]:
    created = Api(stack, "ada").call(
        "POST", "/admin/integrations", body={"name": f"router {secrets.token_hex(3)}"}, expect=201
    )
    return dict(created["credentials"])


def _token(stack: LocalStack, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{stack.endpoints['issuer']}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "contactcenter/integration"},
        auth=(client_id, secret),
    )


def test_a_run_time_integration_calls_what_its_permissions_allow(local_stack) -> None:
    credentials = _integration(local_stack)
    issued = _token(local_stack, credentials["clientId"], credentials["clientSecret"])
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["client_id"] == claims["sub"] == credentials["clientId"]
    assert (claims["token_use"], claims["scope"], claims["custom:organization"]) == (
        "access",
        "contactcenter/integration",
        "demo",
    )

    router = Api(local_stack, None, token=token)
    agents = router.call("GET", "/queues/sales-line/routable-agents")
    assert isinstance(agents, dict)
    refused = router.raw("GET", "/units/sales/dashboard")
    assert refused.status_code == 403, refused.text  # supervision.view is not the integration's
    assert router.raw("GET", "/admin/settings").status_code == 403
    assert router.raw("GET", "/me/state").status_code == 401  # /me is a person's own: not a machine's


def test_a_wrong_secret_gets_no_token_and_a_forged_token_gets_401(local_stack) -> None:
    credentials = _integration(local_stack)
    wrong = _token(local_stack, credentials["clientId"], "not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    router = Api(local_stack, None, token="not.a.token")
    assert router.raw("GET", "/queues/sales-line/routable-agents").status_code == 401
