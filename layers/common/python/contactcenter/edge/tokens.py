"""JWT verification for our Lambda authorizers, as API Gateway's JWT authorizer does it for HTTP: RS256
signature against the issuer's JWKS, issuer, audience (or Cognito's client_id), expiry. The integration
routes' authorizer also accepts any registered integration's access token (`integration_route_caller`)."""

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
    """Signature, issuer, expiry and audience: a token of one of the configured app clients."""
    claims = verify_signature(token)
    if not has_audience(claims):
        raise Unauthorized("token is for another client", rule="token_audience")
    return claims


def has_audience(claims: dict[str, Any]) -> bool:
    # ID tokens carry the client id in `aud`, access tokens in `client_id` (as API Gateway accepts both).
    audience = claims.get("aud") or claims.get("client_id")
    audiences = audience if isinstance(audience, list) else [audience]
    return bool(set(audiences) & set((environment().jwt_audience or "").split(",")))


def verify_signature(token: str) -> dict[str, Any]:
    """Signature against the issuer's key set, issuer and expiry; the audience is the caller's to check."""
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
    return claims


def integration_route_caller(token: str) -> dict[str, Any]:
    """The verified claims of a caller of an integration route: a person's ID token of the people client,
    or the client-credentials access token of any integration the admin API registered (at run time
    included: no audience list to keep in step). Raises Unauthorized or Forbidden."""
    from contactcenter import identity
    from contactcenter.services.tokens import client_registration

    claims = verify_signature(token)
    if claims.get("token_use") == "id":
        if not has_audience(claims):
            raise Unauthorized("token is for another client", rule="token_audience")
        return claims
    if claims.get("token_use") != "access":
        raise Unauthorized("an ID token or an integration's access token is needed", rule="token_use")
    return identity.integration_caller(claims, client_registration(str(claims.get("client_id") or "")))
