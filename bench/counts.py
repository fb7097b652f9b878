"""DynamoDB requests per operation, counted with botocore event hooks on the real handlers under moto."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.rows import Row

TABLE = "bench"


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@contextmanager
def _moto() -> Iterator[None]:
    from moto import mock_aws

    from infra.wiring import WIRING

    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "TABLE_NAME": TABLE,
            "REPORT_BUCKET": "bench-reports",
            "WEBSOCKET_ENDPOINT": "https://bench.execute-api.us-east-1.amazonaws.com/live",
            "ROUTE_PERMISSIONS": json.dumps({r.route_key: r.permission for r in WIRING.http_routes}),
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3

    from contactcenter.environment import environment
    from contactcenter.store import agents, clients, organizations
    from local.resources import create_table, create_timer_queue

    environment.cache_clear()
    clients.reset()
    organizations.forget_cached_settings()
    agents.forget_known_states()
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE, WIRING.table)
        assert WIRING.timers is not None
        os.environ["TIMER_QUEUE_URL"] = create_timer_queue(boto3.client("sqs"), "timers", WIRING.timers)
        environment.cache_clear()
        yield
    clients.reset()


def _call(
    module: Any,
    method: str,
    path: str,
    *,
    user: str,
    roles: tuple[str, ...],
    route: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> Any:
    from tests.support.events import claims_for, http_event

    event = http_event(
        method, path, route=route, body=body, claims=claims_for(user, "acme", *roles), headers=headers, query=query
    )
    response = module.handler(event, _Context())
    assert response["statusCode"] == 200, response
    return json.loads(response["body"])


def _count(action: Callable[[], Any]) -> int:
    from contactcenter.store import clients
    from tests.support.aws import RequestCounter

    counter = RequestCounter(clients.dynamodb())
    action()
    total = counter.total
    clients.dynamodb().meta.events.unregister("before-call.*.*", counter._count)
    return total


def measure() -> list[Row]:
    with _moto():
        return _measure()


def _measure() -> list[Row]:
    from contactcenter.people import Person
    from contactcenter.services.administration import register_person
    from contactcenter.store import agents as agent_store
    from contactcenter.store import organizations
    from functions.clock import app as clock
    from functions.status import app as status
    from functions.supervision import app as supervision
    from tests.support import organizations as test_organizations

    acme = test_organizations.register(test_organizations.build("acme"))
    agent = ("AGENT",)
    rows: list[Row] = []

    organizations.forget_cached_settings()
    rows.append(Row("settings.read.dynamodb_requests", _count(lambda: organizations.get_settings("acme")), "requests"))

    # ben's clock-in warms nothing of ana's: ana's is the cold path (read + write); her next ones are warm.
    _call(clock, "POST", "/me/clock-in", user="ben", roles=agent, body={"platform": "web"})
    cold = _count(lambda: _call(clock, "POST", "/me/clock-in", user="ana", roles=agent, body={"platform": "web"}))
    rows.append(
        Row(
            "clock_in.cold.dynamodb_requests",
            cold,
            "requests",
            "no state and no record of the agent in this environment: her person record, her state, the write",
        )
    )
    _call(clock, "POST", "/me/clock-out", user="ana", roles=agent, body={"reason": "END_OF_SHIFT"})
    rows.append(
        Row(
            "clock_in.dynamodb_requests",
            _count(lambda: _call(clock, "POST", "/me/clock-in", user="ana", roles=agent, body={"platform": "web"})),
            "requests",
            "this environment handled the agent's last change",
        )
    )
    rows.append(
        Row(
            "status_change.dynamodb_requests",
            _count(
                lambda: _call(
                    status,
                    "PUT",
                    "/me/status",
                    user="ana",
                    roles=agent,
                    body={"status": "UNAVAILABLE", "reason": "BREAK"},
                )
            ),
            "requests",
        )
    )
    agent_store.forget_known_states()
    rows.append(
        Row(
            "status_change.cold.dynamodb_requests",
            _count(lambda: _call(status, "PUT", "/me/status", user="ana", roles=agent, body={"status": "AVAILABLE"})),
            "requests",
            "another environment handled the agent's last change",
        )
    )

    def keyed_change() -> Any:
        keyed = {"Idempotency-Key": "bench-1"}
        body = {"status": "OFFLINE_WORK"}
        return _call(status, "PUT", "/me/status", user="ana", roles=agent, headers=keyed, body=body)

    rows.append(
        Row(
            "status_change_idempotent.dynamodb_requests",
            _count(keyed_change),
            "requests",
            "first request with an Idempotency-Key: the replay record is in the same transaction",
        )
    )
    rows.append(
        Row(
            "status_change_idempotent.retry.dynamodb_requests",
            _count(keyed_change),  # the same request again
            "requests",
            "the retry answers the stored first answer",
        )
    )
    _call(status, "POST", "/me/queues/web-chat/login", user="ana", roles=agent, route="/me/queues/{queueId}/login")
    _call(status, "PUT", "/me/status", user="ana", roles=agent, body={"status": "AVAILABLE"})
    rows.append(
        Row(
            "work_item_accept.dynamodb_requests",
            _count(
                lambda: _call(
                    status,
                    "POST",
                    "/me/work-items/c1/events",
                    user="ana",
                    roles=agent,
                    route="/me/work-items/{itemId}/events",
                    body={"type": "accepted", "channel": "chat", "queueId": "web-chat"},
                )
            ),
            "requests",
        )
    )
    routable = ("/queues/web-chat/routable-agents", "/queues/{queueId}/routable-agents")
    router = Person(organization_id="acme", user_id="router", display_name="Router", roles=frozenset({"INTEGRATION"}))
    register_person(router, acme.settings)
    # The router's record is cached here, as after its first request (every caller is authorized by it).
    _call(status, "GET", routable[0], user="router", roles=("INTEGRATION",), route=routable[1])
    rows.append(
        Row(
            "routable_agents.dynamodb_requests",
            _count(lambda: _call(status, "GET", routable[0], user="router", roles=("INTEGRATION",), route=routable[1])),
            "requests",
        )
    )
    rows.append(
        Row(
            "current_state.dynamodb_requests",
            _count(lambda: _call(status, "GET", "/me/state", user="ana", roles=agent)),
            "requests",
        )
    )
    sam = ("SUPERVISOR",)

    def auto_assignment(enabled: bool) -> Any:
        path, route = "/agents/ana/auto-assignment", "/agents/{agentId}/auto-assignment"
        return _call(supervision, "PUT", path, user="sam", roles=sam, route=route, body={"enabled": enabled})

    auto_assignment(False)  # so that the measured change has something to change back
    rows.append(Row("forced_change.dynamodb_requests", _count(lambda: auto_assignment(True)), "requests"))

    def dashboard() -> Any:
        return _call(
            supervision,
            "GET",
            "/units/north/dashboard",
            user="sam",
            roles=sam,
            route="/units/{unitId}/dashboard",
            query={"limit": "200"},
        )

    def add_north_agents(numbers: range) -> None:
        for number in numbers:
            person = Person(
                organization_id="acme",
                user_id=f"n{number}",
                display_name=f"N {number}",
                roles=frozenset(agent),
                units=("north",),
                groups=("agents",),
            )
            register_person(person, acme.settings)

    add_north_agents(range(8))  # north has ana, cy, una: 10 agents in all
    rows.append(Row("dashboard_page_10_agents.dynamodb_requests", _count(dashboard), "requests"))
    add_north_agents(range(8, 998))
    dashboard()  # adding 990 people may outlast the caches (30 s): the row counts a warm page, as the 10 above
    rows.append(
        Row(
            "dashboard_page_1000_agents.dynamodb_requests",
            _count(dashboard),
            "requests",
            "a page of 200 of the unit's 1,000 agents",
        )
    )
    return rows
