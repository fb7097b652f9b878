"""moto's TransactWriteItems, as corrected for the local stack: a cancelled transaction leaves the
table and its stream as they were, and the stream poller keeps reading."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

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
    assert stream.batches() == [["x", "y"]]
