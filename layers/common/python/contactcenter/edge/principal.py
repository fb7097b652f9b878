"""Verified token claims -> Principal. API Gateway's JWT authorizer (HTTP) or our Lambda authorizer
(WebSocket) has already checked signature, issuer, audience and expiry before these are read.

People present ID tokens: roles are their groups (`cognito:groups`), the organization their attribute.
Integrations present client-credentials access tokens: no groups, the scope `contactcenter/integration`
(only integration app clients may ask for it), and the organization the token trigger put there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from contactcenter.access import BUILT_IN_ROLES, Permission, Principal, Role, permissions_for
from contactcenter.errors import Unauthorized
from contactcenter.identity import INTEGRATION_SCOPE, ORGANIZATION_CLAIM

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


def principal_from_http_event(event: Mapping[str, Any]) -> Principal:
    claims = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims")
    if not claims:
        raise Unauthorized("no verified token", rule="token_missing")
    return principal_from_claims(claims)


def has_custom_roles(principal: Principal) -> bool:
    """The token names a role that is not built in: its permissions are the organization's to say."""
    return not principal.roles <= BUILT_IN_ROLES.keys()


def with_custom_roles(principal: Principal, custom_roles: Mapping[str, frozenset[Permission]]) -> Principal:
    return replace(principal, permissions=permissions_for(principal.roles, custom_roles))


def with_organization_roles(principal: Principal) -> Principal:
    """The permissions of the custom roles the caller holds, as the organization defines them now. Only
    a token naming a custom role costs the (cached) settings read: built-in roles cost no request."""
    if not has_custom_roles(principal):
        return principal
    from contactcenter.services.administration import custom_roles

    return with_custom_roles(principal, custom_roles(principal.organization_id))


def principal_from_socket_event(event: Mapping[str, Any]) -> Principal:
    """The caller of a WebSocket route, from the context our $connect authorizer returned (the token was
    verified there; API Gateway hands the context to every later route of the connection)."""
    context = event.get("requestContext", {}).get("authorizer") or {}
    if not context.get("organizationId") or not context.get("userId"):
        raise Unauthorized("no verified caller", rule="token_missing")
    roles = frozenset(r for r in str(context.get("roles", "")).split(",") if r)
    principal = Principal(
        organization_id=str(context["organizationId"]),
        user_id=str(context["userId"]),
        roles=roles,
        permissions=permissions_for(roles),
    )
    return with_organization_roles(principal)
