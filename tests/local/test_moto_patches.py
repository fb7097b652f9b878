"""moto's TransactWriteItems and reads, as corrected for the local stack: a cancelled transaction leaves
the table and its stream as they were, and the stream poller keeps reading; a query reads only its
partition, and every read (its items, order, pages, projections and each kind of value) answers exactly
as unpatched moto does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import Item, Table

from infra.wiring import WIRING
from local import moto_patches
from local.resources import create_table
from tests.local.support import StreamUnderTest, consumer


def _item(stream: StreamUnderTest, key: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = stream.dynamodb.get_item(
        TableName=stream.table, Key={"pk": {"S": key}, "sk": {"S": "A"}}
    ).get("Item")
    return found


def _put(stream: StreamUnderTest, key: str, note: str) -> dict[str, Any]:
    item = {"pk": {"S": key}, "sk": {"S": "A"}, "entity": {"S": "AgentChange"}, "note": {"S": note}}
    return {"Put": {"TableName": stream.table, "Item": item}}


def test_a_cancelled_transaction_changes_nothing_and_the_stream_goes_on(stream: StreamUnderTest) -> None:
    stream.put("guard")
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.dynamodb.transact_write_items(TransactItems=[_put(stream, "taken", "first")])
    assert poller.wait_idle(10)

    update = {
        "Update": {
            "TableName": stream.table,
            "Key": {"pk": {"S": "taken"}, "sk": {"S": "A"}},
            "UpdateExpression": "SET note = :n",
            "ExpressionAttributeValues": {":n": {"S": "changed"}},
        }
    }
    with pytest.raises(ClientError) as cancelled:
        # A put, an update and another put succeed, then the condition on "guard" fails: all undone.
        stream.dynamodb.transact_write_items(
            TransactItems=[
                _put(stream, "fresh", "new"),
                update,
                _put(stream, "other", "x"),
                {"ConditionCheck": _condition_on(stream, "guard")},
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(stream, "fresh") is None
    assert _item(stream, "other") is None
    assert _item(stream, "taken") == {
        "pk": {"S": "taken"},
        "sk": {"S": "A"},
        "entity": {"S": "AgentChange"},
        "note": {"S": "first"},
    }

    stream.put("after")
    assert poller.wait_idle(10)
    assert stream.batches() == [["taken"], ["after"]]  # nothing of the cancelled transaction


def _condition_on(stream: StreamUnderTest, key: str) -> dict[str, Any]:
    return {
        "TableName": stream.table,
        "Key": {"pk": {"S": key}, "sk": {"S": "A"}},
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def test_a_transaction_naming_one_item_twice_is_refused_and_undone(stream: StreamUnderTest) -> None:
    with pytest.raises(ClientError) as refused:
        stream.dynamodb.transact_write_items(TransactItems=[_put(stream, "twice", "a"), _put(stream, "twice", "b")])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _item(stream, "twice") is None


def test_a_committed_transaction_writes_every_item_and_record(stream: StreamUnderTest) -> None:
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.dynamodb.transact_write_items(TransactItems=[_put(stream, "x", "1"), _put(stream, "y", "2")])
    assert poller.wait_idle(10)
    assert _item(stream, "x") is not None and _item(stream, "y") is not None
    # Both records, in order; one batch or two (a poll may fall between them, and DynamoDB Streams does
    # not promise a transaction's records together either).
    assert [key for batch in stream.batches() for key in batch] == ["x", "y"]


# --- Query: only the partition asked for, answers as unpatched moto gives them -----------------------


def _mixed_items() -> list[dict[str, Any]]:
    """Agent-like partitions (state on gsi1, history, queue logins on gsi2), plus items on no index; many
    share index key values, so the table's keys decide their order on the index."""
    items: list[dict[str, Any]] = []
    for agent in range(6):
        pk = f"ORG#o#AGENT#a{agent}"
        unit = f"ORG#o#UNIT#u{agent % 2}"
        items.append({"pk": pk, "sk": "STATE", "gsi1pk": unit, "gsi1sk": f"AGENT#a{agent // 3}", "n": agent})
        items += [
            {
                "pk": pk,
                "sk": f"HIST#{sequence:010d}",
                "n": sequence % 4,
                "agent": {"status": f"S{sequence % 3}", "units": [f"u{agent % 2}", "x"], "today": {"ms": sequence}},
                "tags": ["a", f"t{sequence}"],
            }
            for sequence in range(1, 12)
        ]
        items += [
            {"pk": pk, "sk": f"QUEUE#q{queue}", "gsi2pk": f"ORG#o#QUEUE#q{queue}", "gsi2sk": f"R#{agent % 3}"}
            for queue in range(2)
        ]
    items += [{"pk": "ORG#o", "sk": f"PERSON#p{person}", "n": person} for person in range(5)]
    items.append({"pk": "ORG#o", "sk": "SETTINGS", "gsi1pk": "ORG#o#UNIT#u0", "gsi1sk": "AGENT#a0"})
    return items


def _put_all(dynamodb: Any, table: str) -> None:
    serializer = TypeSerializer()
    for item in _mixed_items():
        dynamodb.put_item(TableName=table, Item={name: serializer.serialize(value) for name, value in item.items()})


_QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "ORG#o#AGENT#a1"}}},
    {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
        "ExpressionAttributeValues": {":pk": {"S": "ORG#o#AGENT#a4"}, ":h": {"S": "HIST#"}},
        "ProjectionExpression": "sk, n",
    },
    {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
        "ExpressionAttributeValues": {":pk": {"S": "ORG#o#AGENT#a3"}, ":h": {"S": "HIST#"}},
        "ProjectionExpression": "#agent.#status, agent.units[1], agent.today, tags[1], missing.part",
        "ExpressionAttributeNames": {"#agent": "agent", "#status": "status"},
    },
    {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {
            ":pk": {"S": "ORG#o#AGENT#a2"},
            ":low": {"S": "HIST#0000000003"},
            ":high": {"S": "HIST#0000000009"},
        },
        "FilterExpression": "n > :zero",
        "ExpressionAttributeValues_extra": {":zero": {"N": "0"}},
    },
    {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": "ORG#o"}, ":p": {"S": "PERSON#"}},
    },
    {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "ORG#nobody"}}},
    {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :unit",
        "ExpressionAttributeValues": {":unit": {"S": "ORG#o#UNIT#u0"}},
    },
    {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :unit AND begins_with(gsi1sk, :a)",
        "ExpressionAttributeValues": {":unit": {"S": "ORG#o#UNIT#u1"}, ":a": {"S": "AGENT#"}},
    },
    {
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :queue AND gsi2sk <= :upto",
        "ExpressionAttributeValues": {":queue": {"S": "ORG#o#QUEUE#q1"}, ":upto": {"S": "R#1"}},
    },
]


def _all_pages(dynamodb: Any, table: str, query: dict[str, Any], *, forward: bool, limit: int | None) -> list[Any]:
    request = {key: value for key, value in query.items() if not key.endswith("_extra")}
    request["ExpressionAttributeValues"] = query["ExpressionAttributeValues"] | query.get(
        "ExpressionAttributeValues_extra", {}
    )
    request |= {"TableName": table, "ScanIndexForward": forward} | ({"Limit": limit} if limit else {})
    pages = []
    while True:
        response = dynamodb.query(**request)
        pages.append({key: response.get(key) for key in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        if "LastEvaluatedKey" not in response or len(pages) > 100:
            return pages
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _every_answer(dynamodb: Any, table: str) -> dict[tuple[int, bool, int | None], list[Any]]:
    """Each query's pages: both directions; whole, one item a page, four a page."""
    return {
        (number, forward, limit): _all_pages(dynamodb, table, query, forward=forward, limit=limit)
        for number, query in enumerate(_QUERIES)
        for forward in (True, False)
        for limit in (None, 1, 4)
    }


@pytest.fixture
def moto_here(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """moto in this process (the stack's runs in a process of its own), for switching between its own
    reads and the corrected ones within one test; clients of it by service name."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = boto3.session.Session()
    with mock_aws():
        yield session.client


def _reads(monkeypatch: pytest.MonkeyPatch, *, corrected: bool) -> None:
    """moto's query, projection and response writing: the local stack's corrections, or moto's own."""
    for owner, name, fixed, original in (
        (Table, "query", moto_patches._query, moto_patches._original_query),
        (Table, "all_items", moto_patches._all_items, moto_patches._original_all_items),
        (Item, "project", moto_patches._project, moto_patches._original_project),
        (
            BaseJSONSerializer,
            "_serialize_type_structure",
            moto_patches._serialize_type_structure,
            moto_patches._original_serialize_structure,
        ),
    ):
        monkeypatch.setattr(owner, name, fixed if corrected else original)


def test_queries_answer_as_unpatched_moto_does(
    moto_here: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb = moto_here("dynamodb")
    create_table(dynamodb, "query", WIRING.table)
    _put_all(dynamodb, "query")

    _reads(monkeypatch, corrected=True)
    patched = _every_answer(dynamodb, "query")
    _reads(monkeypatch, corrected=False)
    unpatched = _every_answer(dynamodb, "query")

    assert patched == unpatched
    history_newest_first = patched[(1, False, 4)]
    assert [len(page["Items"]) for page in history_newest_first] == [4, 4, 3]
    assert history_newest_first[0]["Items"][0] == {"sk": {"S": "HIST#0000000011"}, "n": {"N": "3"}}
    projected = patched[(2, True, None)][0]["Items"][0]
    assert projected == {
        "agent": {"M": {"status": {"S": "S1"}, "units": {"L": [{"S": "x"}]}, "today": {"M": {"ms": {"N": "1"}}}}},
        "tags": {"L": [{"S": "t1"}]},
    }
    unit_one_by_one = patched[(6, True, 1)]  # three agents and the settings item share unit u0 on gsi1
    assert [page["Items"][0]["pk"]["S"] for page in unit_one_by_one if page["Items"]] == [
        "ORG#o",
        "ORG#o#AGENT#a0",
        "ORG#o#AGENT#a2",
        "ORG#o#AGENT#a4",
    ]


def test_a_query_on_the_table_key_reads_only_its_partition(
    moto_here: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb = moto_here("dynamodb")
    create_table(dynamodb, "partition", WIRING.table)
    _put_all(dynamodb, "partition")
    _reads(monkeypatch, corrected=True)

    def whole_table(self: Table) -> list[Any]:
        raise AssertionError("a query on the table's key read the whole table")

    monkeypatch.setattr(moto_patches, "_original_all_items", whole_table)
    items = _all_pages(dynamodb, "partition", _QUERIES[0], forward=False, limit=5)
    assert [item["sk"]["S"] for page in items for item in page["Items"]][:2] == ["STATE", "QUEUE#q1"]
    assert sum(page["Count"] for page in items) == 14


_EVERY_KIND = {
    "pk": {"S": "kinds"},
    "sk": {"S": "A"},
    "text": {"S": 'été, "quoted" and\nnewline'},
    "empty": {"S": ""},
    "number": {"N": "-12.50"},
    "binary": {"B": b"\x00\xffbytes"},
    "strings": {"SS": ["b", "a"]},
    "numbers": {"NS": ["1", "2.5"]},
    "binaries": {"BS": [b"\x01", b"\x02"]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "map": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}, {"L": []}, {"NULL": True}]}, "b": {"B": b"z"}}},
    "emptyMap": {"M": {}},
    "emptyList": {"L": []},
}
_KEY = {"pk": {"S": "kinds"}, "sk": {"S": "A"}}


def _every_read(dynamodb: Any) -> list[Any]:
    by_key = {"KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": _KEY["pk"]}}
    return [
        dynamodb.get_item(TableName="kinds", Key=_KEY)["Item"],
        dynamodb.query(TableName="kinds", **by_key)["Items"],
        dynamodb.query(
            TableName="kinds",
            ProjectionExpression="#b, #m.inner[0], #m.b, strings",
            ExpressionAttributeNames={"#b": "binary", "#m": "map"},
            **by_key,
        )["Items"],
        dynamodb.scan(TableName="kinds")["Items"],
        dynamodb.batch_get_item(RequestItems={"kinds": {"Keys": [_KEY]}})["Responses"],
        dynamodb.update_item(
            TableName="kinds",
            Key=_KEY,
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": "number"},
            ExpressionAttributeValues={":n": {"N": "-12.50"}},  # the same value: both passes answer alike
            ReturnValues="ALL_NEW",
        )["Attributes"],
    ]


def test_every_kind_of_value_is_answered_as_unpatched_moto_answers_it(
    moto_here: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb = moto_here("dynamodb")
    create_table(dynamodb, "kinds", WIRING.table)
    dynamodb.put_item(TableName="kinds", Item=_EVERY_KIND)

    _reads(monkeypatch, corrected=True)
    patched = _every_read(dynamodb)
    _reads(monkeypatch, corrected=False)
    unpatched = _every_read(dynamodb)

    assert patched == unpatched
    assert patched[0] == _EVERY_KIND


def test_the_stack_s_moto_answers_with_the_corrections(stream: StreamUnderTest, aws: Callable[[str], Any]) -> None:
    """The stack's moto (a process of its own, which applied the corrections) answers reads and stream
    records with every kind of value as they were written."""
    _put_all(stream.dynamodb, stream.table)
    assert _all_pages(stream.dynamodb, stream.table, _QUERIES[2], forward=True, limit=None)[0]["Items"][0] == {
        "agent": {"M": {"status": {"S": "S1"}, "units": {"L": [{"S": "x"}]}, "today": {"M": {"ms": {"N": "1"}}}}},
        "tags": {"L": [{"S": "t1"}]},
    }
    stream.dynamodb.put_item(TableName=stream.table, Item=_EVERY_KIND)
    assert stream.dynamodb.get_item(TableName=stream.table, Key=_KEY)["Item"] == _EVERY_KIND
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    assert records[-1]["dynamodb"]["NewImage"] == _EVERY_KIND
