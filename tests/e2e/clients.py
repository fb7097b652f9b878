"""The one asserting API client of the end-to-end tests, and a WebSocket reader that keeps order."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.asyncio.client import ClientConnection

from tests.e2e.conftest import LocalStack

PUSH_SECONDS = 10
CONSOLE = "http://localhost:5173"  # an allowed origin of the local stack (its default list)
CALLBACK = f"{CONSOLE}/callback"


class Api:
    """HTTP calls as one user, asserting the status code; returns the JSON body."""

    def __init__(self, stack: LocalStack, username: str | None, *, token: str | None = None) -> None:
        self.base_url = stack.api_url
        self.headers = {}
        if username is not None or token is not None:
            self.headers["authorization"] = f"Bearer {token or stack.tokens[username or '']}"

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int | tuple[int, ...] = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = self.raw(method, path, json=body, headers=headers)
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, (method, path, response.status_code, response.text)
        return response.json()

    def raw(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        # A client per call: nothing left open between tests.
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=20) as client:
            return client.request(method, path, headers=headers, **kwargs)

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "/me/state"))

    def ensure_clocked_out(self) -> None:
        state = self.state()
        if state["status"] in ("ACTIVE", "WRAP_UP"):
            for item in state["workItems"]:
                self.call("POST", f"/me/work-items/{item['itemId']}/events", body={"type": "ended"}, expect=(200, 409))
            state = self.state()
            if state["status"] == "WRAP_UP":
                self.call("POST", "/me/wrap-up/end", expect=(200, 403, 409))
        if self.state()["status"] != "AWAY":
            self.call("PUT", "/me/status", body={"status": "AWAY", "reason": "END_OF_SHIFT"})


async def next_message(
    socket: ClientConnection, *, matching: dict[str, Any] | None = None, seconds: float = PUSH_SECONDS
) -> dict[str, Any]:
    """The next message whose fields equal `matching` (others are skipped: other tests share the stack)."""
    async with asyncio.timeout(seconds):
        while True:
            message = json.loads(await socket.recv())
            if all(message.get(key) == value for key, value in (matching or {}).items()):
                return dict(message)


async def subscribe(socket: ClientConnection, *units: str) -> None:
    await socket.send(json.dumps({"action": "subscribe", "units": list(units)}))
    reply = await next_message(socket, matching={"type": "subscribed"})
    assert {f"UNIT#{unit}" for unit in units} <= set(reply["channels"])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def sign_in(stack: LocalStack, username_or_label: str) -> tuple[dict[str, Any], str, dict[str, str]]:
    """Discovery, the sign-in page, the chosen person's button: the code and state the callback gets."""
    discovery = httpx.get(f"{stack.endpoints['issuer']}/.well-known/openid-configuration").json()
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": stack.endpoints["clientId"],
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": state,
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = httpx.get(discovery["authorization_endpoint"], params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    buttons = dict(re.findall(r'<button type="submit" name="username" value="([^"]+)">([^<]+)</button>', page.text))
    username = next(name for name, label in buttons.items() if username_or_label in (name, label.split(" (")[0]))
    form = {**params, "username": username}
    redirect = httpx.post(discovery["authorization_endpoint"], data=form)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["state"] == state
    return discovery, verifier, query


def exchange(discovery: dict[str, Any], stack: LocalStack, code: str, verifier: str) -> httpx.Response:
    return httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": stack.endpoints["clientId"],
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        headers={"origin": CONSOLE},
    )


def signed_in_tokens(stack: LocalStack, who: str) -> dict[str, Any]:
    """A person's tokens through the authorization code flow with PKCE, as a browser app gets them."""
    discovery, verifier, callback = sign_in(stack, who)
    response = exchange(discovery, stack, callback["code"], verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())
