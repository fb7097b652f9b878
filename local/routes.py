"""HTTP API route matching: route keys like "GET /agents/{agentId}/status" against a request path.

API Gateway picks the most specific route: an exact method before ANY, then literal segments before
path variables before a greedy {proxy+}; unmatched requests get 404 (HTTP APIs never answer 405).
Paths are compared segment by segment, so a trailing slash is a different route, as in API Gateway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

R = TypeVar("R")

_LITERAL, _VARIABLE, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class _Segment:
    kind: int
    text: str  # the literal, or the variable's name


@dataclass(frozen=True)
class _Compiled(Generic[R]):
    method: str
    segments: tuple[_Segment, ...]
    target: R


@dataclass(frozen=True)
class Match(Generic[R]):
    target: R
    path_parameters: dict[str, str]


def _compile_path(path: str) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    parts = path.split("/")[1:]
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if index != len(parts) - 1:
                raise ValueError(f"a greedy variable must be the last segment: {path}")
            segments.append(_Segment(_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(_Segment(_VARIABLE, part[1:-1]))
        else:
            segments.append(_Segment(_LITERAL, part))
    return tuple(segments)


class RouteTable(Generic[R]):
    def __init__(self, routes: Iterable[tuple[str, str, R]]) -> None:
        """Routes as (method, path template, target); method "ANY" matches every method."""
        self._routes = [_Compiled(method.upper(), _compile_path(path), target) for method, path, target in routes]

    def match(self, method: str, raw_path: str) -> Match[R] | None:
        parts = raw_path.split("/")[1:]
        best: tuple[tuple[int, ...], Match[R]] | None = None
        for route in self._routes:
            if route.method not in (method.upper(), "ANY"):
                continue
            parameters = _match_segments(route.segments, parts)
            if parameters is None:
                continue
            rank = (0 if route.method != "ANY" else 1, *(segment.kind for segment in route.segments))
            if best is None or rank < best[0]:
                best = (rank, Match(route.target, parameters))
        return None if best is None else best[1]


def _match_segments(segments: tuple[_Segment, ...], parts: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, segment in enumerate(segments):
        if segment.kind == _GREEDY:
            rest = parts[index:]
            if not rest or rest == [""]:
                return None
            parameters[segment.text] = unquote("/".join(rest))
            return parameters
        if index >= len(parts):
            return None
        part = parts[index]
        if segment.kind == _LITERAL:
            if unquote(part) != segment.text:
                return None
        elif not part:
            return None
        else:
            parameters[segment.text] = unquote(part)
    return parameters if len(parts) == len(segments) else None
