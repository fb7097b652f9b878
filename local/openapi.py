"""`python -m local.openapi`: the HTTP API's OpenAPI document, from Powertools' resolvers of every function.

Paths are renamed to the wiring table's templates (`{queueId}`), every operation gets the bearer-token
security and the error responses the edge produces (one JSON error shape, see contactcenter/edge/http.py).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from typing import Any

from infra.wiring import WIRING

TITLE = "Contact-center presence API"
VERSION = "1.0.0"

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "rule": {"type": "string"},
                "field": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "rule": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}
# What API Gateway itself answers (its JWT authorizer's 401, before any function runs).
_GATEWAY_ERROR = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
_ERROR_STATUSES = {
    "401": "No valid token (API Gateway's authorizer, or claims without an organization)",
    "403": "The caller may not do this",
    "404": "No such thing in the caller's organization",
    "409": "A concurrent change won, or the change is not allowed from the current state",
    "415": "The body is not JSON: the API takes application/json only",
    "422": "The request breaks a rule; `field` and `rule` name it",
    "503": "AWS was busy; retry the same request",
}


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def build() -> dict[str, Any]:
    os.environ.setdefault("TABLE_NAME", "openapi")
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    wired = {(_template(r.path), r.method.lower()): r for r in WIRING.http_routes}
    for function in WIRING.functions:
        module = importlib.import_module(function.handler.rsplit(".", 1)[0])
        app = getattr(module, "app", None)
        if app is None or not hasattr(app, "get_openapi_schema"):
            continue
        document = app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        schemas.update(document.get("components", {}).get("schemas", {}))
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                route = wired.get((_template(path), method))
                if route is None:
                    raise SystemExit(f"{method.upper()} {path} of {function.name} is not in infra/wiring.py")
                _rename_parameters(path, route.path, operation)
                operation["summary"] = route.summary or operation.get("summary", "")
                operation["tags"] = [route.function]
                operation["security"] = [{"bearerAuth": []}]
                operation["x-permission"] = route.permission
                for status, description in _ERROR_STATUSES.items():
                    if status == "415" and "requestBody" not in operation:
                        continue
                    schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
                    if status == "401":  # the gateway's shape, or the edge's when verified claims lack one
                        schema = {"anyOf": [schema, {"$ref": "#/components/schemas/GatewayError"}]}
                    operation.setdefault("responses", {})[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    }
                paths.setdefault(route.path, {})[method] = operation
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ResponseValidationError", None)  # Powertools' own, answered by no route; it named ValidationError
    schemas["Error"] = _ERROR
    schemas["GatewayError"] = _GATEWAY_ERROR
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _rename_parameters(powertools_path: str, wiring_path: str, operation: dict[str, Any]) -> None:
    """Powertools names path parameters after the Python arguments; the API names them as the wiring does."""
    names = dict(zip(re.findall(r"\{([^}]+)\}", powertools_path), re.findall(r"\{([^}]+)\}", wiring_path), strict=True))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            parameter["name"] = names.get(parameter["name"], parameter["name"])


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
