"""The user pool's pre token generation trigger (functions/identity/tokens.py) on moto: an integration
created through the admin API gets its organization into its client-credentials access tokens, and
that token is then a principal of that organization with the INTEGRATION role; unknown and retired
clients get no token; people's sign-ins pass through untouched, without a single request."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from contactcenter.administration import IdentityKind, PersonRecord, person_audit
from contactcenter.errors import Conflict, Unauthorized
from contactcenter.people import Person
from contactcenter.store import clients, identities, organizations
from contactcenter.store.identity_local import local_directory
from functions.admin import app as admin
from functions.identity import tokens
from functions.status import app as status
from tests.handlers.conftest import TABLE, body_of
from tests.handlers.test_identity import make_pool
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event, token_generation_event
from tests.support.organizations import Organization

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PEOPLE_TRIGGERS = (
    "TokenGeneration_HostedAuth",
    "TokenGeneration_Authentication",
    "TokenGeneration_NewPasswordChallenge",
    "TokenGeneration_AuthenticateDevice",
    "TokenGeneration_RefreshTokens",
)


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local identity directory, fresh per test (a test on Cognito switches to a moto pool)."""
    monkeypatch.setenv("IDENTITY_PROVIDER", "local")
    monkeypatch.delenv("USER_POOL_ID", raising=False)
    local_directory.cache_clear()
    identities.directory.cache_clear()
    yield
    local_directory.cache_clear()
    identities.directory.cache_clear()


def _admin(context: Any, method: str, path: str, route: str | None = None, **options: Any) -> dict[str, Any]:
    org = options.pop("org", "acme")
    event = http_event(method, path, route=route, claims=claims_for("ada", org, "ADMIN"), **options)
    response: dict[str, Any] = admin.handler(event, context)
    return response


def _integration(context: Any, org: str = "acme") -> str:
    created = _admin(context, "POST", "/admin/integrations", body={"name": "Router"}, org=org)
    assert created["statusCode"] == 201, created
    return str(body_of(created)["credentials"]["clientId"])


def _items() -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=TABLE)["Items"])


def _access_token_claims(client_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """What Cognito puts in a client-credentials access token, with the trigger's claims applied, as the
    HTTP API's JWT authorizer hands them on (strings)."""
    added = event["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"]
    return {
        "sub": client_id,
        "client_id": client_id,
        "token_use": "access",
        "scope": " ".join(event["request"]["scopes"]),
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE",
        **added,
    }


def test_an_integration_token_carries_its_organization_and_reaches_the_integration_routes(
    acme: Organization, context: Any
) -> None:
    client_id = _integration(context)
    counter = RequestCounter(clients.dynamodb())
    answered = tokens.handler(token_generation_event(client_id), context)
    assert counter.calls == ["GetItem"]  # one strongly consistent read of the client's registration
    assert answered["response"] == {
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"claimsToAddOrOverride": {"custom:organization": "acme"}}
        }
    }
    # The event goes back otherwise as it came (Cognito reads only the response).
    expected = token_generation_event(client_id)
    assert {k: v for k, v in answered.items() if k != "response"} == {
        k: v for k, v in expected.items() if k != "response"
    }

    claims = _access_token_claims(client_id, answered)
    routable = status.handler(
        http_event(
            "GET",
            "/queues/support-line/routable-agents",
            route="/queues/{queueId}/routable-agents",
            claims=claims,
        ),
        context,
    )
    assert routable["statusCode"] == 200, routable
    # Without the trigger's claim the same token names no organization: refused, as before this trigger.
    bare = {k: v for k, v in claims.items() if k != "custom:organization"}
    refused = status.handler(
        http_event(
            "GET", "/queues/support-line/routable-agents", route="/queues/{queueId}/routable-agents", claims=bare
        ),
        context,
    )
    assert refused["statusCode"] == 401
    assert body_of(refused)["error"]["rule"] == "claims_missing"


def test_each_organization_s_client_gets_its_own_organization(
    acme: Organization, globex: Organization, context: Any
) -> None:
    ours, theirs = _integration(context, "acme"), _integration(context, "globex")
    for client_id, org in ((ours, "acme"), (theirs, "globex")):
        details = tokens.handler(token_generation_event(client_id), context)["response"]
        assert details["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"] == {
            "custom:organization": org
        }


@pytest.mark.parametrize("client_id", ["1example23456789", "ada", ""])
def test_a_client_no_organization_registered_gets_no_token(acme: Organization, context: Any, client_id: str) -> None:
    """The stack's own IntegrationClient, a person's id, or no client id at all: refused, nothing written."""
    before = _items()
    with pytest.raises(Unauthorized) as refused:
        tokens.handler(token_generation_event(client_id), context)
    assert (refused.value.rule, refused.value.field) == ("unknown_client", "clientId")
    assert _items() == before


def test_a_retired_integration_gets_no_token(acme: Organization, context: Any) -> None:
    client_id = _integration(context)
    retired = _admin(
        context, "DELETE", f"/admin/people/{client_id}", "/admin/people/{userId}", headers={"If-Match": "1"}
    )
    assert retired["statusCode"] == 200, retired
    with pytest.raises(Unauthorized) as refused:
        tokens.handler(token_generation_event(client_id), context)
    assert refused.value.rule == "client_retired"


def test_a_registration_cannot_be_taken_over_by_another_organization(
    acme: Organization, globex: Organization, context: Any
) -> None:
    """Client ids are Cognito's and unique; should one ever be written for another organization, the
    registration's condition refuses the whole write."""
    client_id = _integration(context, "globex")
    before = _items()
    record = PersonRecord(
        person=Person(
            organization_id="acme", user_id=client_id, display_name="Thief", roles=frozenset({"INTEGRATION"})
        ),
        version=1,
        kind=IdentityKind.CLIENT,
    )
    audit = person_audit(None, record, action="integration.create", actor_id="ada", at=NOW)
    with pytest.raises(Conflict):
        organizations.save_person(organizations.read_settings("acme"), None, record, audit)
    assert _items() == before
    details = tokens.handler(token_generation_event(client_id), context)["response"]
    assert details["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"] == {
        "custom:organization": "globex"
    }


@pytest.mark.parametrize("trigger_source", PEOPLE_TRIGGERS)
def test_people_tokens_pass_untouched_without_a_request(acme: Organization, context: Any, trigger_source: str) -> None:
    event = token_generation_event(
        "people-client",
        trigger_source=trigger_source,
        user_attributes={"sub": "ana", "custom:organization": "acme", "email": "ana@acme.example.com"},
        groups=["AGENT"],
    )
    counter = RequestCounter(clients.dynamodb())
    answered = tokens.handler(copy.deepcopy(event), context)
    assert answered == event
    assert counter.calls == []


def test_a_person_event_without_a_caller_context_still_passes(acme: Organization, context: Any) -> None:
    event = token_generation_event("people-client", trigger_source="TokenGeneration_RefreshTokens")
    del event["callerContext"]
    assert tokens.handler(copy.deepcopy(event), context) == event


def test_an_integration_created_in_the_user_pool_is_registered_for_the_trigger(
    acme: Organization, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path on Cognito (moto's user pool), as the deployed admin function runs it."""
    pool = make_pool()
    monkeypatch.setenv("IDENTITY_PROVIDER", "cognito")
    monkeypatch.setenv("USER_POOL_ID", pool)
    identities.directory.cache_clear()
    client_id = _integration(context)
    described = boto3.client("cognito-idp").describe_user_pool_client(UserPoolId=pool, ClientId=client_id)
    assert described["UserPoolClient"]["AllowedOAuthScopes"] == ["contactcenter/integration"]
    details = tokens.handler(token_generation_event(client_id), context)["response"]
    assert details["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"] == {
        "custom:organization": "acme"
    }
    registration = [item for item in _items() if item["pk"]["S"] == f"CLIENT#{client_id}"]
    assert [(i["entity"]["S"], i["organizationId"]["S"], i["retired"]["BOOL"]) for i in registration] == [
        ("IntegrationClient", "acme", False)
    ]
