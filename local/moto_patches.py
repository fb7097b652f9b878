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
from moto.dynamodb.models import DynamoDBBackend, DynamoType, Item, Table

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
