"""Clock in and out through the real handler, on moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from contactcenter.store.organizations import get_standing
from functions.clock import app as clock
from tests.handlers.conftest import TABLE, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization


def _clock_in(
    context: Any,
    body: Any,
    *,
    user: str = "ana",
    org: str = "acme",
    roles: tuple[str, ...] = ("AGENT",),
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = http_event("POST", "/me/clock-in", body=body, claims=claims_for(user, org, *roles), headers=headers)
    return clock.handler(event, context)


def _history(org: str, agent: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{org}#AGENT#{agent}"}, ":h": {"S": "HIST#"}},
    )["Items"]
    return items


def test_clock_in_stores_state_and_one_history_entry(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web"})

    assert response["statusCode"] == 200, response
    body = body_of(response)
    assert body["agent"]["status"] == "AVAILABLE"
    assert body["agent"]["unitId"] == "north"
    assert body["agent"]["sequence"] == 1
    assert body["changes"][-1] == body["changes"][-1] | {
        "fromStatus": "AWAY",
        "toStatus": "AVAILABLE",
        "actorKind": "agent",
    }
    assert len(_history("acme", "ana")) == 1


def test_clock_in_costs_one_read_and_one_transaction(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    _clock_in(context, {"platform": "web"}, user="ben")  # warms the settings cache
    get_standing("acme", "ana")  # and ana's record, as any earlier request of hers would have
    requests_counted.reset()
    _clock_in(context, {"platform": "app"})
    assert requests_counted.calls == ["GetItem", "TransactWriteItems"]


def test_agent_in_several_units_must_pick_one(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web"}, user="cy")
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "unitId"
    assert body_of(response)["error"]["rule"] == "unit_required"
    assert _history("acme", "cy") == []

    assert _clock_in(context, {"platform": "web", "unitId": "south"}, user="cy")["statusCode"] == 200


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({}, "platform", "missing"),
        ({"platform": "fax"}, "platform", "literal_error"),
        ({"platform": "web", "unitId": 7}, "unitId", "string_type"),
        ({"platform": "web", "extra": 1}, "extra", "extra_forbidden"),
    ],
)
def test_malformed_clock_in_is_422_naming_the_field(
    acme: Organization, context: Any, body: Any, field: str, rule: str
) -> None:
    response = _clock_in(context, body)
    assert response["statusCode"] == 422
    errors = body_of(response)["error"]["errors"]
    assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in errors]
    assert _history("acme", "ana") == []


def test_unknown_unit_is_422(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web", "unitId": "nowhere"})
    assert response["statusCode"] == 422
    assert body_of(response)["error"] | {"field": "unitId", "rule": "unknown_unit"} == body_of(response)["error"]
    assert _history("acme", "ana") == []


def test_body_that_is_not_json_is_422(acme: Organization, context: Any) -> None:
    response = _clock_in(context, "{not json")
    assert response["statusCode"] == 422
    assert _history("acme", "ana") == []


def test_untracked_agent_is_refused(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web"}, user="una")
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["rule"] == "agent_not_tracked"


def test_clocking_in_twice_is_a_conflict(acme: Organization, context: Any) -> None:
    assert _clock_in(context, {"platform": "web"})["statusCode"] == 200
    response = _clock_in(context, {"platform": "web"})
    assert response["statusCode"] == 409
    assert len(_history("acme", "ana")) == 1


def test_supervisor_without_attendance_permission_is_403(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web"}, user="sam", roles=("SUPERVISOR",))
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["rule"] == "missing_permission"


def test_token_of_another_organization_finds_no_such_agent(
    acme: Organization, globex: Organization, context: Any
) -> None:
    # "ana" exists in both; a globex token acts on globex's ana only.
    assert _clock_in(context, {"platform": "web"}, org="globex")["statusCode"] == 200
    assert len(_history("globex", "ana")) == 1
    assert _history("acme", "ana") == []


def test_a_token_of_an_unknown_organization_is_refused(acme: Organization, context: Any) -> None:
    response = _clock_in(context, {"platform": "web"}, org="initech")
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["rule"] == "unknown_organization"


def test_missing_claims_are_401(acme: Organization, context: Any) -> None:
    event = http_event("POST", "/me/clock-in", body={"platform": "web"}, claims={})
    response = clock.handler(event, context)
    assert response["statusCode"] == 401
    assert _history("acme", "ana") == []


def test_retry_with_same_idempotency_key_returns_first_answer_once(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    first = _clock_in(context, {"platform": "web"}, headers={"Idempotency-Key": "k-1"})
    requests_counted.reset()
    again = _clock_in(context, {"platform": "web"}, headers={"Idempotency-Key": "k-1"})
    assert again["statusCode"] == 200
    assert body_of(again) == body_of(first)
    assert len(_history("acme", "ana")) == 1
    assert requests_counted.calls == ["TransactGetItems"]


def test_clock_out_needs_a_known_reason_and_description_for_other(acme: Organization, context: Any) -> None:
    _clock_in(context, {"platform": "web"})
    claims = claims_for("ana", "acme", "AGENT")
    unknown = clock.handler(http_event("POST", "/me/clock-out", body={"reason": "BORED"}, claims=claims), context)
    assert unknown["statusCode"] == 422
    assert body_of(unknown)["error"]["field"] == "reason"
    other = clock.handler(http_event("POST", "/me/clock-out", body={"reason": "OTHER"}, claims=claims), context)
    assert body_of(other)["error"]["rule"] == "description_required"
    done = clock.handler(http_event("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"}, claims=claims), context)
    assert done["statusCode"] == 200
    assert body_of(done)["agent"]["status"] == "AWAY"
    assert len(_history("acme", "ana")) == 2


def test_my_state_reads_with_one_request(acme: Organization, context: Any, requests_counted: RequestCounter) -> None:
    from functions.status import app as status

    event = http_event("GET", "/me/state", claims=claims_for("ana", "acme", "AGENT"))
    status.handler(event, context)  # the first read of the organization's settings is cached
    requests_counted.reset()
    response = status.handler(event, context)
    assert response["statusCode"] == 200
    assert body_of(response)["status"] == "AWAY"
    assert requests_counted.calls == ["GetItem"]
