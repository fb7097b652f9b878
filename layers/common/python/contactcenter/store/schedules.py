"""Schedules, approved adherence exceptions and each agent's live adherence in the table.

Keys (nobody else builds them):
  schedule    pk=ORG#{org}#SCHEDULES#{date}  sk=AGENT#{agent}             entity=AgentSchedule
  exception   pk=ORG#{org}#SCHEDULES#{date}  sk=EXCEPTION#{agent}#{id}    entity=AdherenceException
  adherence   pk=ORG#{org}#AGENT#{agent}     sk=ADHERENCE                 entity=AgentAdherence (streamed,
              pushed: written only when it changes)

A day's schedules and exceptions share one partition, so the daily file and a unit's recompute read a
day with one query; an import writes each agent-day once (a partition is written at most a few thousand
times by one import, never by another organization).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.errors import Conflict, NotFound
from contactcenter.schedules import Activity, ActivityKind, AgentSchedule, ApprovedException
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

if TYPE_CHECKING:
    from contactcenter.administration import AuditEntry

TRANSACTION_ITEMS = 100
ADHERENCE = "ADHERENCE"


def _day_pk(organization_id: str, day: date) -> str:
    return f"ORG#{organization_id}#SCHEDULES#{day.isoformat()}"


def _schedule_key(organization_id: str, agent_id: str, day: date) -> dict[str, Any]:
    return {"pk": {"S": _day_pk(organization_id, day)}, "sk": {"S": f"AGENT#{agent_id}"}}


def _adherence_key(organization_id: str, agent_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#AGENT#{agent_id}"}, "sk": {"S": ADHERENCE}}


def _table() -> str:
    return environment().table_name


# --- schedules -----------------------------------------------------------------------------------


def _activities_out(schedule: AgentSchedule) -> list[list[Any]]:
    return [[a.kind.value, a.start, a.end] for a in schedule.activities]


def _schedule_from(values: Mapping[str, Any]) -> AgentSchedule:
    return AgentSchedule(
        agent_id=values["agentId"],
        date=date.fromisoformat(values["date"]),
        activities=tuple(Activity(ActivityKind(k), int(s), int(e)) for k, s, e in values.get("activities", [])),
        version=int(values.get("version", 0)),
    )


def get_schedule(organization_id: str, agent_id: str, day: date, *, client: Any = None) -> AgentSchedule | None:
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=_table(), Key=_schedule_key(organization_id, agent_id, day), ConsistentRead=True
    ).get("Item")
    return _schedule_from(from_item(item)) if item else None


def _schedule_update(organization_id: str, schedule: AgentSchedule, expected: int | None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": _table(),
        "Key": _schedule_key(organization_id, schedule.agent_id, schedule.date),
        "UpdateExpression": "SET entity = :entity, organizationId = :org, agentId = :agent, #date = :date, "
        "activities = :activities, #version = if_not_exists(#version, :zero) + :one",
        "ExpressionAttributeNames": {"#date": "date", "#version": "version"},
        "ExpressionAttributeValues": {
            ":entity": {"S": "AgentSchedule"},
            ":org": {"S": organization_id},
            ":agent": {"S": schedule.agent_id},
            ":date": {"S": schedule.date.isoformat()},
            ":activities": to_item({"a": _activities_out(schedule)})["a"],
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
        },
    }
    if expected is not None:
        update["ConditionExpression"] = "attribute_not_exists(pk)" if expected == 0 else "#version = :expected"
        if expected:
            update["ExpressionAttributeValues"][":expected"] = {"N": str(expected)}
    return {"Update": update}


def save_schedule(
    organization_id: str, schedule: AgentSchedule, audit: AuditEntry, *, expected_version: int, client: Any = None
) -> None:
    """One agent-day, conditional on the version read (0: it must not exist yet), with its audit entry."""
    from contactcenter.store.organizations import audit_put

    client = client or clients.dynamodb()
    try:
        client.transact_write_items(
            TransactItems=[_schedule_update(organization_id, schedule, expected_version), audit_put(audit)]
        )
    except ClientError as error:
        raise _stale(error) from error


def delete_schedule(
    organization_id: str, agent_id: str, day: date, audit: AuditEntry, *, expected_version: int, client: Any = None
) -> None:
    from contactcenter.store.organizations import audit_put

    client = client or clients.dynamodb()
    delete = {
        "Delete": {
            "TableName": _table(),
            "Key": _schedule_key(organization_id, agent_id, day),
            "ConditionExpression": "#version = :expected",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
        }
    }
    try:
        client.transact_write_items(TransactItems=[delete, audit_put(audit)])
    except ClientError as error:
        raise _stale(error) from error


def _stale(error: ClientError) -> Exception:
    translated = translate(error, conflict_message="")
    if isinstance(translated, Conflict):
        return Conflict(
            "the schedule changed (or does not exist at that version): reload and retry",
            field="If-Match",
            rule="stale_version",
        )
    return translated


def import_schedules(
    organization_id: str, schedules: Sequence[AgentSchedule], audit: AuditEntry, *, client: Any = None
) -> None:
    """Each agent-day replaced whatever its version (an import is the planner's word), in transactions of
    100 written side by side; the audit entry with the first."""
    from contactcenter.store.organizations import audit_put

    client = client or clients.dynamodb()
    writes = [_schedule_update(organization_id, s, None) for s in schedules]
    chunks = [writes[i : i + TRANSACTION_ITEMS - 1] for i in range(0, len(writes), TRANSACTION_ITEMS - 1)] or [[]]
    chunks[0] = [*chunks[0], audit_put(audit)]

    def write(chunk: list[dict[str, Any]]) -> None:
        try:
            client.transact_write_items(TransactItems=chunk)
        except ClientError as error:
            raise translate(error, conflict_message="the import collided with another change: retry") from error

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, chunks))


@dataclass(frozen=True)
class DayPlan:
    """A day's schedules and approved exceptions, by agent."""

    schedules: dict[str, AgentSchedule]
    exceptions: dict[str, list[ApprovedException]]


def day_plan(organization_id: str, day: date, *, client: Any = None) -> DayPlan:
    client = client or clients.dynamodb()
    schedules: dict[str, AgentSchedule] = {}
    exceptions: dict[str, list[ApprovedException]] = {}
    for page in client.get_paginator("query").paginate(
        TableName=_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": _day_pk(organization_id, day)}},
        ConsistentRead=True,
    ):
        for item in page.get("Items", []):
            values = from_item(item)
            if values.get("entity") == "AgentSchedule":
                schedules[values["agentId"]] = _schedule_from(values)
            elif values.get("entity") == "AdherenceException":
                exceptions.setdefault(values["agentId"], []).append(_exception_from(values))
    return DayPlan(schedules, exceptions)


def agent_plan(
    organization_id: str, agent_id: str, day: date, *, client: Any = None
) -> tuple[AgentSchedule | None, list[ApprovedException]]:
    client = client or clients.dynamodb()
    response = client.query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": {"S": _day_pk(organization_id, day)},
            ":low": {"S": f"AGENT#{agent_id}"},
            ":high": {"S": f"EXCEPTION#{agent_id}#\uffff"},
        },
        ConsistentRead=True,
    )
    schedule = None
    exceptions = []
    for item in response.get("Items", []):
        values = from_item(item)
        if values.get("entity") == "AgentSchedule" and values["agentId"] == agent_id:
            schedule = _schedule_from(values)
        elif values.get("entity") == "AdherenceException" and values["agentId"] == agent_id:
            exceptions.append(_exception_from(values))
    return schedule, exceptions


# --- approved exceptions -------------------------------------------------------------------------


def _exception_from(values: Mapping[str, Any]) -> ApprovedException:
    return ApprovedException(
        exception_id=values["exceptionId"],
        agent_id=values["agentId"],
        start=int(values["start"]),
        end=int(values["end"]),
        note=values.get("note", ""),
        approved_by=values["approvedBy"],
        approved_at=datetime.fromisoformat(values["approvedAt"]),
    )


def save_exception(
    organization_id: str, day: date, exception: ApprovedException, audit: AuditEntry, *, client: Any = None
) -> None:
    from contactcenter.store.organizations import audit_put

    client = client or clients.dynamodb()
    item = {
        "pk": {"S": _day_pk(organization_id, day)},
        "sk": {"S": f"EXCEPTION#{exception.agent_id}#{exception.exception_id}"},
        **to_item(
            {
                "entity": "AdherenceException",
                "organizationId": organization_id,
                "exceptionId": exception.exception_id,
                "agentId": exception.agent_id,
                "start": exception.start,
                "end": exception.end,
                "note": exception.note,
                "approvedBy": exception.approved_by,
                "approvedAt": exception.approved_at.isoformat(timespec="milliseconds"),
            }
        ),
    }
    try:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": _table(), "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                audit_put(audit),
            ]
        )
    except ClientError as error:
        raise translate(error, conflict_message="this exception was approved already") from error


# --- live adherence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAdherence:
    view: dict[str, Any]
    next_check: int | None
    digest: str


def digest_of(view: Mapping[str, Any]) -> str:
    """What changed means: the view's canonical JSON (the fan-out pushes only a new digest)."""
    return hashlib.sha256(json.dumps(view, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def get_adherence(organization_id: str, agent_ids: Iterable[str], *, client: Any = None) -> dict[str, StoredAdherence]:
    """The stored live adherence of these agents (BatchGetItem, 100 keys a request)."""
    client = client or clients.dynamodb()
    ids = list(dict.fromkeys(agent_ids))
    found: dict[str, StoredAdherence] = {}
    for start in range(0, len(ids), 100):
        keys = [_adherence_key(organization_id, agent_id) for agent_id in ids[start : start + 100]]
        request: dict[str, Any] = {_table(): {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(_table(), []):
                values = from_item(item)
                found[values["agentId"]] = StoredAdherence(
                    values.get("view", {}), values.get("nextCheck"), values.get("digest", "")
                )
            request = response.get("UnprocessedKeys") or {}
    return found


def put_adherence(
    organization_id: str,
    agent_id: str,
    view: Mapping[str, Any],
    *,
    next_check: int | None,
    unit_ids: Sequence[str],
    previous: StoredAdherence | None,
    client: Any = None,
) -> bool:
    """Writes the agent's live adherence over what `previous` read (its stream record pushes it when the
    view changed); False when another writer changed it first (theirs is as fresh: nothing to do)."""
    client = client or clients.dynamodb()
    item = {
        **_adherence_key(organization_id, agent_id),
        **to_item(
            {
                "entity": "AgentAdherence",
                "organizationId": organization_id,
                "agentId": agent_id,
                "unitIds": list(unit_ids),
                "view": dict(view),
                "digest": digest_of(view),
                "nextCheck": next_check,
            }
        ),
    }
    put: dict[str, Any] = {"TableName": _table(), "Item": item}
    if previous is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "digest = :digest"
        put["ExpressionAttributeValues"] = {":digest": {"S": previous.digest}}
    try:
        client.put_item(**put)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise translate(error, conflict_message="") from error
    return True


def require_schedule(schedule: AgentSchedule | None, agent_id: str, day: date) -> AgentSchedule:
    if schedule is None:
        raise NotFound(f"no schedule for {agent_id} on {day.isoformat()}", field="date", rule="unknown_schedule")
    return schedule
