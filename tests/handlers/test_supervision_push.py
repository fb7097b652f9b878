"""The first flow's push half: sessions, subscriptions and the stream fan-out, through the real handlers."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from contactcenter.store import clients
from functions.clock import app as clock
from functions.supervision import fanout, socket
from tests.handlers.conftest import TABLE
from tests.support.events import claims_for, http_event, load
from tests.support.organizations import Organization, register_holder
from tests.support.sockets import ManagementApiTap


@pytest.fixture
def tap(aws: None) -> ManagementApiTap:
    return ManagementApiTap(clients.connections("https://socket.execute-api.us-east-1.amazonaws.com/live"))


def _socket_event(
    route: str, connection_id: str, user: str, roles: str, *, org: str = "acme", body: Any = None
) -> dict[str, Any]:
    name = {"$connect": "websocket-connect", "$disconnect": "websocket-disconnect"}.get(route, "websocket-message")
    event = copy.deepcopy(load(name))
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {
        "principalId": user,
        "organizationId": org,
        "userId": user,
        "roles": roles,
    }
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def _connect(context: Any, connection_id: str, user: str, roles: str, org: str = "acme") -> dict[str, Any]:
    return socket.handler(_socket_event("$connect", connection_id, user, roles, org=org), context)


def _send(context: Any, connection_id: str, user: str, roles: str, body: Any) -> dict[str, Any]:
    return socket.handler(_socket_event("subscribe", connection_id, user, roles, body=body), context)


def _stream_event() -> dict[str, Any]:
    """Every history entry written so far, as the event source mapping would deliver it."""
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    for record in records:
        record["eventSourceARN"] = arn
        record["dynamodb"].pop("ApproximateCreationDateTime", None)
    return {
        "Records": [r for r in records if r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "AgentChange"]
    }


def test_change_reaches_subscribed_supervisor_of_that_unit_only(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    assert _connect(context, "conn-sam", "sam", "SUPERVISOR")["statusCode"] == 200
    assert _connect(context, "conn-sue", "sue", "SUPERVISOR")["statusCode"] == 200
    _send(context, "conn-sam", "sam", "SUPERVISOR", {"action": "subscribe", "units": ["north"]})
    _send(context, "conn-sue", "sue", "SUPERVISOR", {"action": "subscribe", "units": ["south"]})
    assert tap.received("conn-sam")[-1]["channels"] == ["UNIT#north"]
    tap.posts.clear()

    clock.handler(
        http_event("POST", "/me/clock-in", body={"platform": "web"}, claims=claims_for("ana", "acme", "AGENT")),
        context,
    )
    result = fanout.handler(_stream_event(), context)

    assert result == {"batchItemFailures": []}
    pushed = tap.received("conn-sam")
    assert [(m["type"], m["agentId"], m["sequence"], m["change"]["toStatus"]) for m in pushed] == [
        ("agent.changed", "ana", 1, "AVAILABLE")
    ]
    assert tap.received("conn-sue") == []


def test_supervisor_cannot_subscribe_to_a_unit_they_do_not_supervise(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    _connect(context, "conn-sam", "sam", "SUPERVISOR")
    _send(context, "conn-sam", "sam", "SUPERVISOR", {"action": "subscribe", "units": ["south"]})
    reply = tap.received("conn-sam")[-1]
    assert reply["type"] == "error"
    assert reply["error"]["rule"] == "unit_not_supervised"


def test_agent_connection_hears_its_own_changes(acme: Organization, context: Any, tap: ManagementApiTap) -> None:
    _connect(context, "conn-ana", "ana", "AGENT")
    clock.handler(
        http_event("POST", "/me/clock-in", body={"platform": "app"}, claims=claims_for("ana", "acme", "AGENT")),
        context,
    )
    fanout.handler(_stream_event(), context)
    assert [m["agentId"] for m in tap.received("conn-ana")] == ["ana"]


def test_gone_connection_is_forgotten_and_others_still_get_the_push(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    for connection_id in ("conn-1", "conn-2", "conn-3"):
        _connect(context, connection_id, "sam", "SUPERVISOR")
        _send(context, connection_id, "sam", "SUPERVISOR", {"action": "subscribe", "units": ["north"]})
    tap.posts.clear()
    tap.gone.add("conn-2")
    tap.broken.add("conn-3")

    clock.handler(
        http_event("POST", "/me/clock-in", body={"platform": "web"}, claims=claims_for("ana", "acme", "AGENT")),
        context,
    )
    assert fanout.handler(_stream_event(), context) == {"batchItemFailures": []}

    assert len(tap.received("conn-1")) == 1
    table = boto3.client("dynamodb")
    assert "Item" not in table.get_item(TableName=TABLE, Key={"pk": {"S": "CONN#conn-2"}, "sk": {"S": "CONN"}})
    assert "Item" in table.get_item(TableName=TABLE, Key={"pk": {"S": "CONN#conn-3"}, "sk": {"S": "CONN"}})


def test_malformed_and_unknown_socket_messages_get_an_error_and_change_nothing(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    _connect(context, "conn-sam", "sam", "SUPERVISOR")
    _send(context, "conn-sam", "sam", "SUPERVISOR", {"action": "subscribe", "units": ["no spaces allowed"]})
    assert tap.received("conn-sam")[-1]["error"]["code"] == "validation"
    default = _socket_event("$default", "conn-sam", "sam", "SUPERVISOR")
    default["body"] = "not json at all"
    assert socket.handler(default, context)["statusCode"] == 200
    assert tap.received("conn-sam")[-1]["error"]["rule"] == "unknown_action"
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "CONN#conn-sam"}, "sk": {"S": "CONN"}})
    assert item["Item"]["channels"]["L"] == [{"S": "PERSON#sam"}]  # only the one every connection is on


def test_poison_record_is_reported_and_the_rest_of_the_batch_goes_through(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    _connect(context, "conn-sam", "sam", "SUPERVISOR")
    _send(context, "conn-sam", "sam", "SUPERVISOR", {"action": "subscribe", "units": ["north"]})
    tap.posts.clear()
    clock.handler(
        http_event("POST", "/me/clock-in", body={"platform": "web"}, claims=claims_for("ana", "acme", "AGENT")),
        context,
    )
    event = _stream_event()
    poison = copy.deepcopy(event["Records"][0])
    poison["dynamodb"]["SequenceNumber"] = "1"
    del poison["dynamodb"]["NewImage"]["organizationId"]
    event["Records"].insert(0, poison)

    result = fanout.handler(event, context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert len(tap.received("conn-sam")) == 1


def test_disconnect_removes_connection_and_subscriptions(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    _connect(context, "conn-sam", "sam", "SUPERVISOR")
    _send(context, "conn-sam", "sam", "SUPERVISOR", {"action": "subscribe", "units": ["north"]})
    socket.handler(_socket_event("$disconnect", "conn-sam", "sam", "SUPERVISOR"), context)
    items = boto3.client("dynamodb").scan(
        TableName=TABLE,
        FilterExpression="contains(pk, :c) OR contains(sk, :c)",
        ExpressionAttributeValues={":c": {"S": "CONN#"}},
    )["Items"]
    assert items == []


def test_finance_user_may_not_open_a_session(acme: Organization, context: Any) -> None:
    assert _connect(context, "conn-fay", "fay", "FINANCE")["statusCode"] == 403


def test_a_custom_role_holding_supervision_view_may_watch_the_units_its_holder_supervises(
    acme: Organization, context: Any, tap: ManagementApiTap
) -> None:
    from functions.admin import app as admin

    admin_claims = claims_for("ada", "acme", "ADMIN")
    version = json.loads(admin.handler(http_event("GET", "/admin/settings", claims=admin_claims), context)["body"])[
        "version"
    ]
    for role, permissions in (("TEAM_LEAD", ["connect", "supervision.view"]), ("TRAINEE", ["connect"])):
        put = http_event(
            "PUT",
            f"/admin/roles/{role}",
            route="/admin/roles/{roleName}",
            body={"permissions": permissions},
            claims=admin_claims,
            headers={"If-Match": f'"{version}"'},
        )
        written = admin.handler(put, context)
        assert written["statusCode"] == 200, written
        version = json.loads(written["body"])["version"]

    # Both supervise north; their records name only custom roles.
    register_holder("acme", "lee", "TEAM_LEAD", supervised_units=frozenset({"north"}))
    register_holder("acme", "tia", "TRAINEE", supervised_units=frozenset({"north"}))
    assert _connect(context, "conn-lead", "lee", "TEAM_LEAD")["statusCode"] == 200
    _send(context, "conn-lead", "lee", "TEAM_LEAD", {"action": "subscribe", "units": ["north"]})
    assert tap.received("conn-lead")[-1]["channels"] == ["UNIT#north"]

    assert _connect(context, "conn-trainee", "tia", "TRAINEE")["statusCode"] == 200
    _send(context, "conn-trainee", "tia", "TRAINEE", {"action": "subscribe", "units": ["north"]})
    assert tap.received("conn-trainee")[-1]["error"]["rule"] == "missing_permission"
