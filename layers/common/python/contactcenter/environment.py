"""The runtime environment: variables parsed once into a typed object that fails fast when one is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

MAX_REPORT_LINK_SECONDS = 43_200


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
    # How long report download links work. A presigned link also stops working when the credentials
    # that signed it expire (a Lambda's role session lasts hours), so 12 hours is the most it can promise.
    report_link_seconds: int = 900
    timer_queue_url: str | None = None  # the SQS queue of contactcenter.timers (functions that change agents)
    # Each organization's HTTP requests per second and burst, per function environment (contactcenter/fairness.py).
    tenant_requests_per_second: float = 50.0
    tenant_burst: int = 100

    def require_websocket_endpoint(self) -> str:
        if not self.websocket_endpoint:
            raise MissingSetting("WEBSOCKET_ENDPOINT is not set")
        return self.websocket_endpoint

    def require_timer_queue_url(self) -> str:
        if not self.timer_queue_url:
            raise MissingSetting("TIMER_QUEUE_URL is not set")
        return self.timer_queue_url

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
        report_link_seconds=_seconds("REPORT_LINK_SECONDS", default=900, least=60, most=MAX_REPORT_LINK_SECONDS),
        timer_queue_url=os.environ.get("TIMER_QUEUE_URL") or None,
        tenant_requests_per_second=float(os.environ.get("TENANT_REQUESTS_PER_SECOND", "50")),
        tenant_burst=int(os.environ.get("TENANT_BURST", "100")),
    )


def _seconds(name: str, *, default: int, least: int, most: int) -> int:
    text = os.environ.get(name) or str(default)
    try:
        value = int(text)
    except ValueError:
        raise MissingSetting(f"environment variable {name} must be a whole number of seconds, not {text!r}") from None
    if not least <= value <= most:
        raise MissingSetting(f"environment variable {name} must be between {least} and {most} seconds, not {value}")
    return value
