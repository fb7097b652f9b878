"""Who can sign in: the one interface over the identity provider (Cognito in production, the local
issuer's directory on the local stack). The admin services call it; the implementations live in store/.

A person's `subject` is the token's `sub`, the id every item of theirs is keyed by. Machine clients
(integrations) sign in with client credentials; their subject is the client id.

A person's token carries their organization from their `custom:organization` attribute. A machine has no
attributes: the user pool's pre token generation trigger (functions/identity/tokens.py) puts the
organization its client was registered for into the access token, under the same claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from contactcenter.errors import Forbidden, Unauthorized

# The claim every token names its organization in (edge/principal.py reads it).
ORGANIZATION_CLAIM = "custom:organization"
# The resource server scope integration app clients are given (infra/naming.py: RESOURCE_SERVER_ID and
# INTEGRATION_SCOPE); no people's client may ask for it, so a token holding it is a machine's.
INTEGRATION_SCOPE = "contactcenter/integration"
# Cognito's trigger source for an access token issued to an app client (client credentials grant).
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"


@dataclass(frozen=True)
class NewUser:
    organization_id: str
    email: str
    display_name: str
    roles: frozenset[str]  # become the user's groups, which tokens carry as `cognito:groups`


@dataclass(frozen=True)
class CreatedUser:
    subject: str
    # The user existed already in the same organization (an earlier attempt, or a demo user): left as
    # it was, so the caller brings it in line once the person is stored (update_user).
    adopted: bool = False


@dataclass(frozen=True)
class MachineCredentials:
    """Shown once, when the client is created: the secret is not stored by this backend."""

    client_id: str
    client_secret: str


class IdentityDirectory(Protocol):
    def create_user(self, user: NewUser) -> CreatedUser:
        """Create the user (with groups and organization). A user with that email already in the same
        organization is adopted unchanged (so a retried creation succeeds); one in another organization
        is a Conflict (`email_taken`)."""
        ...

    def update_user(self, organization_id: str, subject: str, *, display_name: str, roles: frozenset[str]) -> None:
        """Set the display name and exactly these groups."""
        ...

    def disable_user(self, organization_id: str, subject: str) -> None:
        """The user can no longer sign in (tokens already issued run out within the hour)."""
        ...

    def create_client(self, organization_id: str, name: str) -> MachineCredentials:
        """Machine credentials for an integration of the organization (client credentials flow)."""
        ...

    def revoke_client(self, organization_id: str, client_id: str) -> None: ...


@dataclass(frozen=True)
class ClientRegistration:
    """An integration's app client as the organization registered it (store/organizations.py keeps one
    per client, written with the integration's person record)."""

    client_id: str
    organization_id: str
    retired: bool = False


def token_overrides(
    trigger_source: str, client_id: str, registration: ClientRegistration | None
) -> dict[str, Any] | None:
    """What the pre token generation trigger changes in the tokens Cognito is about to issue.

    People's tokens (every other trigger source) are left as Cognito makes them: None. A machine's access
    token gets its client's organization; a client no organization registered (or one retired) gets no
    token at all, rather than a token the API would refuse on every call.
    """
    if trigger_source != CLIENT_CREDENTIALS:
        return None
    if registration is None or registration.client_id != client_id:
        raise Unauthorized("this app client belongs to no organization", field="clientId", rule="unknown_client")
    if registration.retired:
        raise Unauthorized("this integration was retired", field="clientId", rule="client_retired")
    return {"accessTokenGeneration": {"claimsToAddOrOverride": {ORGANIZATION_CLAIM: registration.organization_id}}}


def integration_caller(claims: Mapping[str, Any], registration: ClientRegistration | None) -> dict[str, Any]:
    """The claims an integration route sees for a verified client-credentials access token: those of the
    token, with the organization its registration names (the authority, whatever the token says). Only an
    app client the admin API registered, and not retired, is a caller."""
    client_id = str(claims.get("client_id") or "")
    if INTEGRATION_SCOPE not in str(claims.get("scope") or "").split():
        raise Forbidden("only integration access tokens are accepted here", field="scope", rule="scope_missing")
    if registration is None or registration.client_id != client_id:
        raise Forbidden("this app client belongs to no organization", field="clientId", rule="unknown_client")
    if registration.retired:
        raise Forbidden("this integration was retired", field="clientId", rule="client_retired")
    return {**claims, ORGANIZATION_CLAIM: registration.organization_id}
