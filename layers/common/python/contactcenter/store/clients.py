"""AWS clients, created once per execution environment on first use; tests hand in their own.

Only store/ imports the AWS SDK. botocore's `AWS_ENDPOINT_URL` lets the local stack point these at moto.
boto3 is imported on the first client, not at module import: the handler module stays cheap to import
and the cost moves to the first request (both are measured in `make bench`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

CONCURRENT_POSTS = 32  # the fan-out's pool of posting threads (services/fanout.py)


def _client(service: str, **options: Any) -> Any:
    import boto3
    from botocore.config import Config

    # Lambda's default timeouts are long; a request stuck on the network should fail fast and be retried.
    config = Config(
        connect_timeout=options.pop("connect_timeout", 2),
        read_timeout=options.pop("read_timeout", 5),
        retries={"mode": "standard", "max_attempts": options.pop("max_attempts", 3)},
        **options.pop("config", {}),
    )
    return boto3.client(service, config=config, **options)


@cache
def dynamodb() -> Any:
    from contactcenter.store.items import refuse_validation_errors

    client = _client("dynamodb")
    client.meta.events.register("after-call.dynamodb", refuse_validation_errors)
    return client


@cache
def s3() -> Any:
    return _client("s3", config={"signature_version": "s3v4"})


@cache
def events() -> Any:
    return _client("events")


@cache
def sqs() -> Any:
    """The timer queue (store/timers.py)."""
    return _client("sqs")


@cache
def cognito() -> Any:
    """The user pool's admin API (the admin function creates people and machine clients there)."""
    return _client("cognito-idp")


@cache
def connections(endpoint_url: str) -> Any:
    """The API Gateway management API of one WebSocket stage."""
    return _client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        connect_timeout=1,
        read_timeout=2,
        max_attempts=2,
        # One kept-alive connection per posting thread: with fewer, urllib3 opens and drops a new one for
        # every post beyond them (botocore keeps 10 by default).
        # A fixed User-Agent: botocore composes its default one anew for every request, a sixth of a post's
        # CPU, and posting is CPU-bound once the pool hides the round trips.
        config={"max_pool_connections": CONCURRENT_POSTS, "user_agent": "contactcenter-fanout"},
    )


def reset() -> None:
    """Forget every client (tests that start a new moto backend call this)."""
    for factory in (dynamodb, s3, events, sqs, cognito, connections):
        factory.cache_clear()
