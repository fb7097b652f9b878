"""Tokens: what the user pool writes into the tokens it issues (its pre token generation trigger asks
here), and the registrations of integrations' app clients (the HTTP API's Lambda authorizer asks)."""

from __future__ import annotations

import time
from typing import Any

from contactcenter import identity
from contactcenter.identity import ClientRegistration
from contactcenter.store import organizations


def token_overrides(trigger_source: str, client_id: str) -> dict[str, Any] | None:
    """Cognito's `claimsAndScopeOverrideDetails` for this token, or None to leave it as Cognito made it.
    Only a machine's token costs a read (one GetItem); people's sign-ins touch nothing."""
    machine = trigger_source == identity.CLIENT_CREDENTIALS
    registration = organizations.get_client(client_id) if machine and client_id else None
    return identity.token_overrides(trigger_source, client_id, registration)


# A registration is read at most once a minute per client and process: retiring an integration takes
# effect within a minute (plus API Gateway's cached answer, infra/constructs/http_api.py).
REGISTRATION_CACHE_SECONDS = 60.0
_registrations: dict[str, tuple[float, ClientRegistration | None]] = {}


def client_registration(client_id: str) -> ClientRegistration | None:
    """The registration of an integration's app client, cached a minute."""
    now = time.monotonic()
    cached = _registrations.get(client_id)
    if cached is not None and now - cached[0] < REGISTRATION_CACHE_SECONDS:
        return cached[1]
    registration = organizations.get_client(client_id) if client_id else None
    _registrations[client_id] = (now, registration)
    return registration


def forget_cached_registrations() -> None:
    _registrations.clear()
