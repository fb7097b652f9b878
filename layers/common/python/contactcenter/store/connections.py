"""The connection aggregate: WebSocket connections, their channel subscriptions, and posting to them.

Keys (nobody else builds them):
  connection    pk=CONN#{connectionId}                 sk=CONN
  subscription  pk=ORG#{org}#CHANNEL#{channel}         sk=CONN#{connectionId}
Channels: UNIT#{unit}, QUEUE#{queue}, AGENT#{agent} (an agent's own), PERSON#{user} (every connection
of a person, so that they can be closed when the person is retired or their roles change). Both expire
(TTL) when the token the connection was opened with expires, or API Gateway would have closed it anyway;
each subscription carries its connection's user and that moment, so that a push can check both.
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
    token_expires_at: int | None = None  # epoch seconds; None: only API Gateway's two hours bound it


@dataclass(frozen=True)
class Subscriber:
    """A connection found on a channel: whose it is and until when it may be served (epoch seconds)."""

    connection_id: str
    user_id: str
    expires_at: int | None


def unit_channel(unit_id: str) -> str:
    return f"UNIT#{unit_id}"


def queue_channel(queue_id: str) -> str:
    return f"QUEUE#{queue_id}"


def agent_channel(agent_id: str) -> str:
    return f"AGENT#{agent_id}"


def person_channel(user_id: str) -> str:
    return f"PERSON#{user_id}"


def _connection_key(connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONN#{connection_id}"}, "sk": {"S": "CONN"}}


def _subscription_key(organization_id: str, channel: str, connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#CHANNEL#{channel}"}, "sk": {"S": f"CONN#{connection_id}"}}


def _expiry(connection: Connection) -> int:
    """The moment the connection may no longer be served: its token's expiry or API Gateway's limit."""
    limit = int((connection.connected_at + timedelta(seconds=environment().connection_ttl_seconds)).timestamp())
    return limit if connection.token_expires_at is None else min(limit, connection.token_expires_at)


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
                "tokenExpiresAt": connection.token_expires_at,
                "expiresAt": _expiry(connection),
            }
        ),
    }
    items = [{"Put": {"TableName": table, "Item": record}}]
    items += [
        {"Put": {"TableName": table, "Item": _subscription_item(connection, channel)}}
        for channel in sorted(connection.channels)
    ]
    client.transact_write_items(TransactItems=items)


def _subscription_item(connection: Connection, channel: str) -> dict[str, Any]:
    return {
        **_subscription_key(connection.organization_id, channel, connection.connection_id),
        **to_item(
            {
                "entity": "Subscription",
                "connectionId": connection.connection_id,
                "userId": connection.user_id,
                "expiresAt": _expiry(connection),
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
        token_expires_at=int(values["tokenExpiresAt"]) if values.get("tokenExpiresAt") is not None else None,
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
    items += [{"Put": {"TableName": table, "Item": _subscription_item(connection, c)}} for c in sorted(added)]
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
    return {s.connection_id for s in subscriptions(organization_id, channels, client=client)}


def subscriptions(organization_id: str, channels: Iterable[str], *, client: Any = None) -> list[Subscriber]:
    """The connections subscribed to any of the channels, each once, with whose they are and until when
    they may be served: one query per channel."""
    client = client or clients.dynamodb()
    found: dict[str, Subscriber] = {}
    for channel in channels:
        paginator = client.get_paginator("query")
        for page in paginator.paginate(
            TableName=environment().table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ORG#{organization_id}#CHANNEL#{channel}"}},
            ProjectionExpression="connectionId, userId, expiresAt",
        ):
            for item in page.get("Items", []):
                connection_id = item["connectionId"]["S"]
                expires = item.get("expiresAt", {}).get("N")
                found[connection_id] = Subscriber(
                    connection_id, item.get("userId", {}).get("S", ""), int(expires) if expires else None
                )
    return list(found.values())


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
