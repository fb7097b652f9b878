"""CORS as an HTTP API with a CORS configuration answers it (AWS: "Configure CORS for HTTP APIs").

- Every OPTIONS request is a preflight, answered by the gateway itself: no route, no authorizer, no
  function. 204 with the configured origin, methods, headers and max-age when the Origin is allowed and
  the request names a method (Access-Control-Request-Method); 204 with no CORS header otherwise, so the
  browser refuses the request.
- Every other response to an allowed Origin carries Access-Control-Allow-Origin (and the exposed
  headers); CORS headers a function returns are dropped, as API Gateway ignores the integration's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from infra.wiring import Cors

_CORS_PREFIX = "access-control-"


@dataclass(frozen=True)
class CorsPolicy:
    allowed_origins: tuple[str, ...]
    configuration: Cors

    @classmethod
    def of(cls, origins: Iterable[str], configuration: Cors) -> CorsPolicy:
        return cls(tuple(origin.strip().rstrip("/") for origin in origins if origin.strip()), configuration)

    def allow_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from `origin`, or None."""
        if not origin:
            return None
        if "*" in self.allowed_origins:
            return "*"
        return origin if origin.lower() in {allowed.lower() for allowed in self.allowed_origins} else None

    def preflight_headers(self, request_headers: Mapping[str, str]) -> dict[str, str]:
        allowed = self.allow_origin(request_headers.get("origin"))
        if allowed is None or not request_headers.get("access-control-request-method"):
            return {}
        config = self.configuration
        return {
            "access-control-allow-origin": allowed,
            "access-control-allow-methods": ",".join(config.allow_methods),
            "access-control-allow-headers": ",".join(config.allow_headers),
            "access-control-max-age": str(config.max_age_seconds),
        }

    def response_headers(self, request_headers: Mapping[str, str]) -> dict[str, str]:
        allowed = self.allow_origin(request_headers.get("origin"))
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.configuration.expose_headers:
            headers["access-control-expose-headers"] = ",".join(self.configuration.expose_headers)
        return headers


def is_cors_header(name: str) -> bool:
    return name.lower().startswith(_CORS_PREFIX)
