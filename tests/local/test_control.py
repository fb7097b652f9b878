"""The /_local endpoints: the issuer's key set, tokens for known users, and draining the stream."""

from __future__ import annotations

import threading

import httpx
import jwt

from tests.local.support import ALICE, LocalGateway


class FakePoller:
    """Drains when told to, so the endpoint's answer for both outcomes can be checked."""

    def __init__(self, drained: bool) -> None:
        self.drained = drained
        self.timeouts: list[float] = []
        self.thread: str | None = None

    def wait_idle(self, timeout: float = 30.0) -> bool:
        self.timeouts.append(timeout)
        self.thread = threading.current_thread().name
        return self.drained


def test_the_key_set_and_discovery_document_verify_minted_tokens(start_gateway) -> None:
    stack: LocalGateway = start_gateway()
    discovery = httpx.get(f"{stack.issuer.issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == stack.issuer.issuer
    keys = httpx.get(discovery["jwks_uri"]).json()["keys"]
    assert [set(key) for key in keys] == [{"alg", "e", "kid", "kty", "n", "use"}]

    minted = httpx.post(f"{stack.api_url}/_local/tokens", json={"username": "alice", "expiresIn": 60})
    assert minted.status_code == 200
    token = minted.json()["token"]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": keys[0]["kid"]}
    claims = jwt.decode(token, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience=stack.issuer.audience)
    assert claims["sub"] == ALICE.user_id
    assert claims["cognito:groups"] == ["AGENT", "SUPERVISOR"]
    assert claims["custom:organization"] == "org-1"
    assert claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == 60


def test_minted_tokens_can_override_claims(start_gateway) -> None:
    stack: LocalGateway = start_gateway()
    minted = httpx.post(
        f"{stack.api_url}/_local/tokens",
        json={"username": "alice", "claims": {"cognito:groups": ["ADMIN"], "email": None}},
    )
    claims = jwt.decode(minted.json()["token"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["ADMIN"]
    assert "email" not in claims


def test_tokens_for_unknown_users_or_bad_requests_are_refused(start_gateway) -> None:
    stack: LocalGateway = start_gateway()
    assert httpx.post(f"{stack.api_url}/_local/tokens", json={"username": "mallory"}).status_code == 404
    assert httpx.post(f"{stack.api_url}/_local/tokens", json={"user": "alice"}).status_code == 400
    assert httpx.post(f"{stack.api_url}/_local/tokens", content=b"[1]").status_code == 400
    assert (
        httpx.post(f"{stack.api_url}/_local/tokens", json={"username": "alice", "expiresIn": "1h"}).status_code == 400
    )
    users = httpx.get(f"{stack.api_url}/_local/users").json()
    assert users == [
        {
            "username": "alice",
            "userId": "agent-alice",
            "organizationId": "org-1",
            "roles": ["AGENT", "SUPERVISOR"],
            "displayName": "Alice Agent",
        }
    ]


def test_drain_waits_for_the_poller_off_the_event_loop(start_gateway) -> None:
    poller = FakePoller(drained=True)
    stack: LocalGateway = start_gateway(poller=poller)
    response = httpx.post(f"{stack.api_url}/_local/streams/drain", json={"timeout": 3})
    assert response.json() == {"drained": True}
    assert poller.timeouts == [3.0]
    assert poller.thread != "gateway"  # the loop stays free for the @connections calls a drain waits on

    poller.drained = False
    assert httpx.post(f"{stack.api_url}/_local/streams/drain").status_code == 504
