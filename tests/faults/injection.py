"""Break AWS calls through botocore's event hooks, and nothing else: the product's code runs unchanged.

- `Outage` answers an operation with an AWS error in `before-call`: the request is never sent, and the
  caller gets what botocore raises once its own retries are spent (throttling, cancelled transactions,
  S3 errors). It can be limited to some calls (`matching`) and to a number of calls (`times`).
- `Timeout` makes every attempt of an operation time out, before or after AWS applied it.
- `Race` runs a competing writer just before an operation is sent (its arguments already serialized),
  so the request meets a table that moved under it: a real conditional-check failure.
- `ManagementApi` stands in for API Gateway's @connections endpoint in `before-send`, per attempt, so
  botocore's retries run as they would: a connection can be gone (410), broken (500) or slow (read
  timeout); the others are delivered and recorded.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

ErrorBody = dict[str, Any]


@dataclass
class _Status:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def _event(client: Any, when: str, operation: str) -> str:
    return f"{when}.{client.meta.service_model.service_id.hyphenize()}.{operation}"


def transact_items(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The TransactItems of a serialized DynamoDB request (botocore's request dict)."""
    body = request["body"]
    items: list[dict[str, Any]] = json.loads(body.decode() if isinstance(body, bytes) else body)["TransactItems"]
    return items


def throttled(code: str = "ThrottlingException") -> Callable[[dict[str, Any]], ErrorBody]:
    """DynamoDB's answer to a request over its rate (ProvisionedThroughputExceededException is the other)."""
    return lambda _: {"Error": {"Code": code, "Message": "Rate of requests exceeds the allowed throughput."}}


def cancelled(reason: str, *, on_item: int = 0) -> Callable[[dict[str, Any]], ErrorBody]:
    """TransactWriteItems cancelled for `reason` on one of its items ("None" for the others), as DynamoDB
    says it: ThrottlingError, TransactionConflict, ConditionalCheckFailed..."""

    def answer(request: dict[str, Any]) -> ErrorBody:
        count = len(transact_items(request))
        reasons = [{"Code": "None"} for _ in range(count)]
        reasons[on_item] = {"Code": reason, "Message": f"{reason} on this item"}
        listed = ", ".join(r["Code"] for r in reasons)
        return {
            "Error": {
                "Code": "TransactionCanceledException",
                "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]",
            },
            "CancellationReasons": reasons,
        }

    return answer


def s3_error(
    code: str = "InternalError", message: str = "We encountered an internal error."
) -> Callable[..., ErrorBody]:
    return lambda _: {"Error": {"Code": code, "Message": message}}


class Outage:
    """Every matching call of `operation` on `client` fails with the error `answer` builds from the request."""

    def __init__(
        self,
        client: Any,
        operation: str,
        answer: Callable[[dict[str, Any]], ErrorBody],
        *,
        status_code: int = 400,
        times: int | None = None,
        matching: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self._client = client
        self._event = _event(client, "before-call", operation)
        self._answer = answer
        self._status_code = status_code
        self._left = times
        self._matching = matching
        self.failed = 0  # calls answered with the error
        self.passed = 0  # calls let through
        client.meta.events.register(self._event, self._call)

    def _call(self, params: dict[str, Any], **_: Any) -> tuple[_Status, ErrorBody] | None:
        if (self._matching is not None and not self._matching(params)) or self._left == 0:
            self.passed += 1
            return None
        if self._left is not None:
            self._left -= 1
        self.failed += 1
        return _Status(self._status_code), self._answer(params)

    def end(self) -> None:
        self._client.meta.events.unregister(self._event, self._call)

    def __enter__(self) -> Outage:
        return self

    def __exit__(self, *_: object) -> None:
        self.end()


class Race:
    """Before each of the first `times` calls of `operation` goes out, `competitor` writes first. The
    competitor's own calls (on the same client) pass untouched."""

    def __init__(self, client: Any, operation: str, competitor: Callable[[int], None], *, times: int) -> None:
        self._client = client
        self._event = _event(client, "before-call", operation)
        self._competitor = competitor
        self._left = times
        self._running = threading.local()
        self.runs = 0
        client.meta.events.register(self._event, self._call)

    def _call(self, **_: Any) -> None:
        if getattr(self._running, "active", False) or self._left == 0:
            return
        self._left -= 1
        self._running.active = True
        try:
            self._competitor(self.runs)
        finally:
            self._running.active = False
        self.runs += 1

    def end(self) -> None:
        self._client.meta.events.unregister(self._event, self._call)

    def __enter__(self) -> Race:
        return self

    def __exit__(self, *_: object) -> None:
        self.end()


class Timeout:
    """Every attempt of `operation` times out reading the answer, in `before-send`, so botocore retries
    it as it would a real timeout. `arrived=True`: AWS (moto) received and applied each attempt first,
    and only the answer was lost; otherwise nothing reached AWS."""

    def __init__(self, client: Any, operation: str, *, arrived: bool) -> None:
        self._client = client
        self._operation = _event(client, "before-send", operation)
        self.attempts = 0
        # botocore calls the handlers of the most specific event name first. moto answers requests in a
        # handler of plain "before-send": after it (registered last there) the request was applied.
        self._event = "before-send" if arrived else self._operation
        (client.meta.events.register_last if arrived else client.meta.events.register_first)(self._event, self._send)

    def _send(self, request: Any, event_name: str, **_: Any) -> None:
        if event_name != self._operation:
            return
        self.attempts += 1
        raise ReadTimeoutError(endpoint_url=request.url)

    def end(self) -> None:
        self._client.meta.events.unregister(self._event, self._send)

    def __enter__(self) -> Timeout:
        return self

    def __exit__(self, *_: object) -> None:
        self.end()


class _Body:
    """The raw stream botocore reads a response body from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _response(url: str, status_code: int, *, error: str | None = None) -> AWSResponse:
    if error is None:
        return AWSResponse(url, status_code, {}, _Body(b""))
    headers = {"x-amzn-ErrorType": error, "content-type": "application/json"}
    return AWSResponse(url, status_code, headers, _Body(json.dumps({"message": error}).encode()))


class ManagementApi:
    """API Gateway's management API, per attempt: gone (410), broken (500) or slow (read timeout)
    connections fail; every other post is delivered and recorded in order."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.attempts: Counter[str] = Counter()
        self.deleted: list[str] = []
        self.gone: set[str] = set()
        self.broken: set[str] = set()
        self.slow: set[str] = set()
        self._events = {
            _event(client, "before-send", "PostToConnection"): self._post,
            _event(client, "before-send", "DeleteConnection"): self._delete,
        }
        for name, hook in self._events.items():
            # First in line: moto's own before-send answers these too, and the first answer wins.
            client.meta.events.register_first(name, hook)

    def _post(self, request: Any, **_: Any) -> AWSResponse:
        connection_id = _connection_id(request.url)
        with self._lock:
            self.attempts[connection_id] += 1
        if connection_id in self.slow:
            raise ReadTimeoutError(endpoint_url=request.url)
        if connection_id in self.gone:
            return _response(request.url, 410, error="GoneException")
        if connection_id in self.broken:
            return _response(request.url, 500, error="InternalServerErrorException")
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        with self._lock:
            self.delivered.append((connection_id, json.loads(body)))
        return _response(request.url, 200)

    def _delete(self, request: Any, **_: Any) -> AWSResponse:
        with self._lock:
            self.deleted.append(_connection_id(request.url))
        return _response(request.url, 204)

    def received(self, connection_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [message for cid, message in self.delivered if cid == connection_id]

    def end(self) -> None:
        for name, hook in self._events.items():
            self._client.meta.events.unregister(name, hook)


def _connection_id(url: str) -> str:
    # .../@connections/{id}, the id URL-quoted (API Gateway ids are URL-safe base64 already)
    return url.rsplit("/", 1)[-1].split("?", 1)[0]
