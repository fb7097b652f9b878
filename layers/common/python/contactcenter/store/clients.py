"""AWS clients, created once per execution environment on first use; tests hand in their own.

Only store/ imports the AWS SDK. botocore's `AWS_ENDPOINT_URL` lets the local stack point these at moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Lambda's default timeouts are long; a request stuck on the network should fail fast and be retried.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def dynamodb() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def s3() -> Any:
    return boto3.client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"}))


@cache
def events() -> Any:
    return boto3.client("events", config=_CONFIG)


@cache
def connections(endpoint_url: str) -> Any:
    """The API Gateway management API of one WebSocket stage."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "max_attempts": 2}),
    )


def reset() -> None:
    """Forget every client (tests that start a new moto backend call this)."""
    for factory in (dynamodb, s3, events, connections):
        factory.cache_clear()
