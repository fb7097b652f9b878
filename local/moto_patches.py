"""A correction to moto 5.2.5's TransactWriteItems, applied when the local stack starts moto.

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
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import moto
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend, DynamoType, Item, Table

logger = logging.getLogger("local.moto")

PATCHED_VERSION = "5.2.5"
_original_transact_write_items = DynamoDBBackend.transact_write_items
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


def apply() -> bool:
    """Applies the correction once; False (and a warning) for a moto it was not written for."""
    if getattr(DynamoDBBackend.transact_write_items, "_local_stack_patch", False):
        return True
    if moto.__version__ != PATCHED_VERSION:
        logger.warning(
            "moto %s is not %s: TransactWriteItems left unpatched; a cancelled transaction may stop "
            "the stream poller (see local/moto_patches.py)",
            moto.__version__,
            PATCHED_VERSION,
        )
        return False
    dynamodb_models.copy = _TablesByReference()  # type: ignore[assignment]
    _transact_write_items._local_stack_patch = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    for name in _SERIALIZED_WRITES:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
    return True
