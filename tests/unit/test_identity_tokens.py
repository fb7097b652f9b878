"""Machines' tokens, pure: what the token trigger adds (contactcenter.identity.token_overrides) and how
the edge reads a client-credentials access token (contactcenter.edge.principal)."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.access import Permission, Role
from contactcenter.edge.principal import authorizer_context, principal_from_claims
from contactcenter.errors import Forbidden, Unauthorized
from contactcenter.identity import (
    CLIENT_CREDENTIALS,
    INTEGRATION_SCOPE,
    ORGANIZATION_CLAIM,
    ClientRegistration,
    integration_caller,
    token_overrides,
)

ROUTER = ClientRegistration(client_id="client-1", organization_id="acme")
PEOPLE_TRIGGERS = (
    "TokenGeneration_HostedAuth",
    "TokenGeneration_Authentication",
    "TokenGeneration_NewPasswordChallenge",
    "TokenGeneration_AuthenticateDevice",
    "TokenGeneration_RefreshTokens",
)


def test_a_registered_client_s_access_token_gets_its_organization() -> None:
    assert token_overrides(CLIENT_CREDENTIALS, "client-1", ROUTER) == {
        "accessTokenGeneration": {"claimsToAddOrOverride": {ORGANIZATION_CLAIM: "acme"}}
    }


@pytest.mark.parametrize("trigger_source", PEOPLE_TRIGGERS)
@pytest.mark.parametrize("registration", [None, ROUTER])
def test_people_tokens_are_left_as_cognito_makes_them(
    trigger_source: str, registration: ClientRegistration | None
) -> None:
    assert token_overrides(trigger_source, "client-1", registration) is None


@pytest.mark.parametrize(
    ("client_id", "registration", "rule"),
    [
        ("client-1", None, "unknown_client"),
        ("client-2", ROUTER, "unknown_client"),  # a registration read for another id is not this client's
        ("client-1", ClientRegistration("client-1", "acme", retired=True), "client_retired"),
    ],
)
def test_other_clients_get_no_token(client_id: str, registration: ClientRegistration | None, rule: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        token_overrides(CLIENT_CREDENTIALS, client_id, registration)
    assert (refused.value.rule, refused.value.field) == (rule, "clientId")


def _machine(**claims: Any) -> dict[str, Any]:
    """A client-credentials access token's claims after the trigger, as the HTTP API passes them."""
    return {
        "sub": "client-1",
        "client_id": "client-1",
        "token_use": "access",
        "scope": INTEGRATION_SCOPE,
        ORGANIZATION_CLAIM: "acme",
        **claims,
    }


def test_a_machine_token_is_an_integration_of_its_organization() -> None:
    principal = principal_from_claims(_machine())
    assert (principal.organization_id, principal.user_id) == ("acme", "client-1")
    assert principal.roles == {Role.INTEGRATION}
    assert principal.permissions == {Permission.WORK_REPORT, Permission.ROUTING_READ}


def test_the_integration_scope_among_others_counts() -> None:
    assert principal_from_claims(_machine(scope=f"openid {INTEGRATION_SCOPE}")).roles == {Role.INTEGRATION}


@pytest.mark.parametrize(
    "claims",
    [
        {"scope": f"{INTEGRATION_SCOPE}x"},  # a look-alike scope
        {"scope": ""},
        {"scope": None},
        {"token_use": "id"},  # ID tokens are people's: their roles are their groups
    ],
)
def test_without_the_integration_scope_on_an_access_token_there_is_no_role(claims: dict[str, Any]) -> None:
    principal = principal_from_claims(_machine(**claims))
    assert principal.roles == frozenset() and principal.permissions == frozenset()


def test_groups_when_present_are_the_roles() -> None:
    principal = principal_from_claims(_machine(**{"cognito:groups": "[ADMIN]"}))
    assert principal.roles == {"ADMIN"}


def test_a_machine_token_without_the_trigger_s_organization_is_refused() -> None:
    claims = _machine()
    del claims[ORGANIZATION_CLAIM]
    with pytest.raises(Unauthorized) as refused:
        principal_from_claims(claims)
    assert refused.value.rule == "claims_missing"


def _access(client_id: str = "client-1", scope: str = INTEGRATION_SCOPE, **claims: Any) -> dict[str, Any]:
    return {"sub": client_id, "client_id": client_id, "token_use": "access", "scope": scope, **claims}


def test_the_lambda_authorizer_takes_the_organization_from_the_registration_not_the_token() -> None:
    caller = integration_caller(_access(**{ORGANIZATION_CLAIM: "someone-else"}), ROUTER)
    assert caller[ORGANIZATION_CLAIM] == "acme"
    principal = principal_from_claims(authorizer_context(caller))
    assert principal.roles == {Role.INTEGRATION.value}
    assert Permission.ROUTING_READ in principal.permissions


@pytest.mark.parametrize(
    ("claims", "registration", "rule"),
    [
        (_access(scope="openid"), ROUTER, "scope_missing"),
        (_access(), None, "unknown_client"),
        (_access("client-2"), ROUTER, "unknown_client"),
        (_access(), ClientRegistration("client-1", "acme", retired=True), "client_retired"),
    ],
)
def test_the_lambda_authorizer_refuses_unregistered_retired_or_unscoped_clients(
    claims: dict[str, Any], registration: ClientRegistration | None, rule: str
) -> None:
    with pytest.raises(Forbidden) as refused:
        integration_caller(claims, registration)
    assert refused.value.rule == rule
