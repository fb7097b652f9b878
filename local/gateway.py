"""The gateway's server: one uvicorn server on 127.0.0.1 serving, on one port,
- the HTTP API at the root (stage $default): http://host:port/...
- the WebSocket API at ws://host:port/{stage}
- its management API at http://host:port/{stage}/@connections/{id} (and /@connections/{id})
- the local stack's own endpoints under /_local.

uvicorn runs in its own thread with its own event loop; functions run in the runtime's threads, so a
handler calling back into the gateway (the JWKS, @connections) never waits on itself.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import cast

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute

from local.connections import ManagementApi
from local.http_api import HttpApi
from local.websocket import WebSocketApi, WebSocketLimits

logger = logging.getLogger("local.gateway")

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class _QuietUvicorn(logging.Filter):
    """uvicorn logs each WebSocket request line with its query string, where the token travels, and
    calls a refused handshake (ASGI's denial response) a handshake "not completed". Neither helps."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            "without completing handshake" in message
            or message.startswith(("connection open", "connection closed", "connection rejected"))
            or '"WebSocket /' in message
        )


def _quiet_uvicorn() -> None:
    error_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _QuietUvicorn) for existing in error_logger.filters):
        error_logger.addFilter(_QuietUvicorn())


class Gateway:
    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, stage: str = "live", management_round_trip_seconds: float = 0.0
    ) -> None:
        # Bound now, served later: the URLs are needed to configure what the server will serve.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        self.stage = stage
        self._management_round_trip_seconds = management_round_trip_seconds
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._websocket_api: WebSocketApi | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.stage}"

    @property
    def management_url(self) -> str:
        return f"{self.base_url}/{self.stage}"

    def start(
        self,
        *,
        http_api: HttpApi,
        websocket_api: WebSocketApi,
        local_routes: list[BaseRoute],
        startup_timeout: float = 15.0,
    ) -> None:
        self._websocket_api = websocket_api
        management = ManagementApi(websocket_api, round_trip_seconds=self._management_round_trip_seconds)
        routes: list[BaseRoute] = [
            *local_routes,
            Route("/{stage}/@connections/{connection_id}", management.handle, methods=["POST", "GET", "DELETE"]),
            Route("/@connections/{connection_id}", management.handle, methods=["POST", "GET", "DELETE"]),
            WebSocketRoute(f"/{self.stage}", websocket_api.handle),
            Route("/{path:path}", http_api.handle, methods=_ALL_METHODS),
        ]
        _quiet_uvicorn()
        self._server = uvicorn.Server(self._config(Starlette(routes=routes), websocket_api.limits))
        self._socket.listen(128)
        self._thread = threading.Thread(target=self._serve, name="gateway", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + startup_timeout
        while not self._server.started:  # bounded by the deadline
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            self._socket.close()
            return
        if self._loop is not None and self._websocket_api is not None and self._loop.is_running():
            # Clients see API Gateway's 1001 "Going away" rather than uvicorn's 1012.
            closing = asyncio.run_coroutine_threadsafe(self._websocket_api.shut_down(1001), self._loop)
            try:
                closing.result(timeout)
            except Exception:
                logger.exception("closing WebSocket connections failed")
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    @staticmethod
    def _config(app: Starlette, limits: WebSocketLimits) -> uvicorn.Config:
        return uvicorn.Config(
            app,
            http="auto",  # httptools when installed (it is in the dev group): a fraction of h11's cost per request
            ws="websockets-sansio",
            # websockets takes (message, frame) limits: API Gateway's 128 KB and 32 KB, both closing with 1009.
            ws_max_size=cast(int, (limits.max_message_bytes, limits.max_frame_bytes)),
            ws_ping_interval=None,  # API Gateway sends no pings; idle connections time out instead
            ws_ping_timeout=None,
            ws_per_message_deflate=False,
            lifespan="off",
            log_config=None,  # logging belongs to whoever runs the stack
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )

    def _serve(self) -> None:
        assert self._server is not None
        server = self._server

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await server.serve(sockets=[self._socket])

        try:
            # uvicorn's own choice of loop: uvloop when installed (it is in the dev group), else asyncio.
            with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
                runner.run(serve())
        except Exception:
            logger.exception("the gateway stopped with an error")
