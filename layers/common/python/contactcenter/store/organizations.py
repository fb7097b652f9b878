"""The organization aggregate: its settings item and its people.

Keys:
  settings   pk=ORG#{org}         sk=SETTINGS   (one item: everything a change needs; read with one request)
  person     pk=ORG#{org}         sk=PERSON#{user}
  directory  pk=ORGANIZATIONS     sk=ORG#{org}  (lets scheduled jobs list the organizations)
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.errors import NotFound
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

_cache: dict[str, tuple[float, OrganizationSettings]] = {}
_people: dict[tuple[str, str], tuple[float, Person]] = {}


def _settings_key(organization_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}"}, "sk": {"S": "SETTINGS"}}


def _person_key(organization_id: str, user_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}"}, "sk": {"S": f"PERSON#{user_id}"}}


def get_settings(organization_id: str, *, client: Any = None, fresh: bool = False) -> OrganizationSettings:
    """One GetItem, cached for a few seconds per execution environment (settings change rarely)."""
    cached = _cache.get(organization_id)
    if cached and not fresh and cached[0] > time.monotonic():
        return cached[1]
    client = client or clients.dynamodb()
    item = client.get_item(TableName=environment().table_name, Key=_settings_key(organization_id)).get("Item")
    if not item:
        raise NotFound(f"organization {organization_id!r} does not exist", rule="unknown_organization")
    settings = OrganizationSettings.model_validate_json(from_item(item)["settings"])
    _cache[organization_id] = (time.monotonic() + environment().settings_cache_seconds, settings)
    return settings


def put_settings(settings: OrganizationSettings, *, expected_version: int | None, client: Any = None) -> None:
    """Write with optimistic locking: `expected_version` None creates, else must match the stored one."""
    client = client or clients.dynamodb()
    item = {
        **_settings_key(settings.organization_id),
        **to_item(
            {
                "entity": "OrganizationSettings",
                "organizationId": settings.organization_id,
                "version": settings.version,
                "settings": settings.model_dump_json(),
            }
        ),
    }
    table = environment().table_name
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "version = :expected"
        put["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
    directory = {
        "pk": {"S": "ORGANIZATIONS"},
        "sk": {"S": f"ORG#{settings.organization_id}"},
        **to_item(
            {
                "entity": "OrganizationEntry",
                "organizationId": settings.organization_id,
                "timeZone": settings.time_zone,
            }
        ),
    }
    try:
        client.transact_write_items(TransactItems=[{"Put": put}, {"Put": {"TableName": table, "Item": directory}}])
    except ClientError as error:
        raise translate(error, conflict_message="the settings changed meanwhile: reload and retry") from error
    _cache.pop(settings.organization_id, None)


def get_person(organization_id: str, user_id: str, *, client: Any = None, cached: bool = False) -> Person:
    """`cached` allows an answer read here a few seconds ago (who supervises what changes rarely)."""
    hit = _people.get((organization_id, user_id))
    if cached and hit and hit[0] > time.monotonic():
        return hit[1]
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_person_key(organization_id, user_id), ConsistentRead=True
    ).get("Item")
    if not item:
        raise NotFound(f"no person {user_id!r} in this organization", rule="unknown_person")
    person = Person.model_validate(json.loads(from_item(item)["person"]))
    _people[(organization_id, user_id)] = (time.monotonic() + environment().settings_cache_seconds, person)
    return person


def put_person(person: Person, *, client: Any = None) -> None:
    client = client or clients.dynamodb()
    item = {
        **_person_key(person.organization_id, person.user_id),
        **to_item({"entity": "Person", "person": person.model_dump_json()}),
    }
    client.put_item(TableName=environment().table_name, Item=item)


def list_organizations(*, client: Any = None) -> list[tuple[str, str]]:
    """(organization id, time zone) of every organization."""
    client = client or clients.dynamodb()
    found: list[tuple[str, str]] = []
    for page in client.get_paginator("query").paginate(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "ORGANIZATIONS"}},
    ):
        for item in page.get("Items", []):
            values = from_item(item)
            found.append((values["organizationId"], values["timeZone"]))
    return found


def list_people(organization_id: str, *, client: Any = None) -> list[Person]:
    client = client or clients.dynamodb()
    people: list[Person] = []
    for page in client.get_paginator("query").paginate(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :person)",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{organization_id}"}, ":person": {"S": "PERSON#"}},
    ):
        people.extend(Person.model_validate(json.loads(from_item(i)["person"])) for i in page.get("Items", []))
    return people


def forget_cached_settings() -> None:
    _cache.clear()
    _people.clear()
