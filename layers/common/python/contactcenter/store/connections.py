"""The connection aggregate: WebSocket connections, their channel subscriptions, and posting to them.

Keys (nobody else builds them):
  connection    pk=CONN#{connectionId}                 sk=CONN
  subscription  pk=ORG#{org}#CHANNEL#{channel}         sk=CONN#{connectionId}
Channels: UNIT#{unit}, QUEUE#{queue}, AGENT#{agent} (an agent's own). Both expire (TTL) when API
Gateway would have closed the connection anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contactcenter import pushes
from contactcenter.environment import environment
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item


@dataclass(frozen=True)
class Connection:
    connection_id: str
    organization_id: str
    user_id: str
    roles: tuple[str, ...]
    channels: frozenset[str]
    connected_at: datetime


def unit_channel(unit_id: str) -> str:
    return f"UNIT#{unit_id}"


def queue_channel(queue_id: str) -> str:
    return f"QUEUE#{queue_id}"


def agent_channel(agent_id: str) -> str:
    return f"AGENT#{agent_id}"


def _connection_key(connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONN#{connection_id}"}, "sk": {"S": "CONN"}}


def _subscription_key(organization_id: str, channel: str, connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#CHANNEL#{channel}"}, "sk": {"S": f"CONN#{connection_id}"}}


def _expiry(now: datetime) -> int:
    return int((now + timedelta(seconds=environment().connection_ttl_seconds)).timestamp())


def open_connection(connection: Connection, *, now: datetime, client: Any = None) -> None:
    """The connection record and its first subscriptions, in one transaction."""
    client = client or clients.dynamodb()
    table = environment().table_name
    record = {
        **_connection_key(connection.connection_id),
        **to_item(
            {
                "entity": "Connection",
                "organizationId": connection.organization_id,
                "userId": connection.user_id,
                "roles": list(connection.roles),
                "channels": sorted(connection.channels),
                "connectedAt": connection.connected_at.isoformat(timespec="milliseconds"),
                "expiresAt": _expiry(now),
            }
        ),
    }
    items = [{"Put": {"TableName": table, "Item": record}}]
    items += [
        {"Put": {"TableName": table, "Item": _subscription_item(connection, channel, now)}}
        for channel in sorted(connection.channels)
    ]
    client.transact_write_items(TransactItems=items)


def _subscription_item(connection: Connection, channel: str, now: datetime) -> dict[str, Any]:
    return {
        **_subscription_key(connection.organization_id, channel, connection.connection_id),
        **to_item(
            {
                "entity": "Subscription",
                "connectionId": connection.connection_id,
                "userId": connection.user_id,
                "expiresAt": _expiry(now),
            }
        ),
    }


def get_connection(connection_id: str, *, client: Any = None) -> Connection | None:
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_connection_key(connection_id), ConsistentRead=True
    ).get("Item")
    if not item:
        return None
    values = from_item(item)
    return Connection(
        connection_id=connection_id,
        organization_id=values["organizationId"],
        user_id=values["userId"],
        roles=tuple(values.get("roles", [])),
        channels=frozenset(values.get("channels", [])),
        connected_at=datetime.fromisoformat(values["connectedAt"]),
    )


def set_channels(connection: Connection, channels: frozenset[str], *, now: datetime, client: Any = None) -> None:
    """Subscribe to the new channels and drop the ones no longer wanted, in one transaction."""
    client = client or clients.dynamodb()
    table = environment().table_name
    added = channels - connection.channels
    removed = connection.channels - channels
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": _connection_key(connection.connection_id),
                "UpdateExpression": "SET channels = :channels",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":channels": to_item({"c": sorted(channels)})["c"]},
            }
        }
    ]
    items += [{"Put": {"TableName": table, "Item": _subscription_item(connection, c, now)}} for c in sorted(added)]
    items += [
        {
            "Delete": {
                "TableName": table,
                "Key": _subscription_key(connection.organization_id, c, connection.connection_id),
            }
        }
        for c in sorted(removed)
    ]
    # A transaction holds at most 100 items; subscriptions per connection are capped well below that.
    client.transact_write_items(TransactItems=items)


def close_connection_records(connection_id: str, *, client: Any = None) -> None:
    """Forget a connection and its subscriptions (on $disconnect, or when a post finds it gone)."""
    client = client or clients.dynamodb()
    connection = get_connection(connection_id, client=client)
    if connection is None:
        return
    table = environment().table_name
    items = [{"Delete": {"TableName": table, "Key": _connection_key(connection_id)}}]
    items += [
        {
            "Delete": {
                "TableName": table,
                "Key": _subscription_key(connection.organization_id, c, connection_id),
            }
        }
        for c in sorted(connection.channels)
    ]
    client.transact_write_items(TransactItems=items)


def subscribers(organization_id: str, channels: Iterable[str], *, client: Any = None) -> set[str]:
    """Connection ids subscribed to any of the channels: one query per channel."""
    client = client or clients.dynamodb()
    found: set[str] = set()
    for channel in channels:
        paginator = client.get_paginator("query")
        for page in paginator.paginate(
            TableName=environment().table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ORG#{organization_id}#CHANNEL#{channel}"}},
            ProjectionExpression="connectionId",
        ):
            found.update(item["connectionId"]["S"] for item in page.get("Items", []))
    return found


class ConnectionGone(Exception):
    """API Gateway answered 410: the client went away without a clean $disconnect."""


def post(connection_id: str, message: dict[str, Any], *, endpoint_url: str | None = None) -> None:
    """Send one message to one connection; raises ConnectionGone on 410."""
    client = clients.connections(endpoint_url or environment().require_websocket_endpoint())
    data = pushes.encoded(message)  # a message over API Gateway's 128 KB goes as a short refetch notice
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "GoneException":
            raise ConnectionGone(connection_id) from error
        raise


def disconnect(connection_id: str, *, endpoint_url: str | None = None) -> None:
    """Close a live connection (a forced AWAY closes the agent's sessions); a gone one is fine."""
    client = clients.connections(endpoint_url or environment().require_websocket_endpoint())
    try:
        client.delete_connection(ConnectionId=connection_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "GoneException":
            raise
