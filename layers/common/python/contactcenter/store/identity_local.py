"""The identity directory of the local stack: people and machine clients kept in memory, for the local
issuer to mint tokens for. One directory per process (the local runtime runs every handler in-process).

The local stack subscribes to it (`local_directory().subscribe(listener)`) and is told of every
identity created or changed; `LocalIdentity` has the attributes `local.issuer.local_user_from` reads.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache

from contactcenter.errors import Conflict, NotFound
from contactcenter.identity import CreatedUser, MachineCredentials, NewUser

_NAMESPACE = uuid.UUID("6f1d3c2e-8a43-4f57-9a51-1d0c5e0b7a10")


@dataclass(frozen=True)
class LocalIdentity:
    user_id: str  # the token's `sub`
    username: str
    organization_id: str
    roles: tuple[str, ...]  # the token's `cognito:groups`
    display_name: str = ""
    email: str = ""
    enabled: bool = True
    machine: bool = False  # an integration client: `user_id` is its client id
    client_secret: str | None = None


Listener = Callable[[LocalIdentity], None]


class LocalIdentityDirectory:
    def __init__(self, identities: Iterable[LocalIdentity] = ()) -> None:
        self._lock = threading.Lock()
        self._by_subject: dict[str, LocalIdentity] = {}
        self._listeners: list[Listener] = []
        for identity in identities:
            self.register(identity)

    # --- for the local stack ---------------------------------------------------------------------

    def register(self, identity: LocalIdentity) -> None:
        """An identity that exists already (a demo user the issuer was started with)."""
        with self._lock:
            self._by_subject[identity.user_id] = identity

    def subscribe(self, listener: Listener) -> None:
        """`listener` is called with every identity created or changed from now on."""
        with self._lock:
            self._listeners.append(listener)

    @property
    def identities(self) -> tuple[LocalIdentity, ...]:
        with self._lock:
            return tuple(self._by_subject.values())

    def identity(self, subject: str) -> LocalIdentity | None:
        with self._lock:
            return self._by_subject.get(subject)

    # --- IdentityDirectory -----------------------------------------------------------------------

    def create_user(self, user: NewUser) -> CreatedUser:
        with self._lock:
            existing = next((i for i in self._by_subject.values() if i.email and i.email == user.email), None)
        if existing is not None:
            if existing.organization_id != user.organization_id:
                raise Conflict("this email belongs to someone else", field="email", rule="email_taken")
            return CreatedUser(existing.user_id, adopted=True)
        identity = LocalIdentity(
            user_id=str(uuid.uuid5(_NAMESPACE, user.email)),
            username=user.email,
            organization_id=user.organization_id,
            roles=tuple(sorted(user.roles)),
            display_name=user.display_name,
            email=user.email,
        )
        self._store(identity)
        return CreatedUser(identity.user_id)

    def update_user(self, organization_id: str, subject: str, *, display_name: str, roles: frozenset[str]) -> None:
        current = self._of(organization_id, subject)
        self._store(replace(current, display_name=display_name, roles=tuple(sorted(roles))))

    def disable_user(self, organization_id: str, subject: str) -> None:
        self._store(replace(self._of(organization_id, subject), enabled=False))

    def create_client(self, organization_id: str, name: str) -> MachineCredentials:
        credentials = MachineCredentials(client_id=secrets.token_hex(13), client_secret=secrets.token_urlsafe(32))
        self._store(
            LocalIdentity(
                user_id=credentials.client_id,
                username=credentials.client_id,
                organization_id=organization_id,
                roles=("INTEGRATION",),
                display_name=name,
                machine=True,
                client_secret=credentials.client_secret,
            )
        )
        return credentials

    def revoke_client(self, organization_id: str, client_id: str) -> None:
        self._store(replace(self._of(organization_id, client_id), enabled=False))

    def _of(self, organization_id: str, subject: str) -> LocalIdentity:
        found = self.identity(subject)
        if found is None or found.organization_id != organization_id:
            raise NotFound("no such user in this organization", field="userId", rule="unknown_person")
        return found

    def _store(self, identity: LocalIdentity) -> None:
        with self._lock:
            self._by_subject[identity.user_id] = identity
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener(identity)


@cache
def local_directory() -> LocalIdentityDirectory:
    """The process's directory: the handlers the local runtime runs and the local stack share it."""
    return LocalIdentityDirectory()
