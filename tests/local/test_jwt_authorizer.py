"""The HTTP API's JWT authorizer, through the gateway: bad tokens get 401 and never reach a function."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from local.issuer import LocalIssuer
from local.jwt_authorizer import render_claims
from tests.local.support import ALICE, LocalGateway


def _unsigned(payload: dict[str, Any], kid: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': kid})}.{part(payload)}."


def _forged_with_kid(stack: LocalGateway) -> str:
    """Claims the local issuer would issue, signed by another key under the issuer's kid."""
    impostor = LocalIssuer(stack.issuer.issuer, users=[ALICE])
    impostor.key_id = stack.issuer.key_id
    return impostor.sign(stack.issuer.claims_for(ALICE, now=int(time.time()), expires_in=600))


def _hmac_with_public_key(stack: LocalGateway) -> str:
    """The algorithm-confusion attack: HS256 keyed with the public key's text."""
    payload = stack.issuer.claims_for(ALICE, now=int(time.time()), expires_in=600)
    header = {"alg": "HS256", "kid": stack.issuer.key_id}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode() for value in (header, payload)
    )
    secret = json.dumps(stack.issuer.jwks()["keys"][0]).encode()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


BAD_TOKENS: dict[str, Callable[[LocalGateway], str | None]] = {
    "missing": lambda stack: None,
    "empty bearer": lambda stack: "",
    "garbage": lambda stack: "not-a-jwt",
    "expired": lambda stack: stack.token(expires_in=-60),
    "wrong issuer": lambda stack: stack.token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"),
    "wrong audience": lambda stack: stack.token(aud="another-client"),
    "no audience nor client id": lambda stack: stack.token(aud=None),
    "not valid yet": lambda stack: stack.token(nbf=int(time.time()) + 600),
    "issued in the future": lambda stack: stack.token(iat=int(time.time()) + 600),
    "no expiry": lambda stack: stack.token(exp=None),
    "wrong signature": _forged_with_kid,
    "unknown kid": lambda stack: LocalIssuer(stack.issuer.issuer, users=[ALICE]).mint(ALICE),
    "alg none": lambda stack: _unsigned(stack.issuer.claims_for(ALICE, now=int(time.time()), expires_in=600), "x"),
    "alg none with the issuer's kid": lambda stack: _unsigned(
        stack.issuer.claims_for(ALICE, now=int(time.time()), expires_in=600), stack.issuer.key_id
    ),
    "HS256 keyed with the public key": _hmac_with_public_key,
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_gets_401_and_the_function_is_not_invoked(start_gateway, case: str) -> None:
    stack = start_gateway()
    token = BAD_TOKENS[case](stack)
    headers = {} if token is None else {"authorization": f"Bearer {token}".strip()}

    response = httpx.get(f"{stack.api_url}/agents/a-1/status", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    assert stack.recorder.events["api"] == []


def test_an_expired_token_is_named_in_www_authenticate(start_gateway) -> None:
    stack = start_gateway()
    response = httpx.get(
        f"{stack.api_url}/me/clock-in", headers={"authorization": f"Bearer {stack.token(expires_in=-1)}"}
    )
    # POST-only route: the method does not match, so 404 comes before the authorizer.
    assert response.status_code == 404
    response = httpx.post(
        f"{stack.api_url}/me/clock-in", headers={"authorization": f"Bearer {stack.token(expires_in=-1)}"}
    )
    assert 'error_description="the token has expired"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "claims",
    [
        {},  # aud is the app client
        {"aud": None, "client_id": "contactcenter-local-client"},  # an access token: client_id instead
        {"aud": ["other", "contactcenter-local-client"]},
    ],
    ids=["aud", "client_id", "aud list"],
)
def test_a_valid_token_reaches_the_function(start_gateway, claims: dict[str, Any]) -> None:
    stack = start_gateway()
    response = httpx.get(
        f"{stack.api_url}/agents/a-1/status", headers={"authorization": f"Bearer {stack.token(claims=claims)}"}
    )
    assert response.status_code == 200
    assert len(stack.recorder.events["api"]) == 1


def test_the_bearer_prefix_is_optional_as_in_api_gateway(start_gateway) -> None:
    stack = start_gateway()
    response = httpx.get(f"{stack.api_url}/agents/a-1/status", headers={"authorization": stack.token()})
    assert response.status_code == 200


def test_claims_reach_the_event_as_api_gateway_renders_them(start_gateway) -> None:
    stack = start_gateway()
    httpx.get(f"{stack.api_url}/agents/a-1/status", headers={"authorization": f"Bearer {stack.token()}"})

    claims = stack.recorder.events["api"][0]["requestContext"]["authorizer"]["jwt"]["claims"]

    assert claims["cognito:groups"] == "[AGENT SUPERVISOR]"
    assert claims["custom:organization"] == "org-1"
    assert claims["email_verified"] == "true"
    assert claims["exp"].isdigit()
    assert all(isinstance(value, str) for value in claims.values())


def test_render_claims_flattens_every_type_to_text() -> None:
    assert render_claims({"s": "x", "n": 5, "f": 1.5, "t": True, "a": ["x", 2], "o": {"k": 1}, "z": None}) == {
        "s": "x",
        "n": "5",
        "f": "1.5",
        "t": "true",
        "a": "[x 2]",
        "o": '{"k":1}',
    }
