"""The web console, served by the local gateway as CloudFront serves it on AWS: the built files of
web/dist at `/` and `/assets/...`, and its runtime configuration at `/config.json` (the URLs of this
stack's HTTP API, WebSocket API and issuer). No product route is at `/`, `/assets` or `/config.json`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>make dev</code> (or <code>make console</code>),
which builds web/dist, then reload this page.</p></main></body></html>"""


def runtime_config(endpoints: dict[str, Any]) -> dict[str, Any]:
    """What the console needs to know about the stack it runs against (web/src/config.ts)."""
    return {
        "apiUrl": endpoints["apiUrl"],
        "wsUrl": endpoints["wsUrl"],
        "authority": endpoints["issuer"],
        "clientId": endpoints["clientId"],
        "logoutUrl": endpoints["logoutEndpoint"],
    }


class ConsoleSite:
    def __init__(self, endpoints: Callable[[], dict[str, Any]], directory: Path = CONSOLE_DIR) -> None:
        self._endpoints = endpoints
        self._directory = directory

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/", self.index, methods=["GET", "HEAD"]),
            Route("/index.html", self.index, methods=["GET", "HEAD"]),
            Route("/config.json", self.config, methods=["GET"]),
        ]
        assets = self._directory / "assets"
        if assets.is_dir():
            routes.append(Mount("/assets", app=StaticFiles(directory=assets), name="console-assets"))
        return routes

    async def index(self, request: Request) -> Response:
        index = self._directory / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503)
        # The page names its hashed assets: it must never be cached, they may be forever.
        return FileResponse(index, media_type="text/html", headers={"cache-control": "no-cache"})

    async def config(self, request: Request) -> Response:
        return JSONResponse(runtime_config(self._endpoints()), headers={"cache-control": "no-cache"})
