from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from contactcenter.environment import environment
from contactcenter.store import agents, clients, organizations
from infra.wiring import WIRING
from local import moto_patches
from local.resources import create_table, create_timer_queue
from tests.support import organizations as test_organizations
from tests.support.aws import RequestCounter

TABLE = "contactcenter-test"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "TABLE_NAME": TABLE,
        "REPORT_BUCKET": "reports-test",
        "WEBSOCKET_ENDPOINT": "https://socket.execute-api.us-east-1.amazonaws.com/live",
        "ROUTE_PERMISSIONS": json.dumps({r.route_key: r.permission for r in WIRING.http_routes}),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    environment.cache_clear()
    clients.reset()
    organizations.forget_cached_settings()
    agents.forget_known_states()
    from contactcenter.edge.http import route_permissions

    route_permissions.cache_clear()
    moto_patches.apply_limits()  # moto refuses what DynamoDB refuses (key sizes, number precision)
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE, WIRING.table)
        assert WIRING.timers is not None
        monkeypatch.setenv("TIMER_QUEUE_URL", create_timer_queue(boto3.client("sqs"), "timers", WIRING.timers))
        environment.cache_clear()
        yield
    clients.reset()
    environment.cache_clear()
    organizations.forget_cached_settings()
    agents.forget_known_states()


@pytest.fixture
def acme(aws: None) -> test_organizations.Organization:
    return test_organizations.register(test_organizations.build("acme"))


@pytest.fixture
def globex(aws: None) -> test_organizations.Organization:
    return test_organizations.register(test_organizations.build("globex"))


@pytest.fixture
def requests_counted(aws: None) -> RequestCounter:
    return RequestCounter(clients.dynamodb())


class LambdaContext:
    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb = 512
    aws_request_id = "request-1"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def context() -> Any:
    return LambdaContext()


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None
