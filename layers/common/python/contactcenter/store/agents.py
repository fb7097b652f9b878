"""The agent aggregate in the table: live state, history entries and idempotency records.

Keys (nobody else builds them):
  state        pk=ORG#{org}#AGENT#{agent}  sk=STATE
               gsi1: ORG#{org}#UNIT#{unit} / AGENT#{agent}          (dashboards: agents by unit)
               gsi2: ORG#{org}#WRAP_UP_DUE#{shard} / {endsAt}#{agent}  (sparse: the wrap-up sweep;
                     shard = crc32(agent) % WRAP_UP_SHARDS: no organization shares it, none gets all its
                     organization's wrap-ups)
  history      pk=ORG#{org}#AGENT#{agent}  sk=HIST#{sequence:010}  entity=AgentChange (streamed, pushed)
  queue login  pk=ORG#{org}#AGENT#{agent}  sk=QUEUE#{queue}
               gsi2: ORG#{org}#QUEUE#{queue} / {R|N}#{idleSince}#{agent}  (routing: R = routable now)
  replay       pk=ORG#{org}#IDEMPOTENCY#{caller}#{key}  sk=IDEMPOTENCY  (expires after a day)
               entity=IdempotencyRecord: the answer (zlib-compressed JSON), and the fingerprint of the
               request it answered
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.agents import (
    Actor,
    ActorKind,
    AgentState,
    Change,
    DayTotals,
    EntryKind,
    HistoryEntry,
    NextStatus,
    WorkItem,
    WorkState,
)
from contactcenter.attendance import Entry as ReportEntry
from contactcenter.attendance import epoch_ms as report_epoch_ms
from contactcenter.environment import environment
from contactcenter.errors import Conflict, Invalid, Retryable
from contactcenter.organization import Channel, OrganizationSettings
from contactcenter.status import is_routable
from contactcenter.statuses import Platform, Status
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

STATE = "STATE"
HISTORY_PREFIX = "HIST#"
QUEUE_PREFIX = "QUEUE#"
# Before the index was sharded, every organization's wrap-ups shared this one partition: still read by
# the sweep (nothing writes it any more) until the wrap-ups it holds have ended.
LEGACY_WRAP_UP_DUE = "WRAP_UP_DUE"
# Each wrap-up writes its shard twice (start, end). At a peak of 50 changes a second in a 10,000-agent
# organization, at most about 25 wrap-ups start and 25 end a second: 50 writes over 4 shards is about 13
# a second each (docs/cost-and-scale.md); the sweep reads 4 partitions per organization a minute.
WRAP_UP_SHARDS = 4
IDEMPOTENCY_TTL = timedelta(days=1)


def _agent_pk(organization_id: str, agent_id: str) -> str:
    return f"ORG#{organization_id}#AGENT#{agent_id}"


def agent_key(organization_id: str, agent_id: str) -> dict[str, Any]:
    return {"pk": {"S": _agent_pk(organization_id, agent_id)}, "sk": {"S": STATE}}


def queue_partition(organization_id: str, queue_id: str) -> str:
    return f"ORG#{organization_id}#QUEUE#{queue_id}"


def _history_sk(sequence: int) -> str:
    return f"{HISTORY_PREFIX}{sequence:010d}"


def _replay_key(organization_id: str, caller_id: str, key: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#IDEMPOTENCY#{caller_id}#{key}"}, "sk": {"S": "IDEMPOTENCY"}}


def unit_partition(organization_id: str, unit_id: str) -> str:
    return f"ORG#{organization_id}#UNIT#{unit_id}"


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """A stored answer to an earlier request with the same idempotency key, and that request's
    fingerprint (None on records stored before fingerprints were)."""

    status_code: int
    body: dict[str, Any]
    fingerprint: str | None = None


@dataclass(frozen=True)
class KnownState:
    """The agent's state as of one revision of its item (every write to the item adds one)."""

    state: AgentState
    revision: int
    changed_at: datetime | None
    write_token: str | None = None  # the token of the transaction that wrote this revision


# The last state this execution environment read or wrote per agent. Writes stay conditional on the
# revision, so a stale entry can never be written over the truth: it only costs a failed attempt.
_KNOWN_LIMIT = 10_000
_known: OrderedDict[tuple[str, str], KnownState] = OrderedDict()


def _remember(known: KnownState) -> KnownState:
    key = (known.state.organization_id, known.state.agent_id)
    _known[key] = known
    _known.move_to_end(key)
    while len(_known) > _KNOWN_LIMIT:
        _known.popitem(last=False)
    return known


def known_state(organization_id: str, agent_id: str) -> KnownState | None:
    """The last state seen here, if any: a starting point for an optimistic write, never for a read."""
    return _known.get((organization_id, agent_id))


def forget_known_states() -> None:
    _known.clear()


def _known_from_item(item: Mapping[str, Any]) -> KnownState:
    values = from_item(item)
    return _remember(
        KnownState(
            state=state_from_item(values),
            revision=int(values.get("revision", 0)),
            changed_at=_time(values.get("changedAt")),
            write_token=values.get("writeToken"),
        )
    )


def get_state(organization_id: str, agent_id: str, *, client: Any = None) -> KnownState | None:
    client = client or clients.dynamodb()
    response = client.get_item(TableName=_table(), Key=agent_key(organization_id, agent_id), ConsistentRead=True)
    item = response.get("Item")
    return _known_from_item(item) if item else None


def get_states(organization_id: str, agent_ids: Iterable[str], *, client: Any = None) -> list[AgentState]:
    """Several agents' states (BatchGetItem, 100 keys a request, strongly consistent); unknown ids left out."""
    client = client or clients.dynamodb()
    ids = list(dict.fromkeys(agent_ids))
    states: list[AgentState] = []
    for start in range(0, len(ids), 100):
        keys = [agent_key(organization_id, agent_id) for agent_id in ids[start : start + 100]]
        request: dict[str, Any] = {_table(): {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            states.extend(state_from_item(from_item(item)) for item in response.get("Responses", {}).get(_table(), []))
            request = response.get("UnprocessedKeys") or {}
    return states


def get_state_and_replay(
    organization_id: str, agent_id: str, *, caller_id: str, idempotency_key: str, client: Any = None
) -> tuple[KnownState | None, Replay | None]:
    """One request for both: the agent's state and a stored answer for this idempotency key."""
    client = client or clients.dynamodb()
    table = _table()
    response = client.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": table, "Key": agent_key(organization_id, agent_id)}},
            {"Get": {"TableName": table, "Key": _replay_key(organization_id, caller_id, idempotency_key)}},
        ]
    )
    state_item, replay_item = (entry.get("Item") for entry in response["Responses"])
    known = _known_from_item(state_item) if state_item else None
    return known, _replay_from_item(replay_item)


def _replay_from_item(item: Mapping[str, Any] | None) -> Replay | None:
    if not item:
        return None
    values = from_item(item)
    return Replay(
        status_code=int(values["statusCode"]),
        # Compressed since the record had to fit one write unit; records written before, as text.
        body=json.loads(zlib.decompress(bytes(values["answer"])) if "answer" in values else values["body"]),
        fingerprint=values.get("requestFingerprint"),
    )


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayRecord:
    """What to store so that a retry with the same key (and the same request) gets the same answer."""

    caller_id: str
    key: str
    status_code: int
    body: dict[str, Any]
    fingerprint: str | None = None


class StaleState(Exception):
    """The item moved on since the state this write started from; `current` is what it is now."""

    def __init__(self, current: KnownState) -> None:
        super().__init__("the agent changed meanwhile")
        self.current = current


class DuplicateRequest(Conflict):
    """A request with the same idempotency key was written first; its stored answer applies."""

    code = "duplicate_request"

    def __init__(self, replay: Replay | None) -> None:
        super().__init__("a request with this idempotency key was already processed", rule="duplicate_request")
        self.replay = replay


def create_profile(state: AgentState, *, client: Any = None) -> None:
    """The agent's item, created once by the administration with the profile and AWAY."""
    client = client or clients.dynamodb()
    item = to_item(state_to_item(state) | {"revision": 1})
    try:
        client.put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        raise translate(error, conflict_message="this agent already exists") from error


def write_change(
    change: Change,
    *,
    before: KnownState,
    settings: OrganizationSettings,
    replay: ReplayRecord | None = None,
    now: datetime,
    client: Any = None,
) -> KnownState:
    """State, history entries, queue logins (and the replay record) in one transaction, conditional on
    the revision it started from. Raises StaleState (with the current item) or DuplicateRequest (with
    the stored answer) from the same single request."""
    client = client or clients.dynamodb()
    table = _table()
    state = change.state
    revision = before.revision + 1
    # The same token goes to DynamoDB (idempotent retries of the call) and onto the item: if a retried
    # call finds its own first attempt already written, that is success, not a conflict.
    token = uuid.uuid4().hex
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": to_item(
                    state_to_item(state) | {"revision": revision, "changedAt": _iso(now), "writeToken": token}
                ),
                "ConditionExpression": "#revision = :expected",
                "ExpressionAttributeNames": {"#revision": "revision"},
                "ExpressionAttributeValues": {":expected": {"N": str(before.revision)}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    items += [
        {
            "Put": {
                "TableName": table,
                "Item": to_item(history_to_item(state, entry)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for entry in change.entries
    ]
    items += _queue_login_writes(before.state, state, settings, table)
    if replay is not None:
        record = {
            **_replay_key(state.organization_id, replay.caller_id, replay.key),
            **to_item(
                {
                    "entity": "IdempotencyRecord",
                    "statusCode": replay.status_code,
                    # The answer compressed: as text it is over 1 KB (2 more write units in a transaction).
                    "answer": zlib.compress(json.dumps(replay.body, separators=(",", ":")).encode(), 9),
                    "requestFingerprint": replay.fingerprint,
                    "expiresAt": int((now + IDEMPOTENCY_TTL).timestamp()),
                }
            ),
        }
        items.append(
            {
                "Put": {
                    "TableName": table,
                    "Item": record,
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        )
    try:
        client.transact_write_items(TransactItems=items, ClientRequestToken=token)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        if replay is not None and len(reasons) == len(items) and reasons[-1].get("Code") == "ConditionalCheckFailed":
            raise DuplicateRequest(_replay_from_item(reasons[-1].get("Item"))) from error
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed" and reasons[0].get("Item"):
            current = _known_from_item(reasons[0]["Item"])
            if current.write_token == token:
                return current  # an SDK retry of a call whose first attempt was written: done, once
            raise StaleState(current) from error
        raise translate(error, conflict_message="another change to this agent won: reload and retry") from error
    return _remember(KnownState(state=state, revision=revision, changed_at=now, write_token=token))


def _queue_login_writes(
    before: AgentState, after: AgentState, settings: OrganizationSettings, table: str
) -> list[dict[str, Any]]:
    """One item per queue the agent is logged into, keyed for "routable agents, longest idle first"."""
    pk = _agent_pk(after.organization_id, after.agent_id)
    writes: list[dict[str, Any]] = [
        {"Delete": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": f"{QUEUE_PREFIX}{queue}"}}}}
        for queue in before.queues
        if queue not in after.queues
    ]
    idle = _iso(after.idle_since or after.since) or ""
    for queue in after.queues:
        flag = "R" if is_routable(after, queue, settings) else "N"
        item = {
            "pk": pk,
            "sk": f"{QUEUE_PREFIX}{queue}",
            "entity": "QueueLogin",
            "organizationId": after.organization_id,
            "agentId": after.agent_id,
            "queueId": queue,
            "displayName": after.display_name,
            "status": after.status.value,
            "idleSince": idle,
            "agent": state_view(after),  # the queue dashboard reads these rows with no other request
            "gsi2pk": queue_partition(after.organization_id, queue),
            "gsi2sk": f"{flag}#{idle}#{after.agent_id}",
        }
        writes.append({"Put": {"TableName": table, "Item": to_item(item)}})
    return writes


def routable_agents(organization_id: str, queue_id: str, *, limit: int, client: Any = None) -> list[dict[str, Any]]:
    """Routable agents of a queue, longest idle first: one query on gsi2."""
    client = client or clients.dynamodb()
    response = client.query(
        TableName=_table(),
        IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :queue AND begins_with(gsi2sk, :routable)",
        ExpressionAttributeValues={
            ":queue": {"S": queue_partition(organization_id, queue_id)},
            ":routable": {"S": "R#"},
        },
        Limit=limit,
    )
    return [
        {
            "agentId": v["agentId"],
            "displayName": v.get("displayName"),
            "status": v["status"],
            "idleSince": v.get("idleSince"),
        }
        for v in (from_item(item) for item in response.get("Items", []))
    ]


def wrap_up_partition(organization_id: str, agent_id: str) -> str:
    shard = zlib.crc32(agent_id.encode()) % WRAP_UP_SHARDS
    return f"ORG#{organization_id}#WRAP_UP_DUE#{shard}"


def wrap_ups_due(
    organization_id: str | None, now: datetime, *, limit: int = 500, client: Any = None
) -> list[tuple[str, str]]:
    """(organization, agent) whose wrap-up has elapsed by `now`: the organization's shards, or with None
    the partition every organization shared before the shards."""
    client = client or clients.dynamodb()
    partitions = (
        [LEGACY_WRAP_UP_DUE]
        if organization_id is None
        else [f"ORG#{organization_id}#WRAP_UP_DUE#{shard}" for shard in range(WRAP_UP_SHARDS)]
    )
    found = []
    for partition in partitions:
        response = client.query(
            TableName=_table(),
            IndexName="gsi2",
            KeyConditionExpression="gsi2pk = :due AND gsi2sk <= :now",
            ExpressionAttributeValues={":due": {"S": partition}, ":now": {"S": f"{_iso(now)}#~"}},
            ProjectionExpression="organizationId, agentId",
            Limit=limit,
        )
        for item in response.get("Items", []):
            values = from_item(item)
            found.append((values["organizationId"], values["agentId"]))
    return found


def history_page(
    organization_id: str, agent_id: str, *, limit: int, before_sequence: int | None = None, client: Any = None
) -> list[HistoryEntry]:
    return [
        history_from_item(values)
        for values in history_items(
            organization_id, agent_id, limit=limit, before_sequence=before_sequence, client=client
        )
    ]


def history_items(
    organization_id: str, agent_id: str, *, limit: int, before_sequence: int | None = None, client: Any = None
) -> list[dict[str, Any]]:
    """History newest first; `before_sequence` pages backwards."""
    client = client or clients.dynamodb()
    upper = _history_sk(before_sequence) if before_sequence is not None else f"{HISTORY_PREFIX}~"
    response = client.query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": {"S": f"ORG#{organization_id}#AGENT#{agent_id}"},
            ":low": {"S": HISTORY_PREFIX},
            ":high": {"S": upper},
        },
        ScanIndexForward=False,
        Limit=limit + (1 if before_sequence is not None else 0),
    )
    entries = [from_item(item) for item in response.get("Items", [])]
    return [e for e in entries if before_sequence is None or int(e["sequence"]) < before_sequence][:limit]


def history_since(
    organization_id: str, agent_id: str, *, after_sequence: int, limit: int = 500, client: Any = None
) -> list[dict[str, Any]]:
    """Entries after a sequence number, oldest first: what a reconnecting client missed."""
    client = client or clients.dynamodb()
    response = client.query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": {"S": _agent_pk(organization_id, agent_id)},
            ":low": {"S": _history_sk(after_sequence + 1)},
            ":high": {"S": f"{HISTORY_PREFIX}~"},
        },
        Limit=limit,
    )
    return [from_item(item) for item in response.get("Items", [])]


# --- bulk load ----------------------------------------------------------------------------------

BATCH_WRITE_ITEMS = 25  # the most one BatchWriteItem takes
_BATCH_ATTEMPTS = 8


def load_history(changes: Iterable[tuple[AgentState, HistoryEntry]], *, client: Any = None) -> int:
    """History entries written as they are, 25 to a BatchWriteItem, each item as write_change writes it
    (`state` is the agent after the entry): for filling a table (benchmarks, a copy into a new table).
    Unconditional and not transactional, and the agent's own item is left alone, so it is never the way a
    change is made: that is write_change. Returns how many entries were written."""
    client = client or clients.dynamodb()
    table = _table()
    written = 0
    batch: list[dict[str, Any]] = []
    for state, entry in changes:
        batch.append({"PutRequest": {"Item": to_item(history_to_item(state, entry))}})
        if len(batch) == BATCH_WRITE_ITEMS:
            written += _write_batch(client, table, batch)
            batch = []
    if batch:
        written += _write_batch(client, table, batch)
    return written


def _write_batch(client: Any, table: str, requests: list[dict[str, Any]]) -> int:
    pending: dict[str, Any] = {table: requests}
    for attempt in range(_BATCH_ATTEMPTS):
        try:
            response = client.batch_write_item(RequestItems=pending)
        except ClientError as error:
            raise translate(error, conflict_message="") from error
        pending = response.get("UnprocessedItems") or {}
        if not pending:
            return len(requests)
        time.sleep(min(1.0, 0.05 * 2**attempt))  # what DynamoDB left unprocessed was throttled: back off
    raise Retryable("the table kept throttling the history load", rule="throttled")


def _table() -> str:
    return environment().table_name


# --- mapping -------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def today_to_map(today: DayTotals | None) -> dict[str, Any] | None:
    if today is None:
        return None
    return {
        "day": today.day,
        "perStatusMs": today.per_status_ms,
        "perReasonMs": today.per_reason_ms,
        "entered": today.entered,
        "firstClockIn": _iso(today.first_clock_in),
        "lastClockIn": _iso(today.last_clock_in),
        "lastClockOut": _iso(today.last_clock_out),
    }


def _today_from_map(values: Mapping[str, Any] | None) -> DayTotals | None:
    if not values:
        return None
    return DayTotals(
        day=values["day"],
        per_status_ms={k: int(v) for k, v in values.get("perStatusMs", {}).items()},
        per_reason_ms={k: int(v) for k, v in values.get("perReasonMs", {}).items()},
        entered={k: int(v) for k, v in values.get("entered", {}).items()},
        first_clock_in=_time(values.get("firstClockIn")),
        last_clock_in=_time(values.get("lastClockIn")),
        last_clock_out=_time(values.get("lastClockOut")),
    )


def _actor_view(actor: Actor) -> dict[str, str]:
    return {"kind": actor.kind.value, "id": actor.user_id}


def _work_item_view(item: WorkItem) -> dict[str, Any]:
    return {
        "itemId": item.item_id,
        "channel": item.channel.value,
        "state": item.state.value,
        "since": _iso(item.since),
        "reference": item.reference,
        "queueId": item.queue_id,
    }


def _work_item_from(values: Mapping[str, Any]) -> WorkItem:
    return WorkItem(
        item_id=values["itemId"],
        channel=Channel(values["channel"]),
        state=WorkState(values["state"]),
        since=datetime.fromisoformat(values["since"]),
        reference=values.get("reference"),
        queue_id=values.get("queueId"),
    )


def _next_status_view(pending: NextStatus | None) -> dict[str, Any] | None:
    if pending is None:
        return None
    return {
        "status": pending.status.value,
        "reason": pending.reason,
        "note": pending.note,
        "requestedBy": _actor_view(pending.requested_by),
        "requestedAt": _iso(pending.requested_at),
    }


def _next_status_from(values: Mapping[str, Any] | None) -> NextStatus | None:
    if not values:
        return None
    by = values["requestedBy"]
    return NextStatus(
        status=Status(values["status"]),
        reason=values.get("reason"),
        note=values.get("note"),
        requested_by=Actor(ActorKind(by["kind"]), by["id"]),
        requested_at=datetime.fromisoformat(values["requestedAt"]),
    )


def state_view(state: AgentState) -> dict[str, Any]:
    """The agent's live fields as stored and as pushed to dashboards."""
    return {
        "organizationId": state.organization_id,
        "agentId": state.agent_id,
        "displayName": state.display_name,
        "units": list(state.units),
        "groups": list(state.groups),
        "assignedQueues": list(state.assigned_queues),
        "status": state.status.value,
        "since": _iso(state.since),
        "reason": state.reason,
        "note": state.note,
        "unitId": state.unit_id,
        "platform": state.platform.value if state.platform else None,
        "queues": list(state.queues),
        "workItems": [_work_item_view(item) for item in state.work_items],
        "stopNew": state.stop_new,
        "autoAssignment": state.auto_assignment,
        "nextStatus": _next_status_view(state.next_status),
        "wrapUpEndsAt": _iso(state.wrap_up_ends_at),
        "wrapUpQueue": state.wrap_up_queue,
        "idleSince": _iso(state.idle_since),
        "sequence": state.sequence,
        "today": today_to_map(state.today),
    }


def state_to_item(state: AgentState) -> dict[str, Any]:
    item = {
        "pk": _agent_pk(state.organization_id, state.agent_id),
        "sk": STATE,
        "entity": "AgentState",
        "gsi1pk": unit_partition(state.organization_id, state.home_unit or "none"),
        "gsi1sk": f"AGENT#{state.agent_id}",
        **state_view(state),
    }
    if state.status is Status.WRAP_UP and state.wrap_up_ends_at is not None:
        item["gsi2pk"] = wrap_up_partition(state.organization_id, state.agent_id)
        item["gsi2sk"] = f"{_iso(state.wrap_up_ends_at)}#{state.agent_id}"
    return item


def state_from_item(values: Mapping[str, Any]) -> AgentState:
    return AgentState(
        organization_id=values["organizationId"],
        agent_id=values["agentId"],
        display_name=values.get("displayName", values["agentId"]),
        units=tuple(values.get("units", [])),
        groups=tuple(values.get("groups", [])),
        assigned_queues=tuple(values.get("assignedQueues", [])),
        status=Status(values.get("status", Status.AWAY)),
        since=_time(values.get("since")),
        reason=values.get("reason"),
        note=values.get("note"),
        unit_id=values.get("unitId"),
        platform=Platform(values["platform"]) if values.get("platform") else None,
        queues=tuple(values.get("queues", [])),
        work_items=tuple(_work_item_from(v) for v in values.get("workItems", [])),
        stop_new=bool(values.get("stopNew", False)),
        auto_assignment=bool(values.get("autoAssignment", True)),
        next_status=_next_status_from(values.get("nextStatus")),
        wrap_up_ends_at=_time(values.get("wrapUpEndsAt")),
        wrap_up_queue=values.get("wrapUpQueue"),
        idle_since=_time(values.get("idleSince")),
        sequence=int(values.get("sequence", 0)),
        today=_today_from_map(values.get("today")),
    )


def history_view(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "at": _iso(entry.at),
        "kind": entry.kind.value,
        "fromStatus": entry.from_status.value,
        "toStatus": entry.to_status.value,
        "reason": entry.reason,
        "note": entry.note,
        "actorKind": entry.actor.kind.value,
        "actorId": entry.actor.user_id,
        "platform": entry.platform.value if entry.platform else None,
        "unitId": entry.unit_id,
        "detail": entry.detail,
    }


def history_to_item(state: AgentState, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "pk": _agent_pk(state.organization_id, state.agent_id),
        "sk": _history_sk(entry.sequence),
        "entity": "AgentChange",
        "organizationId": state.organization_id,
        "agentId": state.agent_id,
        **history_view(entry),
        # The agent as it is after this request: what the fan-out pushes, with no read.
        "agent": state_view(state),
    }


def history_from_item(values: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        sequence=int(values["sequence"]),
        at=datetime.fromisoformat(values["at"]),
        kind=EntryKind(values.get("kind", "status")),
        from_status=Status(values["fromStatus"]),
        to_status=Status(values["toStatus"]),
        reason=values.get("reason"),
        note=values.get("note"),
        actor=Actor(ActorKind(values["actorKind"]), values["actorId"]),
        platform=Platform(values["platform"]) if values.get("platform") else None,
        unit_id=values.get("unitId"),
        detail={k: str(v) for k, v in (values.get("detail") or {}).items()},
    )


# --- dashboards: one query per page --------------------------------------------------------------


def _cursor_out(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    import base64

    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def _cursor_in(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    import base64

    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid("the page cursor is not one this API gave", field="cursor", rule="bad_cursor") from error
    if not isinstance(value, dict):
        raise Invalid("the page cursor is not one this API gave", field="cursor", rule="bad_cursor")
    return value


def _query_page(query: dict[str, Any], cursor: str | None, client: Any) -> tuple[list[dict[str, Any]], str | None]:
    start = _cursor_in(cursor)
    if start is not None:
        query["ExclusiveStartKey"] = start
    try:
        response = client.query(**query)
    except Invalid as error:  # DynamoDB's ValidationException (store/items.refuse_validation_errors)
        if start is None:
            raise
        # A cursor from another partition (unit, queue or organization) does not fit this query.
        raise Invalid("the page cursor does not belong to this list", field="cursor", rule="bad_cursor") from error
    except ClientError as error:
        raise translate(error, conflict_message="") from error
    items, last_key = _within_page_bytes(response.get("Items", []), query["IndexName"])
    return [from_item(item) for item in items], _cursor_out(last_key or response.get("LastEvaluatedKey"))


# A dashboard page carries at most this much of agents' items, whatever its `limit`: an agent's item is
# bounded (work items per channel, queue logins; contactcenter/status.py), so a full page of the largest
# agents stays within Lambda's 6 MB response (200 agents of 90 KB would not).
PAGE_BYTES_MAX = 1_000_000
_INDEX_KEYS = {"gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")}


def _within_page_bytes(
    items: list[dict[str, Any]], index_name: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The first items of a page that fit PAGE_BYTES_MAX (at least one), and the key to go on from when the
    page was cut (None when it was not)."""
    size = 0
    for kept, item in enumerate(items):
        size += len(json.dumps(item, separators=(",", ":")))
        if kept and size > PAGE_BYTES_MAX:
            last = items[kept - 1]
            return items[:kept], {name: last[name] for name in ("pk", "sk", *_INDEX_KEYS[index_name])}
    return items, None


def agents_of_unit(
    organization_id: str, unit_id: str, *, limit: int, cursor: str | None = None, client: Any = None
) -> tuple[list[AgentState], str | None]:
    client = client or clients.dynamodb()
    rows, next_cursor = _query_page(
        {
            "TableName": _table(),
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :unit",
            "ExpressionAttributeValues": {":unit": {"S": unit_partition(organization_id, unit_id)}},
            "Limit": limit,
        },
        cursor,
        client,
    )
    return [state_from_item(row) for row in rows], next_cursor


def agents_in_queue(
    organization_id: str, queue_id: str, *, limit: int, cursor: str | None = None, client: Any = None
) -> tuple[list[AgentState], str | None]:
    client = client or clients.dynamodb()
    rows, next_cursor = _query_page(
        {
            "TableName": _table(),
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :queue",
            "ExpressionAttributeValues": {":queue": {"S": queue_partition(organization_id, queue_id)}},
            "Limit": limit,
        },
        cursor,
        client,
    )
    return [state_from_item(row["agent"]) for row in rows if row.get("agent")], next_cursor


# --- reads for attendance reports ----------------------------------------------------------------

# Everything a report needs from an entry; leaves out the agent view each entry carries (most of its size).
_REPORT_ATTRIBUTES = (
    "sequence",
    "at",
    "kind",
    "fromStatus",
    "toStatus",
    "reason",
    "note",
    "actorKind",
    "actorId",
    "unitId",
    "platform",
    "detail",
)


def history_between(
    organization_id: str,
    agent_id: str,
    *,
    start: datetime,
    end: datetime,
    page_size: int = 200,
    client: Any = None,
) -> list[ReportEntry]:
    """The agent's entries before `end`, oldest first, reaching back before `start` as far as the state at
    `start` needs: to the clock-in of the session open then, or to the last entry before it when the agent
    was away. Read newest first (history is keyed by sequence, not time), so a report on a recent day
    reads little more than that day."""
    client = client or clients.dynamodb()
    start_ms, end_ms = report_epoch_ms(start), report_epoch_ms(end)
    newest_first: list[ReportEntry] = []
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :history)",
        "ExpressionAttributeValues": {
            ":pk": {"S": _agent_pk(organization_id, agent_id)},
            ":history": {"S": HISTORY_PREFIX},
        },
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(_REPORT_ATTRIBUTES))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(_REPORT_ATTRIBUTES)},
        "ScanIndexForward": False,
        "Limit": page_size,
    }
    while True:
        response = client.query(**request)
        for item in response.get("Items", []):
            entry = _report_entry(item)
            if entry.at_ms >= end_ms:
                continue
            newest_first.append(entry)
            if entry.at_ms < start_ms and Status.AWAY in (entry.to_status, entry.from_status):
                return newest_first[::-1]
        if "LastEvaluatedKey" not in response:
            return newest_first[::-1]
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _report_entry(item: Mapping[str, Any]) -> ReportEntry:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value.get("S") if value else None

    detail = item.get("detail", {}).get("M")
    return ReportEntry(
        sequence=int(item["sequence"]["N"]),
        at_ms=report_epoch_ms(datetime.fromisoformat(item["at"]["S"])),
        kind=text("kind") or "status",
        from_status=item["fromStatus"]["S"],
        to_status=item["toStatus"]["S"],
        reason=text("reason"),
        note=text("note"),
        actor_kind=item["actorKind"]["S"],
        actor_id=item["actorId"]["S"],
        unit_id=text("unitId"),
        platform=text("platform"),
        detail={key: value.get("S", "") for key, value in detail.items()} if detail else None,
    )
