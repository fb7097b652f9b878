"""Lambda event filtering: which stream records an event source mapping's filter patterns let through.

A record is delivered when it matches any of the patterns. In a pattern, an object descends into the
record's object of the same name and a list is a set of matchers, any of which may match the value (or,
when the value is a list, any of its elements). Matchers, as Lambda documents them:
- a string, number or null: equality (a number never equals a string, so DynamoDB's "N" values, which
  are strings, compare as strings);
- {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s};
- {"anything-but": value | [values] | {"prefix": s} | {"suffix": s}};
- {"numeric": [">", 0, "<=", 5]} (numbers only);
- {"exists": true | false};
- {"$or": [pattern, ...]} as a key of an object pattern.
Anything else is refused when the patterns are compiled, rather than silently matching nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_MISSING = object()
_NUMERIC_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MATCHER_KEYS = frozenset({"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"})


class InvalidFilter(ValueError):
    pass


def validate(pattern: Mapping[str, Any]) -> None:
    """Raises InvalidFilter for a pattern that uses something this module does not implement."""
    if not isinstance(pattern, Mapping):
        raise InvalidFilter(f"a filter pattern must be an object, not {pattern!r}")
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or not rule:
                raise InvalidFilter("$or takes a non-empty list of patterns")
            for alternative in rule:
                validate(alternative)
        elif isinstance(rule, Mapping):
            validate(rule)
        elif isinstance(rule, list):
            for matcher in rule:
                _validate_matcher(matcher)
        else:
            raise InvalidFilter(f"{key}: a rule must be an object or a list of matchers, not {rule!r}")


def _validate_matcher(matcher: Any) -> None:
    if matcher is None or isinstance(matcher, str | int | float):
        return
    if not isinstance(matcher, Mapping) or len(matcher) != 1 or next(iter(matcher)) not in _MATCHER_KEYS:
        raise InvalidFilter(f"unsupported matcher {matcher!r}")
    ((kind, argument),) = matcher.items()
    if kind == "numeric" and (not isinstance(argument, list) or len(argument) % 2):
        raise InvalidFilter(f"numeric takes operator/value pairs, not {argument!r}")
    if kind == "numeric" and any(op not in _NUMERIC_OPERATORS for op in argument[::2]):
        raise InvalidFilter(f"unknown numeric operator in {argument!r}")
    if kind == "exists" and not isinstance(argument, bool):
        raise InvalidFilter("exists takes true or false")


def matches_any(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    return any(matches(pattern, record) for pattern in patterns)


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(alternative, record) for alternative in rule):
                return False
            continue
        value = record.get(key, _MISSING) if isinstance(record, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if not matches(rule, value if isinstance(value, Mapping) else {}):
                return False
        elif not any(_matches_value(matcher, value) for matcher in rule):
            return False
    return True


def _matches_value(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, Mapping) and "exists" in matcher:
        present = value is not _MISSING and value != []
        return present is matcher["exists"]
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_matches_scalar(matcher, item) for item in value)
    return _matches_scalar(matcher, value)


def _matches_scalar(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        return _equal(matcher, value)
    ((kind, argument),) = matcher.items()
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if kind == "anything-but":
        return not _anything_but_excludes(argument, value)
    return _numeric(argument, value)  # "numeric", the last kind validate() lets through


def _anything_but_excludes(argument: Any, value: Any) -> bool:
    if isinstance(argument, Mapping):
        return _matches_scalar(argument, value)
    excluded = argument if isinstance(argument, list) else [argument]
    return any(_equal(item, value) for item in excluded)


def _numeric(conditions: Sequence[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return all(
        _NUMERIC_OPERATORS[conditions[index]](value, conditions[index + 1]) for index in range(0, len(conditions), 2)
    )


def _equal(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, str) or isinstance(value, str):
        return isinstance(expected, str) and isinstance(value, str) and expected == value
    return bool(expected == value)
