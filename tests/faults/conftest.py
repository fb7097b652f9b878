"""The handler tests' moto fixtures (`aws`, `acme`, `context`), and callers that drive the real handlers."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contactcenter.store import clients
from functions.clock import app as clock
from functions.status import app as status
from functions.supervision import app as supervision
from functions.supervision import socket
from infra.wiring import WIRING
from local.filters import matches_any
from local.streams import lambda_record
from tests.faults.injection import ManagementApi
from tests.handlers import conftest as handler_fixtures
from tests.handlers.conftest import TABLE, body_of
from tests.support.events import claims_for, http_event, load

# The handler tests' moto fixtures, under their own names.
aws = handler_fixtures.aws
acme = handler_fixtures.acme
context = handler_fixtures.context
__all__ = ["TABLE", "body_of"]


class Caller:
    """Calls the HTTP handlers as API Gateway would, as one user of acme."""

    def __init__(self, context: Any, user: str, role: str) -> None:
        self.context, self.claims = context, claims_for(user, "acme", role)

    def call(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        body: Any = None,
        key: str | None = None,
        path_parameters: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else None
        event = http_event(
            method,
            path,
            route=route,
            body=body,
            claims=self.claims,
            headers=headers,
            path_parameters=path_parameters,
        )
        if path.startswith("/me/clock"):
            module: Any = clock
        elif path.startswith("/me/"):
            module = status
        else:
            module = supervision
        response: dict[str, Any] = module.handler(event, self.context)
        return response

    def clock_in(self) -> dict[str, Any]:
        return self.call("POST", "/me/clock-in", body={"platform": "web"})

    def set_status(self, status_: str, reason: str | None = None, *, key: str | None = None) -> dict[str, Any]:
        body = {"status": status_, **({"reason": reason} if reason else {})}
        return self.call("PUT", "/me/status", body=body, key=key)

    def force(self, agent: str, status_: str, reason: str | None = None) -> dict[str, Any]:
        body = {"status": status_, **({"reason": reason} if reason else {})}
        return self.call(
            "POST",
            f"/agents/{agent}/status",
            route="/agents/{agentId}/status",
            body=body,
            path_parameters={"agentId": agent},
        )

    def state(self) -> dict[str, Any]:
        return dict(body_of(self.call("GET", "/me/state")))


@pytest.fixture
def ana(acme: Any, context: Any) -> Caller:
    return Caller(context, "ana", "AGENT")


@pytest.fixture
def sam(acme: Any, context: Any) -> Caller:
    return Caller(context, "sam", "SUPERVISOR")


def history(agent: str, org: str = "acme") -> list[dict[str, Any]]:
    """The agent's history items as stored, oldest first (read past our code, straight from the table)."""
    items = boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{org}#AGENT#{agent}"}, ":h": {"S": "HIST#"}},
    )["Items"]
    return [
        {
            "sequence": int(item["sequence"]["N"]),
            "toStatus": item["toStatus"]["S"],
            "reason": item.get("reason", {}).get("S"),
            "actorId": item["actorId"]["S"],
        }
        for item in items
    ]


def idempotency_records() -> list[str]:
    items = boto3.client("dynamodb").scan(
        TableName=TABLE,
        FilterExpression="entity = :e",
        ExpressionAttributeValues={":e": {"S": "IdempotencyRecord"}},
    )["Items"]
    return sorted(item["pk"]["S"] for item in items)


class TableStream:
    """What the event source mapping of one consumer would deliver next, each record once, in Lambda's
    shape (read from moto's stream of the table, filtered by the wiring's patterns)."""

    def __init__(self, function: str) -> None:
        self.filters = next(c for c in WIRING.stream_consumers if c.function == function).filters
        self.seen: set[str] = set()

    def next_event(self) -> dict[str, Any]:
        streams = boto3.client("dynamodbstreams")
        arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = []
        for raw in streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]:
            record = lambda_record(raw, arn)
            number = record["dynamodb"]["SequenceNumber"]
            if number not in self.seen and matches_any(self.filters, record):
                records.append(record)
            self.seen.add(number)
        return {"Records": records}


# --- WebSocket sessions and what they receive ------------------------------------------------------


@pytest.fixture
def api(aws: None) -> Iterator[ManagementApi]:
    management = ManagementApi(clients.connections(os.environ["WEBSOCKET_ENDPOINT"]))
    yield management
    management.end()


def socket_call(context: Any, route: str, connection_id: str, body: Any = None, user: str = "sam") -> dict[str, Any]:
    """The socket handler, as API Gateway invokes it after the authorizer allowed a supervisor of acme."""
    name = {"$connect": "websocket-connect", "$disconnect": "websocket-disconnect"}.get(route, "websocket-message")
    event = copy.deepcopy(load(name))
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {
        "principalId": user,
        "organizationId": "acme",
        "userId": user,
        "roles": "SUPERVISOR",
    }
    if body is not None:
        event["body"] = json.dumps(body)
    response: dict[str, Any] = socket.handler(event, context)
    return response


def watch_north(context: Any, api: ManagementApi, *connection_ids: str) -> None:
    """Sam's sessions, each subscribed to the north unit; what they received so far is forgotten."""
    for connection_id in connection_ids:
        assert socket_call(context, "$connect", connection_id)["statusCode"] == 200
        socket_call(context, "subscribe", connection_id, {"action": "subscribe", "units": ["north"]})
        assert api.received(connection_id)[-1]["channels"] == ["UNIT#north"]
    api.delivered.clear()
    api.attempts.clear()


def pushed_changes(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(m["agentId"], m["sequence"]) for m in messages if m["type"] == "agent.changed"]
