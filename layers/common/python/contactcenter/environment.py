"""The runtime environment: variables parsed once into a typed object that fails fast when one is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


class MissingSetting(RuntimeError):
    pass


@dataclass(frozen=True)
class Environment:
    table_name: str
    report_bucket: str | None
    websocket_endpoint: (
        str | None
    )  # API Gateway management endpoint: https://{api}.execute-api.{region}.amazonaws.com/{stage}
    jwt_issuer: str | None
    jwt_audience: str | None
    jwks_url: str | None
    event_bus_name: str
    settings_cache_seconds: float
    connection_ttl_seconds: int  # API Gateway closes a WebSocket after 2 hours

    def require_websocket_endpoint(self) -> str:
        if not self.websocket_endpoint:
            raise MissingSetting("WEBSOCKET_ENDPOINT is not set")
        return self.websocket_endpoint

    def require_report_bucket(self) -> str:
        if not self.report_bucket:
            raise MissingSetting("REPORT_BUCKET is not set")
        return self.report_bucket


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


@cache
def environment() -> Environment:
    """Read once per execution environment; tests call `environment.cache_clear()` after patching."""
    return Environment(
        table_name=_required("TABLE_NAME"),
        report_bucket=os.environ.get("REPORT_BUCKET") or None,
        websocket_endpoint=os.environ.get("WEBSOCKET_ENDPOINT") or None,
        jwt_issuer=os.environ.get("JWT_ISSUER") or None,
        jwt_audience=os.environ.get("JWT_AUDIENCE") or None,
        jwks_url=os.environ.get("JWKS_URL") or None,
        event_bus_name=os.environ.get("EVENT_BUS_NAME", "default"),
        settings_cache_seconds=float(os.environ.get("SETTINGS_CACHE_SECONDS", "30")),
        connection_ttl_seconds=int(os.environ.get("CONNECTION_TTL_SECONDS", "7200")),
    )
