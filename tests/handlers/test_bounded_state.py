"""Bounded state (issue 14, point 4): no caller grows an item toward DynamoDB's 400 KB, and every push fits
API Gateway's 128 KB. Through the real handlers and store on moto, posts through botocore to a tap that
refuses what API Gateway refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contactcenter.store import clients
from contactcenter.store import connections as connection_store
from tests.support.sockets import MESSAGE_BYTES_MAX, ManagementApiTap

ENDPOINT = "https://socket.execute-api.us-east-1.amazonaws.com/live"


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections(ENDPOINT))


def test_a_push_over_128_kb_arrives_as_a_short_notice_naming_what_to_refetch(tap: ManagementApiTap) -> None:
    work_items = [{"itemId": f"case-{n}", "reference": "r" * 256} for n in range(600)]
    message: dict[str, Any] = {
        "type": "agent.changed",
        "organizationId": "acme",
        "agentId": "ana",
        "sequence": 42,
        "agent": {"workItems": work_items},
    }
    assert len(json.dumps(message)) > MESSAGE_BYTES_MAX

    connection_store.post("conn-1", message)

    [notice] = tap.received("conn-1")
    assert notice["type"] == "refetch"
    assert notice["replaces"] == "agent.changed"
    assert (notice["agentId"], notice["sequence"]) == ("ana", 42)
    assert notice["refetch"] == "/agents/ana/changes?after=41"


def test_a_push_that_fits_goes_as_it_is(tap: ManagementApiTap) -> None:
    message = {"type": "agent.changed", "organizationId": "acme", "agentId": "ana", "sequence": 1, "agent": {}}
    connection_store.post("conn-1", message)
    assert tap.received("conn-1") == [message]
