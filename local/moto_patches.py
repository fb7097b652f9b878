"""Corrections to moto 5.2.5's TransactWriteItems and its reads, applied where the local stack runs moto.

moto makes a transaction undoable by deep-copying every table it touches (once per item of the
transaction) and, when the transaction is cancelled, by putting the copy in the table's place. Both
hurt a long-running local stack:
- the replaced table brings a new stream shard, while every shard iterator already handed out still
  reads the old one: after the first cancelled transaction (a routine conflict in this product) the
  stream poller never sees another record;
- the copy includes every item and every stream record ever written, so each transaction costs more
  than the one before.
Here a transaction instead saves the items it names and the length of each table's stream, and a
cancelled one puts those back in place. What a transaction does and answers is moto's own code.

moto's server answers requests on several threads and its DynamoDB has no locking: two transactions
on one item, side by side, could interleave (and a cancelled one's restore could erase the other's
writes). DynamoDB makes every write atomic and transactions isolated, so here every write to a table
takes one lock.

moto's Query reads the whole table for every request: it sorts every item of the table, keeps those of
the partition asked for, and sorts those again. With the report's 1,000 history queries over a table of
50,000 items that is minutes of sorting. DynamoDB reads the one partition, and so does a query here: a
query on the table's key is handed only its partition's items, and a query on an index every item, both
unsorted. moto then sorts what it keeps as before (by range key; for an index by its keys and the
table's, which tell any two items apart), so the sort skipped decided nothing: the answer, its order and
its paging are moto's own code's. Scans still read the table in moto's order. A projection
(ProjectionExpression, as the report's history reads have) made moto turn the whole item into plain JSON
once per attribute named; each path now converts only the top-level attribute it starts from, and
moto's own functions pick and merge the parts as before.

moto writes every response through a serializer that walks botocore's model, and for each attribute value
(S, N, M, L...) looks up each of its ten possible members under several aliases: on a busy machine, a
page of a thousand people came back after the functions' 5-second read timeout. An attribute value is
already in DynamoDB's wire form when moto hands it over, so it is now written as the model walk would
write it (strings as strings, binaries base64-encoded, maps and lists member by member, absent members
left out) without the walk.

moto accepts what DynamoDB refuses with a ValidationException: keys over 2,048 bytes (partition) or 1,024
bytes (sort) in a read, an update or a delete (moto checks them only on PutItem), and numbers of more than
38 significant digits. `apply_limits` refuses them as DynamoDB does, for every request, so that tests and
the local stack see what AWS would answer; the handler tests' moto applies it too.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import moto
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.dynamo_type as dynamo_types
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.exceptions import HashKeyTooLong, MockValidationException, RangeKeyTooLong
from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
from moto.dynamodb.models import DynamoDBBackend, DynamoType, Item, Table
from moto.dynamodb.responses import DynamoHandler

logger = logging.getLogger("local.moto")

PATCHED_VERSION = "5.2.5"
_original_transact_write_items = DynamoDBBackend.transact_write_items
_original_query = Table.query
_original_all_items = Table.all_items
_QUERY_PARAMETERS = inspect.signature(_original_query)
_original_project = Item.project
_LIST_ELEMENT = re.compile(r"(.+)\[(\d+)\]$")  # as moto's find_nested_key reads a path's first part
_original_serialize_structure = BaseJSONSerializer._serialize_type_structure
# DynamoDB's (and its streams') AttributeValue, members in the model's order.
_ATTRIBUTE_VALUE = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_WRITES = threading.RLock()
_SERIALIZED_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item")


class _TablesByReference:
    """Stands in for the `copy` module inside moto.dynamodb.models: tables are not copied (the
    transaction saves what it needs itself); anything else is copied as before."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@dataclass(frozen=True)
class _SavedItem:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None  # a copy, or None when there was no item

    def restore(self) -> None:
        if self.range_key is None:
            if self.item is None:
                self.table.items.pop(self.hash_key, None)
            else:
                self.table.items[self.hash_key] = self.item  # type: ignore[assignment]
        elif self.item is None:
            self.table.items[self.hash_key].pop(self.range_key, None)
        else:
            self.table.items[self.hash_key][self.range_key] = self.item


def _saved_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Iterator[_SavedItem]:
    for entry in transact_items:
        operation: Mapping[str, Any] = next(iter(entry.values()), {})
        table = backend.tables.get(operation.get("TableName", ""))
        key = operation.get("Item") if "Item" in operation else operation.get("Key")
        if table is None or not isinstance(key, Mapping) or table.hash_key_attr not in key:
            continue  # moto refuses these itself
        range_attribute = table.range_key_attr
        if range_attribute is not None and range_attribute not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[range_attribute]) if range_attribute is not None else None
        current = table.get_item(hash_key, range_key)
        yield _SavedItem(table, hash_key, range_key, copy.deepcopy(current))


def _serialized(method: Any) -> Any:
    @functools.wraps(method)
    def write(*args: Any, **kwargs: Any) -> Any:
        with _WRITES:
            return method(*args, **kwargs)

    write._local_stack_patch = True  # type: ignore[attr-defined]
    return write


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _WRITES:
        _transact_write_items_unlocked(self, transact_items)


def _transact_write_items_unlocked(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    saved = list(_saved_items(self, transact_items))
    stream_lengths = {
        id(entry.table): (entry.table, len(entry.table.stream_shard.items))
        for entry in saved
        if entry.table.stream_shard is not None
    }
    try:
        _original_transact_write_items(self, transact_items)
    except BaseException:
        for entry in reversed(saved):
            entry.restore()
        for table, length in stream_lengths.values():
            assert table.stream_shard is not None
            del table.stream_shard.items[length:]
        raise


@dataclass(frozen=True)
class _QueryScope:
    """What the query running in this thread may read of `table`: one partition, or (None) an index's
    items in no particular order."""

    table: Table
    partition: DynamoType | None


# Per request thread (moto's server answers each request on its own thread), set only around one query.
_query_scope: ContextVar[_QueryScope | None] = ContextVar("local_moto_query_scope", default=None)


def _all_items(self: Table) -> list[Item]:
    scope = _query_scope.get()
    if scope is None or scope.table is not self:
        return _original_all_items(self)
    if scope.partition is None:
        if not self.range_key_attr:
            return list(self.items.values())  # type: ignore[arg-type]
        return [item for partition in list(self.items.values()) for item in list(partition.values())]
    found = self.items.get(scope.partition)  # .get: the defaultdict must not grow an empty partition
    if found is None:
        return []
    return list(found.values()) if self.range_key_attr else [found]  # type: ignore[list-item]


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    bound = _QUERY_PARAMETERS.bind(self, *args, **kwargs)
    hash_key = bound.arguments.get("hash_key")
    index_name = bound.arguments.get("index_name")
    if not index_name and hash_key is None:
        return _original_query(self, *args, **kwargs)  # moto refuses or handles it as before
    token = _query_scope.set(_QueryScope(self, None if index_name else hash_key))
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        _query_scope.reset(token)


def _top_level(item: Item, first: str) -> dict[str, Any]:
    """The attributes moto's find_nested_key may look up for a path starting with `first`, as plain JSON."""
    names = {first}
    element = _LIST_ELEMENT.match(first)
    if element:
        names.add(element.group(1))
    return {
        name: dynamo_types.deserializer.deserialize(item.attrs[name].to_regular_json())
        for name in names
        if name in item.attrs
    }


def _project(self: Item, projection_expressions: list[list[str]]) -> Item:
    result: dict[str, Any] = {}
    for expression in projection_expressions:
        dynamo_types.merge_dicts(result, dynamo_types.find_nested_key(expression, _top_level(self, expression[0])))
    return Item(
        hash_key=self.hash_key,
        range_key=self.range_key,
        attrs=dynamo_types.serializer.serialize(result)["M"],
    )


def _string(value: Any) -> Any:
    return str(value) if value not in (None, {}, []) else value  # as BaseJSONSerializer writes a string


def _wire_value(serializer: BaseJSONSerializer, value: Mapping[str, Any]) -> dict[str, Any]:
    """One attribute value as moto's model walk writes it."""
    wire: dict[str, Any] = {}
    for member in _ATTRIBUTE_VALUE:
        part = value.get(member)
        if part is None:
            continue
        if member in ("S", "N"):
            wire[member] = _string(part)
        elif member == "B":
            wire[member] = serializer._base64(part)
        elif member in ("SS", "NS"):
            wire[member] = [_string(item) for item in part]
        elif member == "BS":
            wire[member] = [serializer._base64(item) for item in part]
        elif member == "M":
            wire[member] = {name: _wire_value(serializer, item) for name, item in part.items() if item is not None}
        elif member == "L":
            wire[member] = [None if item is None else _wire_value(serializer, item) for item in part]
        else:  # NULL, BOOL
            wire[member] = part
    return wire


def _serialize_type_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if (
        key
        and shape.name == "AttributeValue"
        and isinstance(value, Mapping)
        and tuple(shape.members) == _ATTRIBUTE_VALUE
    ):
        serialized[self.get_serialized_name(shape, key)] = _wire_value(self, value)
        return
    _original_serialize_structure(self, serialized, value, shape, key)


def apply() -> bool:
    """Applies the corrections once; False (and a warning) for a moto they were not written for."""
    apply_limits()
    if getattr(DynamoDBBackend.transact_write_items, "_local_stack_patch", False):
        return True
    if moto.__version__ != PATCHED_VERSION:
        logger.warning(
            "moto %s is not %s: TransactWriteItems and Query left unpatched; a cancelled transaction may "
            "stop the stream poller, and every query reads the whole table (see local/moto_patches.py)",
            moto.__version__,
            PATCHED_VERSION,
        )
        return False
    dynamodb_models.copy = _TablesByReference()  # type: ignore[assignment]
    _query._local_stack_patch = True  # type: ignore[attr-defined]
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Item.project = _project  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    _transact_write_items._local_stack_patch = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    for name in _SERIALIZED_WRITES:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
    return True


# --- DynamoDB's limits on what a request may carry ------------------------------------------------------

_NUMBER_DIGITS_MAX = 38
_LIMITED_ACTIONS = (
    "put_item",
    "get_item",
    "delete_item",
    "update_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)
# `name = :value`, `name < :value` ... and `name BETWEEN :low AND :high` in a key condition.
_KEY_COMPARISON = re.compile(r"([#\w.]+)\s*(?:=|<=|>=|<|>|\bbetween\b)\s*(:\w+)(?:\s+and\s+(:\w+))?", re.IGNORECASE)
_KEY_PREFIX = re.compile(r"begins_with\s*\(\s*([#\w.]+)\s*,\s*(:\w+)\s*\)", re.IGNORECASE)


def _numbers(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for member, part in value.items():
            if member == "N" and isinstance(part, str):
                yield part
            elif member == "NS" and isinstance(part, list):
                yield from (n for n in part if isinstance(n, str))
            else:
                yield from _numbers(part)
    elif isinstance(value, list):
        for part in value:
            yield from _numbers(part)


def _significant_digits(number: str) -> int:
    mantissa = number.strip().lstrip("+-").lower().split("e", 1)[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


def _check_numbers(request: Mapping[str, Any]) -> None:
    for number in _numbers(request):
        if _significant_digits(number) > _NUMBER_DIGITS_MAX:
            raise MockValidationException("Attempting to store more than 38 significant digits in a Number")


def _check_key(table: Table | None, key: Any) -> None:
    if table is None or not isinstance(key, Mapping):
        return
    hash_value = key.get(table.hash_key_attr)
    if isinstance(hash_value, Mapping) and DynamoType(dict(hash_value)).size() > HASH_KEY_MAX_LENGTH:
        raise HashKeyTooLong
    range_value = key.get(table.range_key_attr) if table.range_key_attr else None
    if isinstance(range_value, Mapping) and DynamoType(dict(range_value)).size() > RANGE_KEY_MAX_LENGTH:
        raise RangeKeyTooLong


def _table(backend: DynamoDBBackend, name: Any) -> Table | None:
    return backend.tables.get(name) if isinstance(name, str) else None


def _key_condition_values(request: Mapping[str, Any], table: Table) -> Iterator[tuple[bool, Any]]:
    """(is the partition key, value) for each value a query's key condition compares a key with."""
    names: Mapping[str, str] = request.get("ExpressionAttributeNames") or {}
    values: Mapping[str, Any] = request.get("ExpressionAttributeValues") or {}
    partition_key = table.hash_key_attr
    index_name = request.get("IndexName")
    if index_name:
        for index in [*table.global_indexes, *table.indexes]:
            if index.name == index_name:
                partition_key = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    expression = str(request.get("KeyConditionExpression") or "")
    for pattern in (_KEY_COMPARISON, _KEY_PREFIX):
        for match in pattern.finditer(expression):
            attribute = names.get(match.group(1), match.group(1))
            for placeholder in match.groups()[1:]:
                if placeholder and placeholder in values:
                    yield attribute == partition_key, values[placeholder]


def _check_query(backend: DynamoDBBackend, request: Mapping[str, Any]) -> None:
    table = _table(backend, request.get("TableName"))
    if table is None:
        return
    for is_partition, value in _key_condition_values(request, table):
        limit = HASH_KEY_MAX_LENGTH if is_partition else RANGE_KEY_MAX_LENGTH
        if isinstance(value, Mapping) and DynamoType(dict(value)).size() > limit:
            raise HashKeyTooLong if is_partition else RangeKeyTooLong
    _check_key(table, request.get("ExclusiveStartKey"))


def _check_batch_keys(backend: DynamoDBBackend, request: Mapping[str, Any]) -> None:
    for name, reads in (request.get("RequestItems") or {}).items():
        for key in reads.get("Keys") or []:
            _check_key(_table(backend, name), key)


def _check_transaction_keys(backend: DynamoDBBackend, request: Mapping[str, Any]) -> None:
    for entry in request.get("TransactItems") or []:
        for operation in entry.values():
            if isinstance(operation, Mapping) and "Key" in operation:
                _check_key(_table(backend, operation.get("TableName")), operation["Key"])


def _check_single_key(backend: DynamoDBBackend, request: Mapping[str, Any]) -> None:
    _check_key(_table(backend, request.get("TableName")), request.get("Key"))


_KEY_CHECKS = {
    "get_item": _check_single_key,
    "delete_item": _check_single_key,
    "update_item": _check_single_key,
    "query": _check_query,
    "batch_get_item": _check_batch_keys,
    "transact_get_items": _check_transaction_keys,
    "transact_write_items": _check_transaction_keys,
}


def _check_request(backend: DynamoDBBackend, action: str, request: Mapping[str, Any]) -> None:
    _check_numbers(request)
    check_keys = _KEY_CHECKS.get(action)
    if check_keys is not None:
        check_keys(backend, request)


def _limited(action: str, method: Any) -> Any:
    @functools.wraps(method)
    def checked(self: DynamoHandler) -> Any:
        _check_request(self.dynamodb_backend, action, getattr(self, "params", None) or {})
        return method(self)

    checked._local_stack_limits = True  # type: ignore[attr-defined]
    return checked


def apply_limits() -> None:
    """DynamoDB's key-size and number-precision refusals (ValidationException), once per process."""
    if getattr(DynamoHandler.get_item, "_local_stack_limits", False):
        return
    for action in _LIMITED_ACTIONS:
        setattr(DynamoHandler, action, _limited(action, getattr(DynamoHandler, action)))
