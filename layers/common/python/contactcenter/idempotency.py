"""Idempotency-Key rules: what makes two requests "the same", and refusing a key reused for another.

A stored answer is replayed only to the request it answered. The record of a key carries the fingerprint
of that request (sha256 of its canonical JSON, computed from the request as validated, so spellings
that validate to the same values, such as `Z` and `+00:00`, are the same request); the same key with
another fingerprint is 409 `idempotency_key_reused` naming the `Idempotency-Key` field, and nothing is
written (as `POST /reports/jobs` answers, and as Powertools' payload validation and Stripe refuse it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import TypeAlias

from contactcenter.errors import Conflict

FIELD = "Idempotency-Key"
RULE = "idempotency_key_reused"

Canonical: TypeAlias = "bool | int | float | str | list[Canonical] | dict[str, Canonical] | None"


def fingerprint(request: object) -> str:
    """sha256 (hex) of the request's canonical JSON: sorted keys, no spaces, values made plain."""
    text = json.dumps(canonical(request), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def canonical(value: object) -> Canonical:
    """JSON-ready values: dataclasses and mappings as objects, sequences as lists (in order), sets as
    sorted lists, enums by value, aware times in UTC. Anything else is a TypeError, never a guess."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("a fingerprinted mapping needs text keys")
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, set | frozenset):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, separators=(",", ":")))
    return _scalar(value)


def _scalar(value: object) -> Canonical:
    if isinstance(value, Enum):
        return canonical(value.value)  # a StrEnum member is its plain text, as the edge parsed it
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def require_same_request(stored: str | None, current: str) -> None:
    """Refuse a key whose record was written for another request. A record without a fingerprint
    (written before fingerprints were stored; they expire within a day) cannot tell: it is replayed."""
    if stored is not None and stored != current:
        raise Conflict("this Idempotency-Key was used for another request", field=FIELD, rule=RULE)
