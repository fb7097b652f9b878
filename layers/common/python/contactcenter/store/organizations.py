"""The organization aggregate: its settings item and its people.

Keys:
  settings   pk=ORG#{org}         sk=SETTINGS   (one item: everything a change needs; read with one request)
  person     pk=ORG#{org}         sk=PERSON#{user}
  directory  pk=ORGANIZATIONS     sk=ORG#{org}  (lets scheduled jobs list the enabled organizations; written
                                                with every settings change, `disabled` mirrored from them)
  audit      pk=ORG#{org}#AUDIT   sk=AUDIT#{at}#{target}#{version}  (one per configuration change)
  client     pk=CLIENT#{clientId} sk=CLIENT     (the organization of an integration's app client: the
                                                token trigger reads it by client id alone)

Optimistic locking: the settings item carries `version` (one more per settings change) and
`peopleRevision` (one more per person written). A settings change is conditional on both, a person
write on the settings version: so removing a unit (checked against the people read) and adding a person
to that unit (checked against the settings read) can never both win.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.identity import ClientRegistration
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

if TYPE_CHECKING:
    # Every function reads settings through this module; only the admin function writes people and
    # audits, so what only those writes need is imported where it is used (cold imports stay cheap).
    from contactcenter.administration import AuditEntry, PersonRecord
    from contactcenter.agents import AgentState

_cache: dict[str, tuple[float, OrganizationSettings]] = {}
_people: dict[tuple[str, str], tuple[float, Standing]] = {}


@dataclass(frozen=True)
class Standing:
    """A person as authorization reads them: the record (roles, units supervised) and whether retired."""

    person: Person
    retired: bool = False


def _settings_key(organization_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}"}, "sk": {"S": "SETTINGS"}}


def _person_key(organization_id: str, user_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}"}, "sk": {"S": f"PERSON#{user_id}"}}


def _client_key(client_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CLIENT#{client_id}"}, "sk": {"S": "CLIENT"}}


def get_client(client_id: str, *, client: Any = None) -> ClientRegistration | None:
    """The organization an integration's app client was registered for; None for any other client.
    A strongly consistent read: the first token is often asked for right after the client is made."""
    client = client or clients.dynamodb()
    item = client.get_item(TableName=environment().table_name, Key=_client_key(client_id), ConsistentRead=True).get(
        "Item"
    )
    if not item:
        return None
    values = from_item(item)
    return ClientRegistration(
        client_id=values["clientId"], organization_id=values["organizationId"], retired=bool(values["retired"])
    )


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


def put_settings(
    settings: OrganizationSettings,
    *,
    expected_version: int | None,
    audit: AuditEntry | None = None,
    client: Any = None,
) -> None:
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
    writes: list[dict[str, Any]] = [{"Put": put}, {"Update": _directory_update(settings, table)}]
    if audit is not None:
        writes.append(audit_put(audit))
    try:
        client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        if expected_version is None and _failed_first(error):
            raise Conflict(
                f"organization {settings.organization_id!r} exists", field="organizationId", rule="organization_exists"
            ) from error
        raise translate(error, conflict_message="the settings changed meanwhile: reload and retry") from error
    _cache.pop(settings.organization_id, None)


def get_person(organization_id: str, user_id: str, *, client: Any = None, cached: bool = False) -> Person:
    """`cached` allows an answer read here a few seconds ago (who supervises what changes rarely)."""
    standing = get_standing(organization_id, user_id, client=client, cached=cached)
    if standing is None:
        raise NotFound(f"no person {user_id!r} in this organization", rule="unknown_person")
    return standing.person


def get_standing(organization_id: str, user_id: str, *, client: Any = None, cached: bool = True) -> Standing | None:
    """The person's record as it stands, None for nobody; cached for SETTINGS_CACHE_SECONDS (the bound
    on how long a demotion or retirement takes to reach another execution environment)."""
    hit = _people.get((organization_id, user_id))
    if cached and hit and hit[0] > time.monotonic():
        return hit[1]
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_person_key(organization_id, user_id), ConsistentRead=True
    ).get("Item")
    return _remember(organization_id, user_id, from_item(item) if item else None)


def get_standings(organization_id: str, user_ids: Iterable[str], *, client: Any = None) -> dict[str, Standing]:
    """The standing of each person named (absent: nobody), through the same cache; the uncached ones in
    BatchGetItem requests of up to 100 keys."""
    found: dict[str, Standing] = {}
    missing: list[str] = []
    now = time.monotonic()
    for user_id in sorted(set(user_ids)):
        hit = _people.get((organization_id, user_id))
        if hit and hit[0] > now:
            found[user_id] = hit[1]
        else:
            missing.append(user_id)
    client = client or clients.dynamodb()
    table = environment().table_name
    for start in range(0, len(missing), 100):
        keys = [_person_key(organization_id, user_id) for user_id in missing[start : start + 100]]
        items: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                items[item["sk"]["S"].removeprefix("PERSON#")] = from_item(item)
            request = response.get("UnprocessedKeys") or {}
        for user_id in missing[start : start + 100]:
            standing = _remember(organization_id, user_id, items.get(user_id))
            if standing is not None:
                found[user_id] = standing
    return found


def _remember(organization_id: str, user_id: str, values: dict[str, Any] | None) -> Standing | None:
    if values is None:
        _people.pop((organization_id, user_id), None)
        return None
    standing = Standing(
        person=Person.model_validate(json.loads(values["person"])), retired=bool(values.get("retired", False))
    )
    _people[(organization_id, user_id)] = (time.monotonic() + environment().settings_cache_seconds, standing)
    return standing


def put_person(person: Person, *, client: Any = None) -> None:
    client = client or clients.dynamodb()
    item = {
        **_person_key(person.organization_id, person.user_id),
        **to_item({"entity": "Person", "person": person.model_dump_json()}),
    }
    client.put_item(TableName=environment().table_name, Item=item)


def list_organizations(*, client: Any = None) -> list[tuple[str, str]]:
    """(organization id, time zone) of every organization that is not disabled (what schedules work on)."""
    return [(entry.organization_id, entry.time_zone) for entry in list_directory(client=client) if not entry.disabled]


@dataclass(frozen=True)
class DirectoryEntry:
    organization_id: str
    name: str
    time_zone: str
    disabled: bool


def list_directory(*, client: Any = None) -> list[DirectoryEntry]:
    """Every organization, disabled ones included (for the platform operator)."""
    client = client or clients.dynamodb()
    found: list[DirectoryEntry] = []
    for page in client.get_paginator("query").paginate(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "ORGANIZATIONS"}},
    ):
        for item in page.get("Items", []):
            values = from_item(item)
            found.append(
                DirectoryEntry(
                    organization_id=values["organizationId"],
                    name=str(values.get("name", "")),
                    time_zone=values["timeZone"],
                    disabled=bool(values.get("disabled", False)),
                )
            )
    return found


def set_disabled(organization_id: str, disabled: bool, *, client: Any = None) -> OrganizationSettings:
    """Disables (or enables) an organization: its settings say so (edge/principal.as_recorded refuses its
    people), and so does its directory entry (list_organizations leaves it out, so schedules skip it)."""
    record = read_settings(organization_id, client=client)
    changed = record.settings.model_copy(update={"disabled": disabled, "version": record.settings.version + 1})
    put_settings(changed, expected_version=record.settings.version, client=client)
    return changed


def _person_items(organization_id: str, *, consistent: bool, client: Any) -> Iterator[dict[str, Any]]:
    """Every person item of the organization, retired ones included, page after page."""
    for page in (
        (client or clients.dynamodb())
        .get_paginator("query")
        .paginate(
            TableName=environment().table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :person)",
            ExpressionAttributeValues={":pk": {"S": f"ORG#{organization_id}"}, ":person": {"S": "PERSON#"}},
            ConsistentRead=consistent,
        )
    ):
        yield from (from_item(item) for item in page.get("Items", []))


def list_people(organization_id: str, *, client: Any = None) -> list[Person]:
    return [
        Person.model_validate(json.loads(values["person"]))
        for values in _person_items(organization_id, consistent=False, client=client)
    ]


def forget_cached_settings() -> None:
    _cache.clear()
    _people.clear()


# --- administration: reads and writes for configuration changes ---------------------------------


@dataclass(frozen=True)
class SettingsRecord:
    """The settings as stored now, with the revision of the people they were checked against."""

    settings: OrganizationSettings
    people_revision: int


@dataclass(frozen=True)
class AgentProfile:
    """The agent item to write with a person: `revision` None creates it, else the one it was read at."""

    state: AgentState
    revision: int | None = None
    changed_at: datetime | None = None


def read_settings(organization_id: str, *, client: Any = None) -> SettingsRecord:
    """A consistent read, for deciding a change (the cached one may be a few seconds old)."""
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_settings_key(organization_id), ConsistentRead=True
    ).get("Item")
    if not item:
        raise NotFound(f"organization {organization_id!r} does not exist", rule="unknown_organization")
    values = from_item(item)
    settings = OrganizationSettings.model_validate_json(values["settings"])
    _cache[organization_id] = (time.monotonic() + environment().settings_cache_seconds, settings)
    return SettingsRecord(settings=settings, people_revision=int(values.get("peopleRevision", 0)))


def save_settings(
    before: SettingsRecord, after: OrganizationSettings, audit: AuditEntry, *, client: Any = None
) -> None:
    """The new settings and their audit entry in one transaction, conditional on the version and the
    people revision read: a concurrent change of either gets Conflict and nothing is written."""
    client = client or clients.dynamodb()
    table = environment().table_name
    organization_id = after.organization_id
    writes: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": _settings_key(organization_id),
                "UpdateExpression": "SET #settings = :settings, #version = :version",
                "ConditionExpression": "#version = :expected AND (attribute_not_exists(#people) OR #people = :people)",
                "ExpressionAttributeNames": {
                    "#settings": "settings",
                    "#version": "version",
                    "#people": "peopleRevision",
                },
                "ExpressionAttributeValues": {
                    ":settings": {"S": after.model_dump_json()},
                    ":version": {"N": str(after.version)},
                    ":expected": {"N": str(before.settings.version)},
                    ":people": {"N": str(before.people_revision)},
                },
            }
        },
        audit_put(audit),
    ]
    if after.time_zone != before.settings.time_zone:
        writes.append({"Update": _directory_update(after, table)})
    try:
        client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        raise translate(error, conflict_message="the settings or people changed meanwhile: reload and retry") from error
    finally:
        _cache.pop(organization_id, None)


def get_person_record(organization_id: str, user_id: str, *, client: Any = None) -> PersonRecord:
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_person_key(organization_id, user_id), ConsistentRead=True
    ).get("Item")
    if not item:
        raise NotFound(f"no person {user_id!r} in this organization", field="userId", rule="unknown_person")
    return _person_record(from_item(item))


def list_person_records(organization_id: str, *, client: Any = None) -> list[PersonRecord]:
    """Read strongly consistent: the admin API checks usage against it right before writing."""
    return [_person_record(values) for values in _person_items(organization_id, consistent=True, client=client)]


def save_person(
    settings: SettingsRecord,
    before: PersonRecord | None,
    after: PersonRecord,
    audit: AuditEntry,
    *,
    agent: AgentProfile | None = None,
    client: Any = None,
) -> None:
    """Person, audit entry, the agent item (when given) and a bump of the people revision, in one
    transaction conditional on the person's version and the settings version it was checked against."""
    client = client or clients.dynamodb()
    table = environment().table_name
    person = after.person
    put: dict[str, Any] = {"TableName": table, "Item": _person_item(after)}
    if before is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    elif before.version == 0:  # written before people had versions (register_person)
        put["ConditionExpression"] = "attribute_exists(pk) AND attribute_not_exists(#version)"
        put["ExpressionAttributeNames"] = {"#version": "version"}
    else:
        put["ConditionExpression"] = "#version = :expected"
        put["ExpressionAttributeNames"] = {"#version": "version"}
        put["ExpressionAttributeValues"] = {":expected": {"N": str(before.version)}}
    writes: list[dict[str, Any]] = [
        {"Put": put},
        {
            "Update": {
                "TableName": table,
                "Key": _settings_key(person.organization_id),
                "UpdateExpression": "SET #people = if_not_exists(#people, :zero) + :one",
                "ConditionExpression": "#version = :settings",
                "ExpressionAttributeNames": {"#people": "peopleRevision", "#version": "version"},
                "ExpressionAttributeValues": {
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":settings": {"N": str(settings.settings.version)},
                },
            }
        },
        audit_put(audit),
    ]
    if agent is not None:
        writes.append(_agent_put(agent, table))
    if after.kind.value == "client":
        # Written with the person record: registered when the integration is created, retired with it. A
        # client id is Cognito's, unique; the condition still keeps another organization's write off it.
        writes.append(
            {
                "Put": {
                    "TableName": table,
                    "Item": _client_item(after),
                    "ConditionExpression": "attribute_not_exists(pk) OR organizationId = :organization",
                    "ExpressionAttributeValues": {":organization": {"S": person.organization_id}},
                }
            }
        )
    try:
        client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        if before is None and _failed_first(error):
            raise Conflict(
                f"{person.user_id} is already a person of this organization", field="userId", rule="person_exists"
            ) from error
        raise translate(
            error, conflict_message="the person or the settings changed meanwhile: reload and retry"
        ) from error
    finally:
        _people.pop((person.organization_id, person.user_id), None)


def audit_page(
    organization_id: str, *, limit: int, cursor: str | None = None, client: Any = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Audit entries, newest first; `cursor` continues where the last page ended."""
    client = client or clients.dynamodb()
    query: dict[str, Any] = {
        "TableName": environment().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :audit)",
        "ExpressionAttributeValues": {":pk": {"S": _audit_pk(organization_id)}, ":audit": {"S": AUDIT_PREFIX}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor is not None:
        query["ExclusiveStartKey"] = {"pk": {"S": _audit_pk(organization_id)}, "sk": {"S": _cursor_sk(cursor)}}
    response = client.query(**query)
    entries = [_audit_view(from_item(item)) for item in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    next_cursor = base64.urlsafe_b64encode(last["sk"]["S"].encode()).decode() if last else None
    return entries, next_cursor


# --- administration: items ----------------------------------------------------------------------

AUDIT_PREFIX = "AUDIT#"


def _audit_pk(organization_id: str) -> str:
    return f"ORG#{organization_id}#AUDIT"


def audit_put(entry: AuditEntry) -> dict[str, Any]:
    at = entry.at.isoformat(timespec="milliseconds")
    item = {
        "pk": {"S": _audit_pk(entry.organization_id)},
        "sk": {"S": f"{AUDIT_PREFIX}{at}#{entry.target}#{entry.version:010d}"},
        **to_item(
            {
                "entity": "AuditEntry",
                "at": at,
                "actorId": entry.actor_id,
                "action": entry.action,
                "target": entry.target,
                "version": entry.version,
                # JSON text: the parts changed are nested and of any shape.
                "before": json.dumps(entry.before, separators=(",", ":")) if entry.before is not None else None,
                "after": json.dumps(entry.after, separators=(",", ":")) if entry.after is not None else None,
            }
        ),
    }
    return {
        "Put": {"TableName": environment().table_name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    }


def _audit_view(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": values["at"],
        "actorId": values["actorId"],
        "action": values["action"],
        "target": values["target"],
        "version": values["version"],
        "before": json.loads(values["before"]) if "before" in values else None,
        "after": json.loads(values["after"]) if "after" in values else None,
    }


def _cursor_sk(cursor: str) -> str:
    try:
        sk = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        sk = ""
    if not sk.startswith(AUDIT_PREFIX):
        raise Invalid("the cursor is not one this API returned", field="cursor", rule="cursor")
    return sk


def _directory_update(settings: OrganizationSettings, table: str) -> dict[str, Any]:
    # An update, not a put: `disabled` belongs to the platform operator and must survive settings changes.
    return {
        "TableName": table,
        "Key": _directory_key(settings.organization_id),
        # NAME and TIMEZONE are reserved words of DynamoDB's expressions.
        "UpdateExpression": "SET entity = :entity, organizationId = :id, #zone = :zone, #name = :name, "
        "disabled = :disabled",
        "ExpressionAttributeNames": {"#name": "name", "#zone": "timeZone"},
        "ExpressionAttributeValues": to_item(
            {
                ":entity": "OrganizationEntry",
                ":id": settings.organization_id,
                ":zone": settings.time_zone,
                ":name": settings.name,
                ":disabled": settings.disabled,
            }
        ),
    }


def _directory_key(organization_id: str) -> dict[str, Any]:
    return {"pk": {"S": "ORGANIZATIONS"}, "sk": {"S": f"ORG#{organization_id}"}}


def _person_item(record: PersonRecord) -> dict[str, Any]:
    return {
        **_person_key(record.person.organization_id, record.person.user_id),
        **to_item(
            {
                "entity": "Person",
                "person": record.person.model_dump_json(),
                "version": record.version,
                "email": record.email,
                "kind": record.kind.value,
                "retired": record.retired,
            }
        ),
    }


def _client_item(record: PersonRecord) -> dict[str, Any]:
    return {
        **_client_key(record.person.user_id),
        **to_item(
            {
                "entity": "IntegrationClient",
                "clientId": record.person.user_id,
                "organizationId": record.person.organization_id,
                "retired": record.retired,
            }
        ),
    }


def _person_record(values: dict[str, Any]) -> PersonRecord:
    from contactcenter.administration import IdentityKind, PersonRecord

    return PersonRecord(
        person=Person.model_validate(json.loads(values["person"])),
        version=int(values.get("version", 0)),
        email=values.get("email"),
        kind=IdentityKind(values.get("kind", IdentityKind.USER)),
        retired=bool(values.get("retired", False)),
    )


def _agent_put(profile: AgentProfile, table: str) -> dict[str, Any]:
    # The agent item's shape belongs to store/agents.py; only the revision guard is repeated here: a
    # profile change is a revision like any other, so a status change decided on the old item retries.
    from contactcenter.store.agents import state_to_item

    values = state_to_item(profile.state)
    if profile.revision is None:
        return {
            "Put": {
                "TableName": table,
                "Item": to_item(values | {"revision": 1}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    changed_at = profile.changed_at.isoformat(timespec="milliseconds") if profile.changed_at else None
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(values | {"revision": profile.revision + 1, "changedAt": changed_at}),
            "ConditionExpression": "#revision = :expected",
            "ExpressionAttributeNames": {"#revision": "revision"},
            "ExpressionAttributeValues": {":expected": {"N": str(profile.revision)}},
        }
    }


def _failed_first(error: ClientError) -> bool:
    """The transaction's first write failed its condition (the item it creates exists)."""
    reasons = error.response.get("CancellationReasons", [])
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def standing_from_item(values: Mapping[str, Any]) -> Standing:
    """A person item (as a stream image carries it) as authorization reads it."""
    return Standing(person=Person.model_validate(json.loads(values["person"])), retired=bool(values.get("retired")))


def forget_standing(organization_id: str, user_id: str) -> None:
    """The person's record changed (seen on the stream): the next read here goes to the table."""
    _people.pop((organization_id, user_id), None)
