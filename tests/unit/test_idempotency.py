"""The pure Idempotency-Key rules: a request's fingerprint, and refusing a key reused for another request."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum, IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.errors import Conflict
from contactcenter.idempotency import canonical, fingerprint, require_same_request
from contactcenter.status import SetStatus
from contactcenter.statuses import Status


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    LARGE = 3


class Shape(Enum):
    SQUARE = ("square", 4)


@dataclass(frozen=True)
class Draft:
    title: str
    due_at: datetime | None = None
    agent_ids: tuple[str, ...] = ()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


def test_fingerprint_is_the_sha256_of_the_canonical_json() -> None:
    expected = hashlib.sha256(b'{"a":[1,"\xc3\xa9"],"b":null}').hexdigest()
    assert fingerprint({"b": None, "a": [1, "é"]}) == expected
    assert re.fullmatch(r"[0-9a-f]{64}", expected)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_key_order_never_matters(request: dict[str, Any]) -> None:
    assert fingerprint(request) == fingerprint(dict(reversed(list(request.items()))))


@given(json_values, json_values)
def test_two_requests_share_a_fingerprint_exactly_when_their_canonical_json_is_the_same(
    first: Any, second: Any
) -> None:
    assert (fingerprint(first) == fingerprint(second)) == (_json(first) == _json(second))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def test_list_order_matters_set_order_does_not() -> None:
    assert fingerprint(["ana", "cy"]) != fingerprint(["cy", "ana"])
    assert fingerprint(("ana", "cy")) == fingerprint(["ana", "cy"])
    assert fingerprint(frozenset({"ana", "cy"})) == fingerprint({"cy", "ana"}) == fingerprint(["ana", "cy"])
    assert canonical({3, 1, 2}) == [1, 2, 3]


def test_the_same_instant_in_any_offset_is_the_same_request() -> None:
    utc = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    rome = utc.astimezone(timezone(timedelta(hours=1)))
    assert fingerprint({"dueAt": utc}) == fingerprint({"dueAt": rome})
    assert canonical(rome) == "2030-01-01T10:00:00.000000+00:00"
    assert fingerprint({"dueAt": utc}) != fingerprint({"dueAt": utc + timedelta(milliseconds=1)})
    assert canonical(datetime(2030, 1, 1, 10, 0)) == "2030-01-01T10:00:00.000000"  # naive: as it is
    assert canonical(date(2030, 1, 1)) == "2030-01-01"


def test_enums_are_their_values() -> None:
    assert canonical(Colour.RED) == "red"
    assert canonical(Size.LARGE) == 3
    assert canonical(Shape.SQUARE) == ["square", 4]
    assert fingerprint({"status": Status.AVAILABLE}) == fingerprint({"status": "AVAILABLE"})


def test_dataclasses_are_objects_of_their_fields() -> None:
    due = datetime(2030, 1, 1, tzinfo=UTC)
    draft = Draft("Review", due, ("ana",))
    assert canonical(draft) == {"title": "Review", "due_at": "2030-01-01T00:00:00.000000+00:00", "agent_ids": ["ana"]}
    assert fingerprint(draft) == fingerprint(Draft("Review", due.astimezone(timezone(timedelta(hours=-5))), ("ana",)))
    assert fingerprint(draft) != fingerprint(Draft("Review", due, ("cy",)))
    assert fingerprint(draft) != fingerprint(Draft("Review", None, ("ana",)))
    assert canonical(SetStatus(Status.UNAVAILABLE, "BREAK")) == {
        "status": "UNAVAILABLE",
        "reason": "BREAK",
        "description": None,
    }


def test_absent_and_null_are_different_requests() -> None:
    assert fingerprint({"a": None}) != fingerprint({})


@pytest.mark.parametrize("value", [object(), b"bytes", {1: "a"}, Draft, float("nan")])
def test_what_has_no_canonical_json_is_refused_never_guessed(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        fingerprint(value)


def test_the_same_fingerprint_passes_and_a_missing_one_cannot_tell() -> None:
    request = fingerprint({"a": 1})
    require_same_request(request, request)
    require_same_request(None, request)


def test_another_fingerprint_is_409_naming_the_header_and_the_rule() -> None:
    with pytest.raises(Conflict) as refused:
        require_same_request(fingerprint({"a": 1}), fingerprint({"a": 2}))
    assert refused.value.body() == {
        "error": {
            "code": "conflict",
            "message": "this Idempotency-Key was used for another request",
            "rule": "idempotency_key_reused",
            "field": "Idempotency-Key",
        }
    }
