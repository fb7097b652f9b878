"""DynamoDB requests of the assignment paths, counted under moto through the real handler.

- my_assignments: the list page and the counts by state and type (one query of the agent's partition).
- assignment_save: one conditional UpdateItem returning the new copy.
- assignment_create_unit_200: one people query, 200 copies in BatchWriteItem requests of 25, then the
  assignment itself (the organization's settings are cached by then, as in a warm execution environment).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.rows import Row

TABLE = "bench-assignments"
UNIT_SIZE = 200
_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TABLE_NAME": TABLE,
}


class _Context:
    function_name = "assignments"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:assignments"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/assignments"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@contextmanager
def _moto() -> Iterator[None]:
    import boto3
    from moto import mock_aws

    from contactcenter.edge.http import route_permissions
    from contactcenter.environment import environment
    from contactcenter.store import clients, organizations
    from infra.wiring import WIRING
    from local.resources import create_table

    saved = {name: os.environ.get(name) for name in [*_ENV, "ROUTE_PERMISSIONS", "AWS_ENDPOINT_URL"]}
    os.environ.update(_ENV)
    os.environ["ROUTE_PERMISSIONS"] = json.dumps({r.route_key: r.permission for r in WIRING.http_routes})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    for cached in (environment.cache_clear, clients.reset, organizations.forget_cached_settings):
        cached()
    route_permissions.cache_clear()
    try:
        with mock_aws():
            create_table(boto3.client("dynamodb"), TABLE, WIRING.table)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for cached in (environment.cache_clear, clients.reset, organizations.forget_cached_settings):
            cached()
        route_permissions.cache_clear()


def _organization() -> None:
    from contactcenter.organization import OrganizationSettings, Unit
    from contactcenter.people import Person
    from contactcenter.services.administration import register_organization, register_person

    settings = OrganizationSettings(
        organization_id="bench", units=(Unit(unit_id="floor", name="Floor"), Unit(unit_id="other", name="Other"))
    )
    register_organization(settings)
    register_person(
        Person(
            organization_id="bench",
            user_id="sam",
            display_name="Sam",
            roles=frozenset({"SUPERVISOR"}),
            supervised_units=frozenset({"floor"}),
        ),
        settings,
    )
    for index in range(UNIT_SIZE):
        register_person(
            Person(
                organization_id="bench",
                user_id=f"agent-{index:03d}",
                display_name=f"Agent {index}",
                roles=frozenset({"AGENT"}),
                units=("floor",),
            ),
            settings,
        )


def _call(method: str, path: str, *, user: str, role: str, body: Any = None, route: str | None = None) -> Any:
    from functions.assignments import app
    from tests.support.events import claims_for, http_event

    event = http_event(method, path, route=route, body=body, claims=claims_for(user, "bench", role))
    response = app.handler(event, _Context())
    if response["statusCode"] >= 300:
        raise RuntimeError(f"{method} {path}: {response['statusCode']} {response['body']}")
    return json.loads(response["body"])


def _assign(**target: Any) -> str:
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {"type": "coaching", "title": "Call review", "instructions": "Listen and reflect.", "dueAt": due} | target
    return str(_call("POST", "/assignments", user="sam", role="SUPERVISOR", body=body)["assignment"]["assignmentId"])


def measure() -> list[Row]:
    with _moto():
        from contactcenter.store import clients
        from tests.support.aws import RequestCounter

        _organization()
        counter = RequestCounter(clients.dynamodb())
        ids = [_assign(agentIds=["agent-000"], type=kind) for kind in ("evaluation", "coaching", "elearning")]

        counter.reset()
        _call("GET", "/me/assignments", user="agent-000", role="AGENT")
        listing = counter.total

        counter.reset()
        route = "/me/assignments/{assignmentId}/save"
        _call(
            "POST", f"/me/assignments/{ids[0]}/save", route=route, user="agent-000", role="AGENT", body={"version": 1}
        )
        save = counter.total

        counter.reset()
        _assign(unitIds=["floor"])
        create = counter.total
        calls = sorted(set(counter.calls))
        breakdown = ", ".join(f"{counter.calls.count(name)} {name}" for name in calls)

    return [
        Row("my_assignments.dynamodb_requests", listing, "requests", "list page and counts by state and type"),
        Row("assignment_save.dynamodb_requests", save, "requests", "conditional UpdateItem returning the copy"),
        Row(
            "assignment_create_unit_200.dynamodb_requests",
            create,
            "requests",
            f"a unit of {UNIT_SIZE} agents, settings cached: {breakdown}",
        ),
    ]


if __name__ == "__main__":
    for row in measure():
        print(row.as_json())
