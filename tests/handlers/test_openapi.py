"""docs/openapi.json is generated from the handlers (Powertools) and must not go stale."""

from __future__ import annotations

import json
from pathlib import Path

from infra.wiring import WIRING
from local.openapi import render

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_wired_route_is_documented_with_its_permission() -> None:
    paths = json.loads(DOCUMENT.read_text())["paths"]
    for route in WIRING.http_routes:
        operation = paths[route.path][route.method.lower()]
        assert operation["x-permission"] == route.permission
        assert {"401", "403", "422"} <= set(operation["responses"])
