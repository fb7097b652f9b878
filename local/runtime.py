"""In-process Lambda runtime: imports each wiring function's handler and invokes it like Lambda would.

Each function gets its own single-thread executor, its "execution environment": invocations of one
function run one at a time in order (as with reserved concurrency 1), while different functions run in
parallel. That matters because Powertools resolvers keep the current event on a module-level object,
which two threads would trample on. Events and results are passed through JSON, as Lambda does, so a
handler that returns something JSON cannot carry fails here as it would in AWS.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.wiring import Function, Wiring
from local.apigw import ACCOUNT_ID, REGION

logger = logging.getLogger("local.runtime")

Handler = Callable[[Any, Any], Any]
Resolver = Callable[[str], Handler]


class FunctionError(Exception):
    """The invocation failed: Lambda's "Unhandled" function error, or a runtime error before it."""

    def __init__(self, function_name: str, error_type: str, message: str) -> None:
        super().__init__(f"{function_name}: {error_type}: {message}")
        self.function_name = function_name
        self.error_type = error_type
        self.error_message = message


class FunctionTimeout(FunctionError):
    """The handler ran past the function's timeout. Its thread cannot be killed and finishes in the
    background; the function's next invocations queue behind it."""


class Invoker(Protocol):
    """What the gateway, the stream poller and the scheduler need from the runtime."""

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> Any: ...

    def function_arn(self, function_name: str) -> str: ...


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float  # time.monotonic() when the function times out
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def import_handler(path: str) -> Handler:
    """Resolves "functions.clock.app.handler" the way the Lambda runtime resolves "app.handler"."""
    module_name, _, attribute = path.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"{path} is not callable")
    return handler


@dataclass
class _Environment:
    function: Function
    executor: ThreadPoolExecutor
    handler: Handler | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class LambdaRuntime:
    def __init__(
        self,
        wiring: Wiring,
        *,
        resolve: Resolver = import_handler,
        name_prefix: str = "contactcenter-local",
    ) -> None:
        self._resolve = resolve
        self._prefix = name_prefix
        self._environments = {
            function.name: _Environment(
                function,
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lambda-{function.name}"),
            )
            for function in wiring.functions
        }

    def deployed_name(self, function_name: str) -> str:
        return f"{self._prefix}-{function_name}"

    def function_arn(self, function_name: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.deployed_name(function_name)}"

    def timeout_seconds(self, function_name: str) -> float:
        return float(self._environment(function_name).function.timeout_seconds)

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> Any:
        """Invokes synchronously from any thread except the function's own; raises FunctionError."""
        environment = self._environment(function_name)
        future = self._submit(environment, event)
        try:
            return future.result(timeout=environment.function.timeout_seconds)
        except FutureTimeout:
            raise self._timed_out(environment) from None

    async def invoke_async(self, function_name: str, event: Mapping[str, Any]) -> Any:
        """Invokes from the event loop without blocking it; raises FunctionError."""
        environment = self._environment(function_name)
        future = asyncio.wrap_future(self._submit(environment, event))
        try:
            return await asyncio.wait_for(future, timeout=environment.function.timeout_seconds)
        except TimeoutError:
            raise self._timed_out(environment) from None

    def close(self) -> None:
        for environment in self._environments.values():
            environment.executor.shutdown(wait=False, cancel_futures=True)

    def _environment(self, function_name: str) -> _Environment:
        try:
            return self._environments[function_name]
        except KeyError:
            raise KeyError(f"no function named {function_name!r} in the wiring") from None

    def _submit(self, environment: _Environment, event: Mapping[str, Any]) -> Future[Any]:
        # Serialized here, in the caller's thread, so that the caller's later changes to its own
        # dictionaries cannot reach the handler.
        payload = json.dumps(event)
        return environment.executor.submit(self._run, environment, payload)

    def _timed_out(self, environment: _Environment) -> FunctionTimeout:
        seconds = environment.function.timeout_seconds
        logger.error("%s timed out after %s s", self.deployed_name(environment.function.name), seconds)
        return FunctionTimeout(environment.function.name, "Sandbox.Timedout", f"timed out after {seconds} s")

    def _handler(self, environment: _Environment) -> Handler:
        # Imported at the first invocation, like a cold start: a broken module fails its invocations,
        # not the whole stack.
        with environment.lock:
            if environment.handler is None:
                environment.handler = self._resolve(environment.function.handler)
            return environment.handler

    def _run(self, environment: _Environment, payload: str) -> Any:
        function = environment.function
        name = self.deployed_name(function.name)
        try:
            handler = self._handler(environment)
        except Exception as exc:
            logger.exception("%s: cannot import %s", name, function.handler)
            raise FunctionError(function.name, "Runtime.ImportModuleError", str(exc)) from exc
        request_id = str(uuid.uuid4())
        context = LambdaContext(
            function_name=name,
            function_version="$LATEST",
            invoked_function_arn=self.function_arn(function.name),
            memory_limit_in_mb=function.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{name}",
            log_stream_name=f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
            deadline=time.monotonic() + function.timeout_seconds,
        )
        logger.debug("START %s RequestId: %s", name, request_id)
        try:
            result = handler(json.loads(payload), context)
        except Exception as exc:
            logger.exception("%s RequestId: %s failed", name, request_id)
            raise FunctionError(function.name, type(exc).__name__, str(exc)) from exc
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            logger.error("%s RequestId: %s returned a value JSON cannot carry: %s", name, request_id, exc)
            raise FunctionError(function.name, "Runtime.MarshalError", str(exc)) from exc
        finally:
            logger.debug("END %s RequestId: %s", name, request_id)
