"""Verified token claims -> Principal. API Gateway's JWT authorizer (HTTP) or our Lambda authorizer
(WebSocket) has already checked signature, issuer, audience and expiry before these are read.

The token proves who calls; the person's record says what they may do. Every request and socket action
is authorized against the record as it stands (roles, units supervised, retired) and the organization
(disabled, its custom roles), both read through the store's short cache (SETTINGS_CACHE_SECONDS, 30 s):
a demotion, a retirement or a disabled organization takes effect within that bound everywhere, at once
in the environment that made the change. The roles a token names are not used.

People present ID tokens: roles are their groups (`cognito:groups`), the organization their attribute.
Integrations present client-credentials access tokens: no groups, the scope `contactcenter/integration`
(only integration app clients may ask for it), and the organization the token trigger put there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contactcenter.access import Principal, Role, permissions_for
from contactcenter.errors import Forbidden, NotFound, Unauthorized
from contactcenter.identity import INTEGRATION_SCOPE, ORGANIZATION_CLAIM
from contactcenter.people import principal_of

GROUPS_CLAIM = "cognito:groups"


def parse_groups(value: Any) -> frozenset[str]:
    """Cognito groups arrive as a JSON list in the token, but HTTP API renders array claims as "[a b]"."""
    if value is None:
        return frozenset()
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value)
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(part.strip().strip('"') for part in text.replace(",", " ").split() if part.strip())


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    organization_id = claims.get(ORGANIZATION_CLAIM)
    user_id = claims.get("sub")
    if not organization_id or not user_id:
        raise Unauthorized("the token carries no organization or subject", rule="claims_missing")
    roles = parse_groups(claims.get(GROUPS_CLAIM)) or machine_roles(claims)
    return Principal(
        organization_id=str(organization_id),
        user_id=str(user_id),
        roles=roles,
        permissions=permissions_for(roles),
    )


def machine_roles(claims: Mapping[str, Any]) -> frozenset[str]:
    """A client-credentials access token carries no groups; its integration scope makes it INTEGRATION."""
    if claims.get("token_use") != "access":
        return frozenset()
    scopes = str(claims.get("scope") or "").split()
    return frozenset({Role.INTEGRATION.value}) if INTEGRATION_SCOPE in scopes else frozenset()


# The claims a principal is made of: what our HTTP Lambda authorizer passes on as its context.
PRINCIPAL_CLAIMS = ("sub", ORGANIZATION_CLAIM, GROUPS_CLAIM, "token_use", "scope", "client_id")


def authorizer_context(claims: Mapping[str, Any]) -> dict[str, str]:
    """A Lambda authorizer's context (strings only), read back by principal_from_http_event as the JWT
    authorizer's claims are: groups rendered "[a b]" as HTTP API renders array claims."""
    context: dict[str, str] = {}
    for name in PRINCIPAL_CLAIMS:
        value = claims.get(name)
        if value is None:
            continue
        context[name] = "[" + " ".join(str(v) for v in value) + "]" if isinstance(value, list) else str(value)
    return context


def principal_from_http_event(event: Mapping[str, Any]) -> Principal:
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    # The JWT authorizer's verified claims, or our Lambda authorizer's context (integration routes).
    claims = (authorizer.get("jwt") or {}).get("claims") or authorizer.get("lambda")
    if not claims:
        raise Unauthorized("no verified token", rule="token_missing")
    return principal_from_claims(claims)


def as_recorded(identity: Principal) -> Principal:
    """The caller as their person record and their organization stand now; refused (403) when the
    organization is unknown or disabled, or the person unknown to it or retired."""
    from contactcenter.store import organizations as organization_store

    try:
        settings = organization_store.get_settings(identity.organization_id)
    except NotFound as error:
        raise Forbidden("this organization is not served here", rule="unknown_organization") from error
    standing = organization_store.get_standing(identity.organization_id, identity.user_id)
    return principal_of(
        standing.person if standing else None,
        retired=bool(standing and standing.retired),
        organization_disabled=settings.disabled,
        custom_roles=settings.custom_roles,
    )


# Platform operators' tokens name this organization; none exists (services/platform.py refuses the id).
PLATFORM_ORGANIZATION = "platform"


def as_operator(identity: Principal) -> Principal | None:
    """A platform operator has no organization and no person record: the token's OPERATOR group (which no
    organization can give: access.RESERVED_ROLE_NAMES) in the platform organization is the whole of it."""
    if identity.organization_id != PLATFORM_ORGANIZATION or Role.OPERATOR not in identity.roles:
        return None
    roles = frozenset({Role.OPERATOR.value})
    return Principal(identity.organization_id, identity.user_id, roles, permissions_for(roles))


def check_organization_enabled(identity: Principal) -> None:
    """For the authorizers, before any function: a disabled organization's callers are refused (403
    `organization_disabled`); settings are read through the store's 30 s cache."""
    from contactcenter.store import organizations as organization_store

    try:
        disabled = organization_store.get_settings(identity.organization_id).disabled
    except NotFound:
        return  # the platform operators' (or an unknown) organization: the functions decide
    if disabled:
        raise Forbidden("this organization is disabled", field="organization", rule="organization_disabled")


EXPIRES_AT = "expiresAt"  # the authorizer context's key for the token's expiry (epoch seconds)


def principal_from_socket_event(event: Mapping[str, Any]) -> Principal:
    """The caller of a WebSocket route, from the context our $connect authorizer returned (the token was
    verified there; API Gateway hands the context to every later route of the connection), as recorded."""
    context = event.get("requestContext", {}).get("authorizer") or {}
    if not context.get("organizationId") or not context.get("userId"):
        raise Unauthorized("no verified caller", rule="token_missing")
    identity = Principal(
        organization_id=str(context["organizationId"]),
        user_id=str(context["userId"]),
        roles=frozenset(),
        permissions=frozenset(),
    )
    return as_recorded(identity)


def token_expiry(event: Mapping[str, Any]) -> int | None:
    """When the token the connection was opened with expires (epoch seconds), from the authorizer context."""
    value = (event.get("requestContext", {}).get("authorizer") or {}).get(EXPIRES_AT)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
