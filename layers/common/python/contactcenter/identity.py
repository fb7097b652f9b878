"""Who can sign in: the one interface over the identity provider (Cognito in production, the local
issuer's directory on the local stack). The admin services call it; the implementations live in store/.

A person's `subject` is the token's `sub`, the id every item of theirs is keyed by. Machine clients
(integrations) sign in with client credentials; their subject is the client id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
