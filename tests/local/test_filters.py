"""Lambda event filtering rules, as the stream poller applies them."""

from __future__ import annotations

from typing import Any

import pytest

from infra.wiring import WIRING
from local.filters import InvalidFilter, matches, matches_any, validate

RECORD: dict[str, Any] = {
    "eventName": "INSERT",
    "dynamodb": {
        "Keys": {"pk": {"S": "ORG#1"}},
        "NewImage": {"entity": {"S": "AgentChange"}, "sequence": {"N": "7"}, "tags": {"SS": ["a", "b"]}},
        "SizeBytes": 120,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "INSERT"]}, True),
        ({"eventName": ["REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"entity": {"S": ["AgentChange"]}}}}, True),
        ({"dynamodb": {"NewImage": {"entity": {"S": ["Other"]}}}}, False),
        ({"dynamodb": {"OldImage": {"entity": {"S": ["AgentChange"]}}}}, False),  # absent: no match
        ({"dynamodb": {"NewImage": {"sequence": {"N": ["7"]}}}}, True),  # "N" values are strings
        ({"dynamodb": {"NewImage": {"sequence": {"N": [7]}}}}, False),
        ({"dynamodb": {"NewImage": {"tags": {"SS": ["b"]}}}}, True),  # any element of an array
        ({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "ORG#"}]}}}}, True),
        ({"dynamodb": {"Keys": {"pk": {"S": [{"suffix": "#2"}]}}}}, False),
        ({"eventName": [{"equals-ignore-case": "insert"}]}, True),
        ({"eventName": [{"anything-but": ["REMOVE"]}]}, True),
        ({"eventName": [{"anything-but": "INSERT"}]}, False),
        ({"eventName": [{"anything-but": {"prefix": "IN"}}]}, False),
        ({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 120]}]}}, True),
        ({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, False),
        ({"dynamodb": {"OldImage": [{"exists": False}]}}, True),
        ({"dynamodb": {"NewImage": [{"exists": True}]}}, True),
        ({"userIdentity": [{"exists": True}]}, False),
        ({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"SizeBytes": [120]}}]}, True),
        ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["Other"]}}}}, False),  # all fields
    ],
)
def test_a_pattern_matches_as_lambda_documents(pattern: dict[str, Any], expected: bool) -> None:
    validate(pattern)
    assert matches(pattern, RECORD) is expected


def test_a_record_matching_any_pattern_passes() -> None:
    assert matches_any([{"eventName": ["REMOVE"]}, {"eventName": ["INSERT"]}], RECORD)
    assert not matches_any([], RECORD)


@pytest.mark.parametrize(
    "pattern",
    [
        {"eventName": "INSERT"},
        {"eventName": [{"wildcard": "IN*"}]},
        {"eventName": [{"numeric": [">"]}]},
        {"eventName": [{"numeric": ["~", 1]}]},
        {"eventName": [{"exists": "yes"}]},
        {"$or": []},
    ],
)
def test_what_is_not_implemented_is_refused(pattern: dict[str, Any]) -> None:
    with pytest.raises(InvalidFilter):
        validate(pattern)


def test_the_wiring_filters_are_supported() -> None:
    for consumer in WIRING.stream_consumers:
        for pattern in consumer.filters:
            validate(pattern)
