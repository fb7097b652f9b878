"""JWT verification for the WebSocket authorizer, as API Gateway's JWT authorizer does it for HTTP:
RS256 signature against the issuer's JWKS, issuer, audience (or Cognito's client_id), expiry."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt

from contactcenter.environment import environment
from contactcenter.errors import Unauthorized


@cache
def _keys(jwks_url: str) -> jwt.PyJWKClient:
    # The client caches the key set; a new `kid` triggers one refetch.
    return jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=3)


def verify(token: str) -> dict[str, Any]:
    env = environment()
    if not (env.jwks_url and env.jwt_issuer and env.jwt_audience):
        raise Unauthorized("token verification is not configured", rule="verifier_missing")
    try:
        key = _keys(env.jwks_url).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=env.jwt_issuer,
            options={"require": ["exp", "iss", "sub"], "verify_aud": False},
        )
    except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
        raise Unauthorized(f"invalid token: {error}", rule="token_invalid") from error
    # ID tokens carry the client id in `aud`, access tokens in `client_id` (as API Gateway accepts both).
    audience = claims.get("aud") or claims.get("client_id")
    audiences = audience if isinstance(audience, list) else [audience]
    if not set(audiences) & set(env.jwt_audience.split(",")):
        raise Unauthorized("token is for another client", rule="token_audience")
    return claims
