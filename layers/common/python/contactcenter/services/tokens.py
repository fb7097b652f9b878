"""What the user pool writes into the tokens it issues: its pre token generation trigger asks here."""

from __future__ import annotations

from typing import Any

from contactcenter import identity
from contactcenter.store import organizations


def token_overrides(trigger_source: str, client_id: str) -> dict[str, Any] | None:
    """Cognito's `claimsAndScopeOverrideDetails` for this token, or None to leave it as Cognito made it.
    Only a machine's token costs a read (one GetItem); people's sign-ins touch nothing."""
    machine = trigger_source == identity.CLIENT_CREDENTIALS
    registration = organizations.get_client(client_id) if machine and client_id else None
    return identity.token_overrides(trigger_source, client_id, registration)
