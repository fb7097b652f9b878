"""A local identity provider that issues tokens shaped like Cognito user pool ID tokens.

The RSA key is made at start and lives only in memory; the key set is served at
`{issuer}/.well-known/jwks.json` (and the discovery document and OAuth endpoints beside it, local/oidc.py)
by the gateway, so handlers and the gateway's JWT authorizer verify tokens exactly as they verify Cognito's.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_AUDIENCE = "contactcenter-local-client"  # the user pool app client id


@dataclass(frozen=True)
class LocalUser:
    user_id: str  # the token's `sub`
    username: str
    organization_id: str
    roles: tuple[str, ...]  # Cognito groups
    display_name: str = ""
    email: str = ""
    enabled: bool = True


def local_user_from(demo_user: Any) -> LocalUser:
    """Adapts an entry of local.demo.DEMO_USERS (any object with the agreed attributes)."""
    username = str(demo_user.username)
    display_name = getattr(demo_user, "display_name", None) or getattr(demo_user, "name", None) or username
    email = getattr(demo_user, "email", None) or f"{username}@example.com"
    return LocalUser(
        user_id=str(demo_user.user_id),
        username=username,
        organization_id=str(demo_user.organization_id),
        roles=tuple(str(role) for role in demo_user.roles),
        display_name=str(display_name),
        email=str(email),
        enabled=bool(getattr(demo_user, "enabled", True)),
    )


class UnknownUser(KeyError):
    pass


class LocalIssuer:
    def __init__(
        self,
        issuer_url: str,
        *,
        audience: str = DEFAULT_AUDIENCE,
        users: Iterable[LocalUser] = (),
        token_ttl_seconds: int = 3600,
    ) -> None:
        self.issuer = issuer_url.rstrip("/")
        self.audience = audience
        self.token_ttl_seconds = token_ttl_seconds
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex
        self._users = {user.username: user for user in users}

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        # The members of a key in Cognito's key set, nothing more.
        key = {
            "alg": "RS256",
            "e": public["e"],
            "kid": self.key_id,
            "kty": "RSA",
            "n": public["n"],
            "use": "sig",
        }
        return {"keys": [key]}

    @property
    def users(self) -> tuple[LocalUser, ...]:
        return tuple(self._users.values())

    def add_user(self, user: LocalUser) -> None:
        self._users[user.username] = user

    def user(self, username: str) -> LocalUser:
        try:
            return self._users[username]
        except KeyError:
            raise UnknownUser(username) from None

    def claims_for(self, user: LocalUser, *, now: int, expires_in: int) -> dict[str, Any]:
        """The claims of a Cognito ID token for this user."""
        claims: dict[str, Any] = {
            "sub": user.user_id,
            "iss": self.issuer,
            "aud": self.audience,
            "token_use": "id",
            "cognito:username": user.username,
            "custom:organization": user.organization_id,
            "email": user.email or f"{user.username}@example.com",
            "email_verified": True,
            "name": user.display_name or user.username,
            "auth_time": now,
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        }
        if user.roles:  # Cognito leaves the claim out for a user in no group
            claims["cognito:groups"] = list(user.roles)
        return claims

    def mint(
        self,
        user: LocalUser | str,
        *,
        expires_in: int | None = None,
        claims: Mapping[str, Any] | None = None,
        now: int | None = None,
        **overrides: Any,
    ) -> str:
        """A signed ID token. `claims` and keyword overrides replace claims; a None value removes one."""
        subject = self.user(user) if isinstance(user, str) else user
        issued_at = int(time.time()) if now is None else now
        payload = self.claims_for(
            subject,
            now=issued_at,
            expires_in=self.token_ttl_seconds if expires_in is None else expires_in,
        )
        for name, value in {**(claims or {}), **overrides}.items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        return self.sign(payload)

    def sign(self, payload: Mapping[str, Any]) -> str:
        # Cognito's header carries only kid and alg.
        return jwt.encode(dict(payload), self._key, algorithm="RS256", headers={"kid": self.key_id, "typ": None})

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this issuer signed and that has not expired; raises jwt.PyJWTError."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._key.public_key(),
            algorithms=["RS256"],
            issuer=self.issuer,
            options={"require": ["exp"], "verify_aud": False},
        )
        return claims
