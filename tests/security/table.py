"""The stack's table as it stands (a scan through moto's endpoint), for tests that prove nothing was written."""

from __future__ import annotations

from typing import Any

import boto3

from tests.e2e.conftest import LocalStack

Items = dict[tuple[str, str], dict[str, Any]]


def table_items(stack: LocalStack) -> Items:
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name=str(stack.endpoints["region"]),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        items: Items = {}
        for page in client.get_paginator("scan").paginate(TableName=stack.table_name):
            for item in page["Items"]:
                items[(item["pk"]["S"], item["sk"]["S"])] = item
        return items
    finally:
        client.close()


def connection_items(stack: LocalStack) -> Items:
    """Connections and their channel subscriptions (store/connections.py's keys)."""
    return {
        key: item for key, item in table_items(stack).items() if key[0].startswith("CONN#") or "#CHANNEL#" in key[0]
    }
