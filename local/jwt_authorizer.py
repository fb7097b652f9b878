"""The HTTP API's JWT authorizer: validates a bearer token the way API Gateway does before a route runs.

API Gateway's documented workflow: take the token from the identity source (the Authorization header,
with or without "Bearer "), decode it, check the algorithm and the signature against the issuer's key
set (RSA algorithms only), then the claims: kid names a published key, iss equals the issuer, aud (or
client_id when there is no aud) is one of the audiences, exp is in the future, nbf and iat are not.
Any failure is 401 {"message":"Unauthorized"} with a www-authenticate header, and the route's function
is not invoked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


class Unauthorized(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    @property
    def www_authenticate(self) -> str:
        # The form API Gateway answers with, e.g. error_description="the token has expired".
        return f'Bearer scope="" error="invalid_token" error_description="{self.description}"'


@dataclass(frozen=True)
class JwtAuthorizer:
    issuer: str
    audiences: tuple[str, ...]
    jwks: Callable[[], Mapping[str, Any]]  # the issuer's key set

    def authorize(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of the token in an Authorization header value; raises Unauthorized."""
        token = _token_from(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise Unauthorized(f"signing method {algorithm} is invalid")
        key = self._key(header.get("kid"), algorithm)
        claims = self._decode(token, key, algorithm)
        if claims.get("iss") != self.issuer:
            raise Unauthorized("the token does not have a valid issuer")
        if not self._audience_matches(claims):
            raise Unauthorized("the token does not have a valid audience")
        return claims

    def _key(self, kid: Any, algorithm: str) -> Any:
        for jwk in self.jwks().get("keys", ()):
            if jwk.get("kid") == kid:
                try:
                    return jwt.PyJWK(dict(jwk), algorithm=algorithm).key
                except jwt.PyJWTError:
                    break
        raise Unauthorized("the token's kid names no key of the issuer")

    @staticmethod
    def _decode(token: str, key: Any, algorithm: str) -> dict[str, Any]:
        # exp, nbf and iat are checked against the real clock with no leeway; iss and aud below.
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("the token is not valid yet") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token signature is invalid") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is invalid: {exc}") from None
        return claims

    def _audience_matches(self, claims: Mapping[str, Any]) -> bool:
        # API Gateway evaluates aud when present and client_id only when aud is absent.
        if "aud" in claims:
            audience = claims["aud"]
            values = audience if isinstance(audience, list) else [audience]
            return any(value in self.audiences for value in values)
        return claims.get("client_id") in self.audiences


def _token_from(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise Unauthorized("the token is missing")
    value = authorization.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise Unauthorized("the token is missing")
    return value


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as requestContext.authorizer.jwt.claims carries them: every value a string.

    Measured on HTTP APIs: strings as they are, numbers and booleans as JSON text, arrays as
    "[a b c]" (space-separated in brackets, not JSON), null claims left out, objects as JSON text.
    """
    rendered: dict[str, str] = {}
    for name, value in claims.items():
        if value is None:
            continue
        if isinstance(value, str):
            rendered[name] = value
        elif isinstance(value, list):
            rendered[name] = "[" + " ".join(_render_item(item) for item in value) + "]"
        else:
            rendered[name] = json.dumps(value, separators=(",", ":"))
    return rendered


def _render_item(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
