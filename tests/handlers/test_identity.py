"""The identity directory's contract, run against both implementations: Cognito (on moto's cognito-idp)
and the local stack's in-memory directory. Plus the admin API on Cognito end to end, and the choice of
implementation by environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import boto3
import pytest

from contactcenter.access import BUILT_IN_ROLES
from contactcenter.environment import MissingSetting
from contactcenter.errors import Conflict, NotFound
from contactcenter.identity import IdentityDirectory, NewUser
from contactcenter.store import clients, identities
from contactcenter.store.identity_cognito import CognitoIdentityDirectory
from contactcenter.store.identity_local import LocalIdentity, LocalIdentityDirectory, local_directory
from functions.admin import app as admin
from tests.handlers.conftest import body_of
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization


class Inspector(Protocol):
    """What a test reads back from the provider, to see the directory did what it said."""

    def user(self, subject: str) -> dict[str, Any]: ...  # organization, name, email, roles, enabled

    def client_exists(self, client_id: str) -> bool: ...


class CognitoInspector:
    def __init__(self, pool: str) -> None:
        self.pool, self.client = pool, boto3.client("cognito-idp")

    def user(self, subject: str) -> dict[str, Any]:
        user = self.client.admin_get_user(UserPoolId=self.pool, Username=subject)
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        groups = self.client.admin_list_groups_for_user(UserPoolId=self.pool, Username=subject)["Groups"]
        return {
            "organization": attributes.get("custom:organization"),
            "name": attributes.get("name"),
            "email": attributes.get("email"),
            "roles": sorted(g["GroupName"] for g in groups),
            "enabled": user["Enabled"],
        }

    def client_exists(self, client_id: str) -> bool:
        try:
            self.client.describe_user_pool_client(UserPoolId=self.pool, ClientId=client_id)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True


class LocalInspector:
    def __init__(self, directory: LocalIdentityDirectory) -> None:
        self.directory = directory

    def user(self, subject: str) -> dict[str, Any]:
        identity = self.directory.identity(subject)
        assert identity is not None
        return {
            "organization": identity.organization_id,
            "name": identity.display_name,
            "email": identity.email,
            "roles": sorted(identity.roles),
            "enabled": identity.enabled,
        }

    def client_exists(self, client_id: str) -> bool:
        identity = self.directory.identity(client_id)
        return identity is not None and identity.enabled


def make_pool() -> str:
    """A user pool shaped as infra/constructs/identity.py makes it: email sign-in, role groups."""
    client = boto3.client("cognito-idp")
    pool = str(
        client.create_user_pool(
            PoolName="people",
            UsernameAttributes=["email"],
            Schema=[{"Name": "organization", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
    )
    for role in BUILT_IN_ROLES:
        client.create_group(UserPoolId=pool, GroupName=role)
    return pool


@pytest.fixture(params=["cognito", "local"])
def provider(request: pytest.FixtureRequest, aws: None) -> Iterator[tuple[IdentityDirectory, Inspector]]:
    if request.param == "cognito":
        pool = make_pool()
        yield CognitoIdentityDirectory(pool), CognitoInspector(pool)
    else:
        directory = LocalIdentityDirectory()
        yield directory, LocalInspector(directory)


ANA = NewUser(organization_id="acme", email="ana@acme.example.com", display_name="Ana", roles=frozenset({"AGENT"}))


def test_a_user_is_created_with_groups_and_organization(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, inspect = provider
    subject = directory.create_user(ANA).subject
    assert inspect.user(subject) == {
        "organization": "acme",
        "name": "Ana",
        "email": "ana@acme.example.com",
        "roles": ["AGENT"],
        "enabled": True,
    }


def test_a_retried_creation_adopts_the_user(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, inspect = provider
    first = directory.create_user(ANA)
    again = directory.create_user(NewUser("acme", ANA.email, "Ana B.", frozenset({"AGENT", "SUPERVISOR"})))
    assert (first.adopted, again.subject, again.adopted) == (False, first.subject, True)
    # Left as it was: the caller brings it in line once it knows the person is new.
    assert (inspect.user(first.subject)["roles"], inspect.user(first.subject)["name"]) == (["AGENT"], "Ana")


def test_an_email_of_another_organization_is_taken(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, _ = provider
    directory.create_user(ANA)
    with pytest.raises(Conflict) as refused:
        directory.create_user(NewUser("globex", ANA.email, "Ana", frozenset({"AGENT"})))
    assert (refused.value.rule, refused.value.field) == ("email_taken", "email")


def test_a_user_gets_exactly_the_roles_given_custom_ones_included(
    provider: tuple[IdentityDirectory, Inspector],
) -> None:
    directory, inspect = provider
    subject = directory.create_user(ANA).subject
    directory.update_user("acme", subject, display_name="Ana B.", roles=frozenset({"SUPERVISOR", "COACHEE"}))
    user = inspect.user(subject)
    assert (user["name"], user["roles"]) == ("Ana B.", ["COACHEE", "SUPERVISOR"])


def test_a_disabled_user_stays_but_cannot_sign_in(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, inspect = provider
    subject = directory.create_user(ANA).subject
    directory.disable_user("acme", subject)
    assert inspect.user(subject)["enabled"] is False


def test_another_organization_cannot_touch_a_user(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, inspect = provider
    subject = directory.create_user(ANA).subject
    with pytest.raises(NotFound):
        directory.update_user("globex", subject, display_name="Mine", roles=frozenset({"ADMIN"}))
    with pytest.raises(NotFound):
        directory.disable_user("globex", subject)
    assert inspect.user(subject)["enabled"] is True
    assert inspect.user(subject)["roles"] == ["AGENT"]


def test_machine_credentials_are_made_and_revoked(provider: tuple[IdentityDirectory, Inspector]) -> None:
    directory, inspect = provider
    credentials = directory.create_client("acme", "Router")
    assert credentials.client_id and credentials.client_secret
    assert inspect.client_exists(credentials.client_id)
    with pytest.raises(NotFound):
        directory.revoke_client("globex", credentials.client_id)
    directory.revoke_client("acme", credentials.client_id)
    assert not inspect.client_exists(credentials.client_id)


def test_cognito_gives_clients_the_client_credentials_flow_only(aws: None) -> None:
    pool = make_pool()
    credentials = CognitoIdentityDirectory(pool).create_client("acme", "Router")
    described = boto3.client("cognito-idp").describe_user_pool_client(UserPoolId=pool, ClientId=credentials.client_id)
    client = described["UserPoolClient"]
    assert client["AllowedOAuthFlows"] == ["client_credentials"]
    assert client["AllowedOAuthScopes"] == ["contactcenter/integration"]
    assert client["ClientName"] == "acme@Router"


def test_the_local_directory_tells_its_listeners(aws: None) -> None:
    directory = LocalIdentityDirectory([LocalIdentity("u-1", "ana", "acme", ("AGENT",), "Ana", "ana@x.example.com")])
    heard: list[LocalIdentity] = []
    directory.subscribe(heard.append)
    created = directory.create_user(NewUser("acme", "ana@x.example.com", "Ana", frozenset({"AGENT"})))
    assert created.subject == "u-1" and created.adopted  # known already: adopted under its subject
    directory.update_user("acme", "u-1", display_name="Ana", roles=frozenset({"AGENT", "SUPERVISOR"}))
    credentials = directory.create_client("acme", "Router")
    directory.revoke_client("acme", credentials.client_id)
    assert [(i.user_id, i.roles, i.machine, i.enabled) for i in heard] == [
        ("u-1", ("AGENT", "SUPERVISOR"), False, True),
        (credentials.client_id, ("INTEGRATION",), True, True),
        (credentials.client_id, ("INTEGRATION",), True, False),
    ]


# --- which directory -----------------------------------------------------------------------------


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("IDENTITY_PROVIDER", raising=False)
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    identities.directory.cache_clear()
    yield monkeypatch
    identities.directory.cache_clear()


def test_the_directory_is_chosen_by_environment(chosen: pytest.MonkeyPatch) -> None:
    assert identities.directory() is local_directory()
    chosen.setenv("USER_POOL_ID", "us-east-1_pool")
    identities.directory.cache_clear()
    cognito = identities.directory()
    assert isinstance(cognito, CognitoIdentityDirectory) and cognito.user_pool_id == "us-east-1_pool"
    chosen.setenv("IDENTITY_PROVIDER", "local")
    identities.directory.cache_clear()
    assert identities.directory() is local_directory()


@pytest.mark.parametrize(("provider_name", "pool"), [("cognito", None), ("ldap", "us-east-1_pool")])
def test_a_directory_that_cannot_be_made_fails_fast(
    chosen: pytest.MonkeyPatch, provider_name: str, pool: str | None
) -> None:
    chosen.setenv("IDENTITY_PROVIDER", provider_name)
    if pool:
        chosen.setenv("USER_POOL_ID", pool)
    with pytest.raises(MissingSetting):
        identities.directory()


# --- the admin API on Cognito --------------------------------------------------------------------


@pytest.fixture
def pool(acme: Organization, chosen: pytest.MonkeyPatch) -> str:
    pool = make_pool()
    chosen.setenv("IDENTITY_PROVIDER", "cognito")
    chosen.setenv("USER_POOL_ID", pool)
    return pool


def test_the_admin_api_creates_people_and_integrations_in_the_user_pool(pool: str, context: Any) -> None:
    claims = claims_for("ada", "acme", "ADMIN")
    body = {"email": "zoe@acme.example.com", "displayName": "Zoe", "roles": ["AGENT"], "units": ["north"]}
    created = admin.handler(http_event("POST", "/admin/people", body=body, claims=claims), context)
    assert created["statusCode"] == 201, created
    zoe = body_of(created)
    assert CognitoInspector(pool).user(zoe["userId"]) == {
        "organization": "acme",
        "name": "Zoe",
        "email": "zoe@acme.example.com",
        "roles": ["AGENT"],
        "enabled": True,
    }
    integration = admin.handler(
        http_event("POST", "/admin/integrations", body={"name": "Router"}, claims=claims), context
    )
    assert CognitoInspector(pool).client_exists(body_of(integration)["credentials"]["clientId"])
    assert clients.cognito() is clients.cognito()  # one client per execution environment
