"""Helpers for the local stack's tests: a recording handler, test wirings, and the event-shape check."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import jwt

from infra.wiring import JWT, LAMBDA, Function, HttpRoute, SocketRoute, StreamConsumer, Wiring
from local.gateway import Gateway
from local.issuer import LocalIssuer, LocalUser
from local.runtime import LambdaRuntime
from local.scheduler import Scheduler
from local.streams import StreamPoller
from local.websocket import WebSocketApi

T = TypeVar("T")

Behaviour = Callable[[dict[str, Any], Any], Any]

ALICE = LocalUser("agent-alice", "alice", "org-1", ("AGENT", "SUPERVISOR"), "Alice Agent")


class Recorder:
    """Stands in for every handler of a test wiring: records each event, then answers as told."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.contexts: dict[str, list[Any]] = defaultdict(list)
        self.behaviours: dict[str, Behaviour] = {}
        self._changed = threading.Condition()

    def resolve(self, path: str) -> Callable[[Any, Any], Any]:
        name = path.rsplit(".", 1)[-1]

        def handler(event: Any, context: Any) -> Any:
            with self._changed:
                self.events[name].append(event)
                self.contexts[name].append(context)
                self._changed.notify_all()
            behaviour = self.behaviours.get(name)
            return behaviour(event, context) if behaviour else {"statusCode": 200}

        return handler

    def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.events[name]) >= count, timeout=timeout):
                raise AssertionError(f"{name} got {len(self.events[name])} event(s), expected {count}")
            return list(self.events[name])


@dataclass
class LocalGateway:
    gateway: Gateway
    runtime: LambdaRuntime
    issuer: LocalIssuer
    recorder: Recorder
    websocket_api: WebSocketApi
    scheduler: Scheduler | None

    @property
    def api_url(self) -> str:
        return self.gateway.api_url

    @property
    def ws_url(self) -> str:
        return self.gateway.ws_url

    @property
    def management_url(self) -> str:
        return self.gateway.management_url

    def token(self, **overrides: Any) -> str:
        return self.issuer.mint(ALICE, **overrides)

    def ws_url_with_token(self, token: str | None = None) -> str:
        return f"{self.ws_url}?token={token or self.token()}"


def recorded_function(name: str, timeout_seconds: int = 5) -> Function:
    return Function(name, f"tests.recorder.{name}", f"records {name}", timeout_seconds=timeout_seconds)


def recording_wiring(**overrides: Any) -> Wiring:
    values: dict[str, Any] = {
        "functions": (
            recorded_function("api", timeout_seconds=1),
            recorded_function("socket"),
            recorded_function("authorizer"),
            recorded_function("http_authorizer"),
            recorded_function("consumer"),
            recorded_function("job"),
        ),
        "http_routes": (
            HttpRoute("GET", "/agents/{agentId}/status", "api", "status.read", authorizer=JWT),
            HttpRoute("POST", "/agents/{agentId}/status", "api", "status.force", authorizer=JWT),
            HttpRoute("POST", "/me/clock-in", "api", "attendance.self", authorizer=JWT),
            HttpRoute("GET", "/files/{path+}", "api", "reports.read", authorizer=JWT),
            HttpRoute("GET", "/files/latest", "api", "reports.read", authorizer=JWT),
            HttpRoute("GET", "/integrations/{queueId}", "api", "routing.read", authorizer=LAMBDA),
        ),
        "socket_routes": (
            SocketRoute("$connect", "socket"),
            SocketRoute("$disconnect", "socket"),
            SocketRoute("$default", "socket"),
            SocketRoute("subscribe", "socket"),
        ),
        "socket_authorizer": "authorizer",
        "http_authorizer": "http_authorizer",
        "stream_consumers": (),
    }
    values.update(overrides)
    return Wiring(**values)


def allow_with_issuer(issuer: LocalIssuer) -> Behaviour:
    """A WebSocket authorizer shaped like the product's: verify the token, allow with a context."""

    def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = (event.get("queryStringParameters") or {}).get("token", "")
        key = jwt.PyJWK(issuer.jwks()["keys"][0]).key
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=issuer.audience)
        except jwt.PyJWTError as exc:
            raise Exception("Unauthorized") from exc
        return {
            "principalId": claims["sub"],
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
            },
            "context": {"organizationId": claims["custom:organization"], "userId": claims["sub"], "admin": False},
        }

    return authorize


@dataclass
class StreamUnderTest:
    table: str
    stream_arn: str
    queue_url: str
    dynamodb: Any
    sqs: Any
    recorder: Recorder
    start: Callable[..., StreamPoller]

    def put(self, key: str, entity: str = "AgentChange", **attributes: str) -> None:
        item = {"pk": {"S": key}, "sk": {"S": "A"}, "entity": {"S": entity}}
        item |= {name: {"S": value} for name, value in attributes.items()}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def put_together(self, *entities: tuple[str, str]) -> None:
        """One transaction: its records reach the stream together, so they form one batch."""
        self.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {"pk": {"S": key}, "sk": {"S": "A"}, "entity": {"S": entity}},
                    }
                }
                for key, entity in entities
            ]
        )

    def batches(self) -> list[list[str]]:
        """The keys of each batch the consumer was invoked with."""
        return [
            [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
            for event in self.recorder.events["consumer"]
        ]

    def failures(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


def consumer(**overrides: Any) -> StreamConsumer:
    return replace(StreamConsumer("consumer", filters=(), batch_size=10, retry_attempts=2), **overrides)


def unique(prefix: str) -> str:
    """Readable unique names: moto's state is shared by every test of this process."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def eventually(check: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # bounded by the deadline
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(interval)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


@dataclass(frozen=True)
class _Allowances:
    free: frozenset[str]
    optional: frozenset[str]
    extra: frozenset[str]
    nullable: frozenset[str]


def shape_differences(
    actual: Any,
    expected: Any,
    *,
    free: frozenset[str] = frozenset(),
    optional: frozenset[str] = frozenset(),
    extra: frozenset[str] = frozenset(),
    nullable: frozenset[str] = frozenset(),
) -> list[str]:
    """Where `actual` differs from `expected` in keys or JSON types, at every level.

    Values may differ. Paths are dotted ("requestContext.http.method"); `free` paths hold maps whose keys
    are data (headers, claims), `optional` ones may be absent from `actual`, `extra` ones may appear only
    in `actual`, `nullable` ones may be null in `actual`. Array elements are compared with the expected
    array's first element.
    """
    return _differences(actual, expected, "", _Allowances(free, optional, extra, nullable))


def _differences(actual: Any, expected: Any, path: str, allowed: _Allowances) -> list[str]:
    if actual is None and path in allowed.nullable:
        return []
    if json_type(actual) != json_type(expected):
        return [f"{path or '<root>'}: {json_type(actual)} instead of {json_type(expected)}"]
    if isinstance(expected, Mapping) and path in allowed.free:
        return _value_types(actual, expected, path)
    if isinstance(expected, Mapping):
        return _object_differences(actual, expected, path, allowed)
    if isinstance(expected, list) and expected:
        return [
            problem
            for index, item in enumerate(actual)
            for problem in _differences(item, expected[0], f"{path}[{index}]", allowed)
        ]
    return []


def _object_differences(
    actual: Mapping[str, Any], expected: Mapping[str, Any], path: str, allowed: _Allowances
) -> list[str]:
    problems = [
        f"{_join(path, key)}: missing"
        for key in sorted(set(expected) - set(actual))
        if _join(path, key) not in allowed.optional
    ]
    problems += [
        f"{_join(path, key)}: not in the AWS sample"
        for key in sorted(set(actual) - set(expected))
        if _join(path, key) not in allowed.extra
    ]
    for key in sorted(set(actual) & set(expected)):
        problems += _differences(actual[key], expected[key], _join(path, key), allowed)
    return problems


def _value_types(actual: Mapping[str, Any], expected: Mapping[str, Any], path: str) -> list[str]:
    """A map whose keys are data: only its values' types are compared, with the sample's first value."""
    if not expected:
        return []
    sample = json_type(next(iter(expected.values())))
    return [
        f"{_join(path, key)}: {json_type(value)} instead of {sample}"
        for key, value in actual.items()
        if json_type(value) != sample
    ]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def run(awaitable: Awaitable[T], timeout: float = 15.0) -> T:
    """Runs a client coroutine to completion, bounded by `timeout`."""

    async def bounded() -> T:
        return await asyncio.wait_for(awaitable, timeout=timeout)

    return asyncio.run(bounded())
