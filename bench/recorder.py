"""A recorder of what DynamoDB would write, behind the real store code, at botocore's `before-call` hook.

The store code builds and sends its real requests (parameters validated and serialized by botocore); the
hook answers them instead of AWS: items are kept in memory in wire form, so what the code reads back is
what it wrote, and every item write is recorded as DynamoDB would make it: one write to the item's table
partition and, for each index whose key the item has before or after, a write to the index partition
(two when the index key moves: the old entry deleted, the new one put). Each write also carries the item's
size in bytes (DynamoDB's rule: attribute names plus values) for write-unit figures.

SQS requests (the timer queue) are answered as accepted. Conditions are not evaluated: the replays that use
this decide every change on the state they wrote, in order, so none would fail.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.awsrequest import AWSResponse

INDEXES = (("gsi1", "gsi1pk"), ("gsi2", "gsi2pk"))


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _number_size(text: str) -> int:
    digits = str(Decimal(text).normalize()).lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def attribute_size(value: dict[str, Any]) -> int:
    """The bytes DynamoDB counts for one attribute value (its item-size rules)."""
    ((kind, content),) = value.items()
    scalar = {
        "S": lambda: len(content.encode()),
        "N": lambda: _number_size(content),
        "B": lambda: len(base64.b64decode(content)),
    }
    if kind in scalar:
        return int(scalar[kind]())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: item}) for item in content)
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in content)
    if kind == "M":
        return 3 + sum(len(name.encode()) + 1 + attribute_size(item) for name, item in content.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@dataclass(frozen=True)
class Write:
    partition: tuple[str, str]  # ("table" or an index name, partition key value)
    size: int  # bytes of the item written (for an index: the item as projected, ALL here)
    transactional: bool


@dataclass
class Recorder:
    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    now: float = 0.0  # the replay's clock, epoch seconds; moved by the replay
    seconds_per_request: float = 0.0  # a modelled request duration, added to `now` after each request
    organization: str = ""  # who the current writes are for
    counting: bool = True
    per_second: Counter[tuple[tuple[str, str], int]] = field(default_factory=Counter)
    writers: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    writes: list[Write] = field(default_factory=list)  # of the current request only (write units)
    requests: Counter[str] = field(default_factory=Counter)
    changes: int = 0  # kept by the replay

    @contextmanager
    def attached(self, *clients: Any) -> Iterator[Recorder]:
        for client in clients:
            client.meta.events.register_first("before-call.*.*", self._answer)
        try:
            yield self
        finally:
            for client in clients:
                client.meta.events.unregister("before-call.*.*", self._answer)

    # --- botocore ------------------------------------------------------------------------------

    def _answer(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = json.loads(params["body"] or b"{}") if isinstance(params.get("body"), bytes | str) else {}
        if not body and isinstance(params.get("body"), dict):  # query protocol (SQS's older one)
            body = params["body"]
        operation = model.name
        self.requests[operation] += 1
        self.writes = []
        parsed = getattr(self, "_" + _snake(operation), self._nothing)(body)
        self.now += self.seconds_per_request
        return AWSResponse("https://recorded", 200, {}, None), parsed  # type: ignore[arg-type]

    def _nothing(self, body: dict[str, Any]) -> dict[str, Any]:
        return {}

    # --- DynamoDB ------------------------------------------------------------------------------

    def _write(self, key: dict[str, Any], new: dict[str, Any] | None, *, transactional: bool) -> None:
        primary = (key["pk"]["S"], key["sk"]["S"])
        old = self.items.get(primary)
        if new is None:
            self.items.pop(primary, None)
        else:
            self.items[primary] = new
        size = item_size(new if new is not None else (old or key))
        self._count(("table", primary[0]), size, transactional)
        for index, attribute in INDEXES:
            before = old.get(attribute, {}).get("S") if old else None
            after = new.get(attribute, {}).get("S") if new else None
            if before:
                self._count((index, before), item_size(old or {}), transactional)
            if after and after != before:
                self._count((index, after), size, transactional)

    def _count(self, partition: tuple[str, str], size: int, transactional: bool) -> None:
        self.writes.append(Write(partition, size, transactional))
        if self.counting:
            self.per_second[(partition, int(self.now))] += 1
            self.writers[partition].add(self.organization)

    def _put_item(self, body: dict[str, Any]) -> dict[str, Any]:
        self._write(body["Item"], body["Item"], transactional=False)
        return {}

    def _delete_item(self, body: dict[str, Any]) -> dict[str, Any]:
        self._write(body["Key"], None, transactional=False)
        return {}

    def _update_item(self, body: dict[str, Any]) -> dict[str, Any]:
        key = body["Key"]
        current = self.items.get((key["pk"]["S"], key["sk"]["S"])) or dict(key)
        self._write(key, current, transactional=False)
        return {"Attributes": current} if body.get("ReturnValues", "NONE") != "NONE" else {}

    def _transact_write_items(self, body: dict[str, Any]) -> dict[str, Any]:
        for entry in body["TransactItems"]:
            ((kind, request),) = entry.items()
            if kind == "Put":
                self._write(request["Item"], request["Item"], transactional=True)
            elif kind == "Delete":
                self._write(request["Key"], None, transactional=True)
            elif kind == "Update":
                key = request["Key"]
                current = self.items.get((key["pk"]["S"], key["sk"]["S"])) or dict(key)
                self._write(key, current, transactional=True)
            else:  # ConditionCheck: consumes write units on the item's partition, writes nothing
                key = request["Key"]
                self._count(("table", key["pk"]["S"]), item_size(key), True)
        return {}

    def _batch_write_item(self, body: dict[str, Any]) -> dict[str, Any]:
        for requests in body["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    self._write(item, item, transactional=False)
                else:
                    self._write(request["DeleteRequest"]["Key"], None, transactional=False)
        return {"UnprocessedItems": {}}

    def _get(self, key: dict[str, Any]) -> dict[str, Any]:
        item = self.items.get((key["pk"]["S"], key["sk"]["S"]))
        return {"Item": item} if item else {}

    def _get_item(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._get(body["Key"])

    def _transact_get_items(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Responses": [self._get(entry["Get"]["Key"]) for entry in body["TransactItems"]]}

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Items": [], "Count": 0, "ScannedCount": 0}

    # --- SQS -----------------------------------------------------------------------------------

    def _send_message_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        entries = body.get("Entries", [])
        return {
            "Successful": [
                {"Id": entry["Id"], "MessageId": f"m{index}", "MD5OfMessageBody": "0" * 32}
                for index, entry in enumerate(entries)
            ],
            "Failed": [],
        }
