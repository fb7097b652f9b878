"""Browsers on the local stack: CORS preflights answered as the deployed HTTP API answers them, and a
person signing in with the authorization code flow and PKCE against the local issuer's OpenID Connect
endpoints, as a browser app (oidc-client-ts) does against Cognito's managed login."""

from __future__ import annotations

import secrets

import httpx
import jwt

from infra.wiring import WIRING
from tests.e2e.clients import CONSOLE, Api, exchange, sign_in
from tests.e2e.conftest import LocalStack


def _preflight(stack: LocalStack, path: str, origin: str, method: str = "POST") -> httpx.Response:
    return httpx.options(
        f"{stack.api_url}{path}",
        headers={
            "origin": origin,
            "access-control-request-method": method,
            "access-control-request-headers": "authorization,content-type",
        },
    )


def test_a_preflight_from_an_allowed_origin_gets_the_configured_headers_without_a_token(local_stack) -> None:
    response = _preflight(local_stack, "/me/clock-in", CONSOLE)
    cors = WIRING.cors
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == CONSOLE
    assert response.headers["access-control-allow-methods"].split(",") == list(cors.allow_methods)
    assert set(response.headers["access-control-allow-headers"].split(",")) >= {"authorization", "content-type"}
    assert response.headers["access-control-max-age"] == str(cors.max_age_seconds)
    assert response.content == b""


def test_a_preflight_from_another_origin_gets_no_cors_headers(local_stack) -> None:
    response = _preflight(local_stack, "/me/clock-in", "https://evil.example")
    assert response.status_code == 204
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_responses_to_an_allowed_origin_carry_its_name_even_when_refused(local_stack) -> None:
    agent = Api(local_stack, "alice")
    allowed = agent.raw("GET", "/me/state", headers={"origin": CONSOLE})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CONSOLE
    refused = httpx.get(f"{local_stack.api_url}/me/state", headers={"origin": CONSOLE})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == CONSOLE
    other = agent.raw("GET", "/me/state", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_code_and_pkce_sign_in_yields_tokens_the_api_accepts_and_refreshes(local_stack) -> None:
    discovery, verifier, callback = sign_in(local_stack, "alice")
    wrong = exchange(discovery, local_stack, callback["code"], "not-the-verifier-" + "x" * 30)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert exchange(discovery, local_stack, callback["code"], verifier).json()["error"] == "invalid_grant"  # used

    discovery, verifier, callback = sign_in(local_stack, "alice")
    exchanged = exchange(discovery, local_stack, callback["code"], verifier)
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["access-control-allow-origin"] == CONSOLE
    tokens = exchanged.json()
    assert set(tokens) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    keys = jwt.PyJWKClient(discovery["jwks_uri"])
    claims = jwt.decode(
        tokens["id_token"],
        keys.get_signing_key_from_jwt(tokens["id_token"]).key,
        algorithms=["RS256"],
        audience=local_stack.endpoints["clientId"],
        issuer=discovery["issuer"],
    )
    assert (claims["cognito:username"], claims["nonce"], claims["token_use"]) == ("alice", "n-1", "id")
    assert Api(local_stack, None, token=tokens["id_token"]).state()["agentId"] == "agent-alice"
    info = httpx.get(discovery["userinfo_endpoint"], headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert info.json()["username"] == "alice"

    refreshed = httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "client_id": local_stack.endpoints["clientId"],
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()  # Cognito returns none without rotation
    assert Api(local_stack, None, token=refreshed.json()["id_token"]).state()["agentId"] == "agent-alice"

    logout = httpx.get(
        f"{local_stack.endpoints['issuer']}/logout",
        params={"client_id": local_stack.endpoints["clientId"], "logout_uri": CONSOLE},
    )
    assert (logout.status_code, logout.headers["location"]) == (302, CONSOLE)


def test_a_person_the_administrator_adds_cansign_in(local_stack) -> None:
    admin = Api(local_stack, "ada")
    version = admin.call("GET", "/admin/settings")["version"]
    email = f"pia-{secrets.token_hex(3)}@example.com"
    person = admin.call(
        "POST",
        "/admin/people",
        body={"email": email, "displayName": "Pia Signin", "roles": ["FINANCE"]},
        headers={"If-Match": f'"{version}"'},
        expect=201,
    )
    discovery, verifier, callback = sign_in(local_stack, email)
    tokens = exchange(discovery, local_stack, callback["code"], verifier).json()
    finance = Api(local_stack, None, token=tokens["id_token"])
    assert finance.call("GET", "/reports/files?from=2026-01-01&to=2026-01-01", expect=(200, 400))
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sub"] == person["userId"]

    version = admin.call("GET", f"/admin/people/{person['userId']}")["version"]
    admin.call("DELETE", f"/admin/people/{person['userId']}", headers={"If-Match": f'"{version}"'}, expect=(200, 204))
    refused = httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "client_id": local_stack.endpoints["clientId"],
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refused.json()["error"] == "invalid_grant"  # a retired person's refresh token is refused
