"""The assignment aggregate in the table: the creator's assignment and each agent's copy.

Keys (nobody else builds them):
  assignment  pk=ORG#{org}#ASSIGNMENT#{id}            sk=ASSIGNMENT    entity=AssignmentDefinition
              gsi2: ORG#{org}#CREATOR#{creator} / ASSIGNMENT#{id}         (what a supervisor created)
  agent copy  pk=ORG#{org}#AGENT#{agent}#ASSIGNMENTS  sk=ASSIGNMENT#{id}  entity=Assignment (streamed)
              gsi2: ORG#{org}#ASSIGNMENT#{id}#{shard} / AGENT#{agent}      (progress per assignment;
                    shard = crc32(agent) % PROGRESS_SHARDS: an assignment to 10,000 agents is not
                    10,000 writes to one index partition)
  request     pk=ORG#{org}#ASSIGNMENT-REQUEST#{creator}#{key}  sk=REQUEST  (idempotent creation, 1 day)
              entity=AssignmentRequest: the id and time the key is tied to, the request's fingerprint
              and the agents it resolved to (what a replay answers)

An agent's copies have a partition of their own (not the agent's STATE/HIST# partition), holding only
copies: one query reads them all, so "My Assignments" gets its page and its counts from one request.
Copies stay small (the instructions, link and statement live once, on the assignment).

Save is one UpdateItem: the new state is read-free, copied from `saveChecked` / `saveUnchecked`, which
the pure rules computed when the copy was created; the condition refuses what `assignments.save`
refuses, and on refusal DynamoDB hands back the stored copy so the service can say which rule it was.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.assignments import (
    AgentAssignment,
    Assignment,
    AssignmentState,
    AssignmentType,
    save_outcome,
)
from contactcenter.environment import environment
from contactcenter.errors import Retryable
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

COPY_PREFIX = "ASSIGNMENT#"
DEFINITION = "ASSIGNMENT"
BATCH_SIZE = 25  # BatchWriteItem's limit
BATCH_ATTEMPTS = 5
REQUEST_TTL = timedelta(days=1)

# What lists need: everything but the agent's comments (which may be long) and the save targets.
_LIST_ATTRIBUTES = (
    "organizationId",
    "assignmentId",
    "agentId",
    "unitIds",
    "type",
    "title",
    "dueAt",
    "createdBy",
    "createdAt",
    "hasConfirmation",
    "commentsAllowed",
    "state",
    "confirmed",
    "version",
    "savedAt",
)
# Every name aliased: several of these are DynamoDB reserved words.
_LIST_NAMES = {f"#a{index}": name for index, name in enumerate(_LIST_ATTRIBUTES)}
_LIST_PROJECTION = ", ".join(_LIST_NAMES)


def _table() -> str:
    return environment().table_name


def agent_partition(organization_id: str, agent_id: str) -> str:
    return f"ORG#{organization_id}#AGENT#{agent_id}#ASSIGNMENTS"


def _copy_key(organization_id: str, agent_id: str, assignment_id: str) -> dict[str, Any]:
    return {
        "pk": {"S": agent_partition(organization_id, agent_id)},
        "sk": {"S": f"{COPY_PREFIX}{assignment_id}"},
    }


def _definition_key(organization_id: str, assignment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#ASSIGNMENT#{assignment_id}"}, "sk": {"S": DEFINITION}}


def _request_key(organization_id: str, creator_id: str, key: str) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORG#{organization_id}#ASSIGNMENT-REQUEST#{creator_id}#{key}"},
        "sk": {"S": "REQUEST"},
    }


def _creator_partition(organization_id: str, creator_id: str) -> str:
    return f"ORG#{organization_id}#CREATOR#{creator_id}"


# Creating copies for a whole organization writes them in 25-item batches, back to back: at a 5 ms batch
# (the fastest DynamoDB answers) 5,000 copies a second, 78 a second on each of 64 shards. A progress read
# is 64 small queries side by side (docs/cost-and-scale.md).
PROGRESS_SHARDS = 64
_CONCURRENT_QUERIES = 16


def _progress_partition(organization_id: str, assignment_id: str, agent_id: str) -> str:
    shard = zlib.crc32(agent_id.encode()) % PROGRESS_SHARDS
    return f"ORG#{organization_id}#ASSIGNMENT#{assignment_id}#{shard}"


def _progress_partitions(organization_id: str, assignment_id: str) -> list[str]:
    # The unsharded partition, where copies made before the shards are.
    legacy = f"ORG#{organization_id}#ASSIGNMENT#{assignment_id}"
    return [legacy] + [f"{legacy}#{shard}" for shard in range(PROGRESS_SHARDS)]


# --- creating ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """An idempotency key's assignment: the id and time to (re)use; `fresh` if this request claimed it.

    `fingerprint` and `agent_ids` are those of the request that claimed the key (None on claims stored
    before they were recorded)."""

    assignment_id: str
    created_at: datetime
    fresh: bool
    fingerprint: str | None = None
    agent_ids: tuple[str, ...] | None = None


def claim_request(
    organization_id: str,
    creator_id: str,
    key: str,
    *,
    assignment_id: str,
    fingerprint: str,
    agent_ids: Sequence[str],
    now: datetime,
    client: Any = None,
) -> Claim:
    """Tie the key to an assignment id, the request's fingerprint and its agents before anything is
    written (one request either way); a key claimed already answers the stored claim."""
    client = client or clients.dynamodb()
    item = {
        **_request_key(organization_id, creator_id, key),
        **to_item(
            {
                "entity": "AssignmentRequest",
                "assignmentId": assignment_id,
                "createdAt": _iso(now),
                "requestFingerprint": fingerprint,
                "agentIds": list(agent_ids),
                "expiresAt": int((now + REQUEST_TTL).timestamp()),
            }
        ),
    }
    try:
        client.put_item(
            TableName=_table(),
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        stored = error.response.get("Item")
        if not stored:
            raise translate(error, conflict_message="a twin request is being handled: retry") from error
        values = from_item(stored)
        stored_agents = values.get("agentIds")
        return Claim(
            values["assignmentId"],
            datetime.fromisoformat(values["createdAt"]),
            fresh=False,
            fingerprint=values.get("requestFingerprint"),
            agent_ids=None if stored_agents is None else tuple(stored_agents),
        )
    return Claim(assignment_id, now, fresh=True, fingerprint=fingerprint, agent_ids=tuple(agent_ids))


def create(assignment: Assignment, copies: Sequence[AgentAssignment], *, client: Any = None) -> None:
    """Every copy in batches of 25, then the assignment itself, last and alone: once it exists, every
    copy does (a retry with the same idempotency key finds it and writes nothing more)."""
    client = client or clients.dynamodb()
    table = _table()
    puts = [{"PutRequest": {"Item": to_item(copy_to_item(copy))}} for copy in copies]
    for start in range(0, len(puts), BATCH_SIZE):
        _write_batch(client, table, puts[start : start + BATCH_SIZE])
    try:
        client.put_item(TableName=table, Item=to_item(definition_to_item(assignment)))
    except ClientError as error:
        raise translate(error, conflict_message="the assignment changed meanwhile") from error


def _write_batch(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = requests
    for attempt in range(BATCH_ATTEMPTS):
        try:
            response = client.batch_write_item(RequestItems={table: pending})
        except ClientError as error:
            raise translate(error, conflict_message="the assignment changed meanwhile") from error
        pending = response.get("UnprocessedItems", {}).get(table, [])
        if not pending:
            return
        time.sleep(0.05 * 2**attempt)  # DynamoDB throttled part of the batch: back off, send the rest
    raise Retryable("the database is busy: retry the same request", rule="throttled")


# --- reading -------------------------------------------------------------------------------------


def get_definition(organization_id: str, assignment_id: str, *, client: Any = None) -> Assignment | None:
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=_table(), Key=_definition_key(organization_id, assignment_id), ConsistentRead=True
    ).get("Item")
    return definition_from_item(from_item(item)) if item else None


def get_copy_and_definition(
    organization_id: str, agent_id: str, assignment_id: str, *, client: Any = None
) -> tuple[AgentAssignment | None, Assignment | None]:
    """One request for both (BatchGetItem; what it leaves unprocessed is asked again)."""
    client = client or clients.dynamodb()
    table = _table()
    keys = [_copy_key(organization_id, agent_id, assignment_id), _definition_key(organization_id, assignment_id)]
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    found: list[dict[str, Any]] = []
    for attempt in range(BATCH_ATTEMPTS):
        response = client.batch_get_item(RequestItems=request)
        found += [from_item(item) for item in response.get("Responses", {}).get(table, [])]
        request = response.get("UnprocessedKeys") or {}
        if not request:
            break
        time.sleep(0.05 * 2**attempt)
    else:
        raise Retryable("the database is busy: retry the same request", rule="throttled")
    copy = next((copy_from_item(v) for v in found if v.get("entity") == "Assignment"), None)
    definition = next((definition_from_item(v) for v in found if v.get("entity") == "AssignmentDefinition"), None)
    return copy, definition


def _query_all(client: Any, **query: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("query").paginate(TableName=_table(), **query):
        for item in page.get("Items", []):
            yield from_item(item)


def agent_copies(organization_id: str, agent_id: str, *, client: Any = None) -> list[AgentAssignment]:
    """Every copy of one agent, newest first: one request while they fit in 1 MB (see docs/assignments.md)."""
    client = client or clients.dynamodb()
    items = _query_all(
        client,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :copy)",
        ExpressionAttributeValues={
            ":pk": {"S": agent_partition(organization_id, agent_id)},
            ":copy": {"S": COPY_PREFIX},
        },
        ProjectionExpression=_LIST_PROJECTION,
        ExpressionAttributeNames=_LIST_NAMES,
        ScanIndexForward=False,
        ConsistentRead=True,
    )
    return [copy_from_item(values) for values in items]


def assignment_copies(organization_id: str, assignment_id: str, *, client: Any = None) -> list[AgentAssignment]:
    """Every agent's copy of one assignment (gsi2, its shards side by side; an index is read eventually
    consistent), ordered by agent."""
    client = client or clients.dynamodb()

    def shard(partition: str) -> list[dict[str, Any]]:
        return list(
            _query_all(
                client,
                IndexName="gsi2",
                KeyConditionExpression="gsi2pk = :pk",
                ExpressionAttributeValues={":pk": {"S": partition}},
                ProjectionExpression=_LIST_PROJECTION,
                ExpressionAttributeNames=_LIST_NAMES,
            )
        )

    with ThreadPoolExecutor(_CONCURRENT_QUERIES) as pool:
        items = [
            item for found in pool.map(shard, _progress_partitions(organization_id, assignment_id)) for item in found
        ]
    return sorted((copy_from_item(values) for values in items), key=lambda copy: copy.agent_id)


def created_by(
    organization_id: str, creator_id: str, *, limit: int, before: str | None = None, client: Any = None
) -> tuple[list[Assignment], str | None]:
    """Assignments one person created, newest first; `before` is the last id of the previous page."""
    client = client or clients.dynamodb()
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": {"S": _creator_partition(organization_id, creator_id)},
            ":prefix": {"S": COPY_PREFIX},
        },
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if before is not None:
        query["ExclusiveStartKey"] = {
            **_definition_key(organization_id, before),
            "gsi2pk": {"S": _creator_partition(organization_id, creator_id)},
            "gsi2sk": {"S": f"{COPY_PREFIX}{before}"},
        }
    response = client.query(**query)
    found = [definition_from_item(from_item(item)) for item in response.get("Items", [])]
    more = bool(response.get("LastEvaluatedKey")) and len(found) == limit
    return found, (found[-1].assignment_id if more else None)


# --- saving --------------------------------------------------------------------------------------


class SaveRefused(Exception):
    """The conditional save failed; `current` is the stored copy (None: there is none)."""

    def __init__(self, current: AgentAssignment | None) -> None:
        super().__init__("save refused")
        self.current = current


def save(
    organization_id: str,
    agent_id: str,
    assignment_id: str,
    *,
    expected_version: int,
    confirmed: bool,
    comments: str | None,
    visible: frozenset[AssignmentType],
    now: datetime,
    client: Any = None,
) -> AgentAssignment:
    """One conditional UpdateItem returning the new copy; SaveRefused carries the stored one."""
    client = client or clients.dynamodb()
    if not visible:
        raise ValueError("save needs at least one visible type")  # the service refuses before this
    names = {
        "#state": "state",
        "#type": "type",
        "#version": "version",
        "#confirmed": "confirmed",
        "#savedAt": "savedAt",
        "#target": "saveChecked" if confirmed else "saveUnchecked",
    }
    values: dict[str, Any] = {
        ":expected": {"N": str(expected_version)},
        ":one": {"N": "1"},
        ":completed": {"S": AssignmentState.COMPLETED.value},
        ":confirmed": {"BOOL": confirmed},
        ":now": {"S": _iso(now)},
    }
    visible_names = []
    for index, kind in enumerate(sorted(visible)):
        values[f":type{index}"] = {"S": kind.value}
        visible_names.append(f":type{index}")
    conditions = [
        "attribute_exists(pk)",
        f"#type IN ({', '.join(visible_names)})",
        "#state <> :completed",
        "#version = :expected",
    ]
    sets = ["#state = #target", "#confirmed = :confirmed", "#savedAt = :now", "#version = #version + :one"]
    removes = []
    if comments:
        conditions.insert(3, "#commentsAllowed = :true")
        names |= {"#commentsAllowed": "commentsAllowed", "#comments": "comments"}
        values[":true"] = {"BOOL": True}
        sets.append("#comments = :comments")
        values[":comments"] = {"S": comments}
    elif comments is not None:  # an empty text clears them
        removes.append("#comments")
        names["#comments"] = "comments"
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    try:
        response = client.update_item(
            TableName=_table(),
            Key=_copy_key(organization_id, agent_id, assignment_id),
            UpdateExpression=expression,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            stored = error.response.get("Item")
            raise SaveRefused(copy_from_item(from_item(stored)) if stored else None) from error
        raise translate(error, conflict_message="this assignment changed meanwhile: reload") from error
    return copy_from_item(from_item(response["Attributes"]))


# --- mapping -------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def copy_view(copy: AgentAssignment, *, now: datetime | None = None) -> dict[str, Any]:
    """An agent's copy as lists show it and pushes carry it."""
    view: dict[str, Any] = {
        "assignmentId": copy.assignment_id,
        "agentId": copy.agent_id,
        "unitIds": list(copy.unit_ids),
        "type": copy.type.value,
        "title": copy.title,
        "dueAt": _iso(copy.due_at),
        "createdBy": copy.created_by,
        "createdAt": _iso(copy.created_at),
        "hasConfirmation": copy.has_confirmation,
        "commentsAllowed": copy.comments_allowed,
        "state": copy.state.value,
        "confirmed": copy.confirmed,
        "version": copy.version,
        "savedAt": _iso(copy.saved_at),
    }
    if now is not None:
        view["overdue"] = copy.overdue(now)
    return view


def copy_to_item(copy: AgentAssignment) -> dict[str, Any]:
    return {
        "pk": agent_partition(copy.organization_id, copy.agent_id),
        "sk": f"{COPY_PREFIX}{copy.assignment_id}",
        "entity": "Assignment",
        "gsi2pk": _progress_partition(copy.organization_id, copy.assignment_id, copy.agent_id),
        "gsi2sk": f"AGENT#{copy.agent_id}",
        "organizationId": copy.organization_id,
        **copy_view(copy),
        "comments": copy.comments,
        # The state each checkbox value leads to, decided by the pure rules now so a save needs no read.
        "saveChecked": save_outcome(copy.has_confirmation, True).value,
        "saveUnchecked": save_outcome(copy.has_confirmation, False).value,
    }


def copy_from_item(values: Mapping[str, Any]) -> AgentAssignment:
    return AgentAssignment(
        organization_id=values["organizationId"],
        assignment_id=values["assignmentId"],
        agent_id=values["agentId"],
        unit_ids=tuple(values.get("unitIds", [])),
        type=AssignmentType(values["type"]),
        title=values["title"],
        due_at=_time(values.get("dueAt")),
        created_by=values["createdBy"],
        created_at=datetime.fromisoformat(values["createdAt"]),
        has_confirmation=bool(values.get("hasConfirmation")),
        comments_allowed=bool(values.get("commentsAllowed")),
        state=AssignmentState(values["state"]),
        confirmed=bool(values.get("confirmed")),
        comments=values.get("comments"),
        version=int(values["version"]),
        saved_at=_time(values.get("savedAt")),
    )


def definition_view(assignment: Assignment) -> dict[str, Any]:
    return {
        "assignmentId": assignment.assignment_id,
        "type": assignment.type.value,
        "title": assignment.title,
        "instructions": assignment.instructions,
        "contentLink": assignment.content_link,
        "confirmationStatement": assignment.confirmation_statement,
        "commentsAllowed": assignment.comments_allowed,
        "dueAt": _iso(assignment.due_at),
        "createdBy": assignment.created_by,
        "createdAt": _iso(assignment.created_at),
        "agentCount": assignment.agent_count,
        "unitIds": list(assignment.unit_ids),
    }


def definition_to_item(assignment: Assignment) -> dict[str, Any]:
    return {
        **{k: v["S"] for k, v in _definition_key(assignment.organization_id, assignment.assignment_id).items()},
        "entity": "AssignmentDefinition",
        "gsi2pk": _creator_partition(assignment.organization_id, assignment.created_by),
        "gsi2sk": f"{COPY_PREFIX}{assignment.assignment_id}",
        "organizationId": assignment.organization_id,
        **definition_view(assignment),
    }


def definition_from_item(values: Mapping[str, Any]) -> Assignment:
    return Assignment(
        organization_id=values["organizationId"],
        assignment_id=values["assignmentId"],
        type=AssignmentType(values["type"]),
        title=values["title"],
        instructions=values["instructions"],
        content_link=values.get("contentLink"),
        confirmation_statement=values.get("confirmationStatement"),
        comments_allowed=bool(values.get("commentsAllowed")),
        due_at=_time(values.get("dueAt")),
        created_by=values["createdBy"],
        created_at=datetime.fromisoformat(values["createdAt"]),
        agent_count=int(values.get("agentCount", 0)),
        unit_ids=tuple(values.get("unitIds", [])),
    )
