"""A reused Idempotency-Key through the real handlers on moto: the same request gets the first answer
again and writes nothing; another request with the same key is 409 `idempotency_key_reused` naming the
header, and writes nothing. Routes: POST /assignments (its claim item), and every change to an agent
through the status engine's replay record (the agent's own status and clock routes, supervisors' forced
changes). POST /reports/jobs is covered in test_reports.py; the admin routes take no Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from contactcenter.people import Person
from contactcenter.services.administration import register_person
from contactcenter.store import agents as agent_store
from contactcenter.store import clients
from functions.supervision import app as supervision
from tests.faults.injection import Outage, throttled
from tests.handlers.conftest import TABLE, body_of
from tests.handlers.test_assignments import _call, _copy_item
from tests.handlers.test_status import Client
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization

REUSED = {"code": "conflict", "field": "Idempotency-Key", "rule": "idempotency_key_reused"}
DRAFT = {"type": "coaching", "title": "Call review", "instructions": "Listen and reflect.", "agentIds": ["ana"]}
NIA = Person(organization_id="acme", user_id="nia", display_name="Nia", roles=frozenset({"AGENT"}), units=("north",))


def _table() -> list[dict[str, Any]]:
    """Every item of the table, in key order: what "nothing was written" is compared on."""
    items = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _entities(entity: str) -> list[dict[str, Any]]:
    return [item for item in _table() if item.get("entity", {}).get("S") == entity]


def _refused_as_reused(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 409, response
    assert response["headers"]["Content-Type"].startswith("application/json")
    error = body_of(response)["error"]
    assert {name: error.get(name) for name in REUSED} == REUSED
    assert error["message"]


def _forget_fingerprints(entity: str) -> None:
    """Make the stored records look like those written before fingerprints were (they live a day)."""
    client = boto3.client("dynamodb")
    for item in _entities(entity):
        client.update_item(
            TableName=TABLE,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="REMOVE requestFingerprint, agentIds",
        )


# --- POST /assignments ---------------------------------------------------------------------------


def _create(context: Any, body: dict[str, Any], *, key: str = "create-1", user: str = "sam") -> dict[str, Any]:
    return _call(context, "POST", "/assignments", user=user, body=body, headers={"Idempotency-Key": key})


def test_assignment_retry_with_the_same_body_is_the_first_answer_and_writes_nothing(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    body = DRAFT | {"unitIds": ["north"], "dueAt": (datetime.now(UTC) + timedelta(days=7)).isoformat()}
    first = _create(context, body)
    assert first["statusCode"] == 201, first
    before = _table()
    requests_counted.reset()

    again = _create(context, body)

    assert (again["statusCode"], body_of(again)) == (first["statusCode"], body_of(first))
    assert body_of(again)["agentIds"] == ["ana", "cy", "una"]
    assert _table() == before
    # the people, the claim (refused: the key is taken) and the stored assignment; no write applied
    assert requests_counted.calls == ["Query", "PutItem", "GetItem"]


def test_assignment_retry_spelling_the_same_values_differently_is_the_same_request(
    acme: Organization, context: Any
) -> None:
    due = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    first = _create(context, DRAFT | {"dueAt": due.isoformat().replace("+00:00", "Z")})
    before = _table()
    again = _create(context, {"dueAt": due.astimezone(timezone(timedelta(hours=2))).isoformat(), **DRAFT})
    assert (again["statusCode"], body_of(again)) == (201, body_of(first))
    assert _table() == before


@pytest.mark.parametrize(
    "changed",
    [
        {"agentIds": ["cy"]},  # the reported case: the first assignment answered with cy's name on it
        {"agentIds": ["ana", "cy"]},
        {"unitIds": ["north"]},
        {"title": "Another review"},
        {"type": "evaluation"},
        {"commentsAllowed": True},
        {"dueAt": "2099-01-01T00:00:00Z"},
    ],
)
def test_assignment_key_reused_for_another_body_is_409_and_writes_nothing(
    acme: Organization, context: Any, changed: dict[str, Any]
) -> None:
    first = _create(context, DRAFT)
    assert first["statusCode"] == 201, first
    before = _table()

    _refused_as_reused(_create(context, DRAFT | changed))

    assert _table() == before
    assert [item["agentId"]["S"] for item in _entities("Assignment")] == ["ana"]
    again = _create(context, DRAFT)  # the first request itself is still answered
    assert (again["statusCode"], body_of(again)) == (201, body_of(first))


def test_assignment_replay_lists_the_agents_the_first_request_was_given_to(acme: Organization, context: Any) -> None:
    body = DRAFT | {"agentIds": [], "unitIds": ["north"]}
    first = _create(context, body)
    register_person(NIA, acme.settings)
    before = _table()

    again = _create(context, body)

    assert body_of(again) == body_of(first)
    assert body_of(again)["agentIds"] == ["ana", "cy", "una"]  # not nia, who joined the unit since
    assert _table() == before


def test_assignment_finished_by_the_retry_is_given_to_the_first_requests_agents(
    acme: Organization, context: Any
) -> None:
    body = DRAFT | {"agentIds": [], "unitIds": ["north"]}

    def definition(request: dict[str, Any]) -> bool:  # the last write of a creation
        return b'"AssignmentDefinition"' in bytes(request["body"])

    with Outage(clients.dynamodb(), "PutItem", throttled(), matching=definition, times=1):
        stopped = _create(context, body)
    assert stopped["statusCode"] == 503, stopped
    assert _entities("AssignmentDefinition") == []
    register_person(NIA, acme.settings)

    finished = _create(context, body)
    assert finished["statusCode"] == 201, finished
    assert body_of(finished)["agentIds"] == ["ana", "cy", "una"]
    assert body_of(finished)["assignment"]["agentCount"] == 3
    assert sorted(item["agentId"]["S"] for item in _entities("Assignment")) == ["ana", "cy", "una"]
    before = _table()
    again = _create(context, body)
    assert (again["statusCode"], body_of(again)) == (201, body_of(finished))
    assert _table() == before
    _refused_as_reused(_create(context, DRAFT))
    assert _table() == before


def test_assignment_keys_are_each_creators_own(acme: Organization, context: Any) -> None:
    by_sam = _create(context, DRAFT)
    by_ada = _create(context, DRAFT | {"agentIds": ["ben"]}, user="ada")
    assert (by_sam["statusCode"], by_ada["statusCode"]) == (201, 201)
    assert body_of(by_ada)["assignment"]["assignmentId"] != body_of(by_sam)["assignment"]["assignmentId"]
    assert len(_entities("AssignmentDefinition")) == 2


def test_assignment_claim_stored_before_fingerprints_is_replayed(acme: Organization, context: Any) -> None:
    first = _create(context, DRAFT)
    assignment_id = body_of(first)["assignment"]["assignmentId"]
    _forget_fingerprints("AssignmentRequest")
    before = _table()
    again = _create(context, DRAFT)
    assert (again["statusCode"], body_of(again)) == (201, body_of(first))
    assert _table() == before
    assert _copy_item("acme", "ana", assignment_id)["version"]["N"] == "1"


# --- the status engine: the agent's own changes, clock, supervisors' forced changes ---------------


def _keyed(client: Client, method: str, path: str, body: Any = None, key: str = "k-1") -> dict[str, Any]:
    return client.call(method, path, body=body, headers={"Idempotency-Key": key})


def _force(context: Any, agent: str, body: dict[str, Any], *, key: str = "k-1", user: str = "sam") -> dict[str, Any]:
    event = http_event(
        "POST",
        f"/agents/{agent}/status",
        route="/agents/{agentId}/status",
        body=body,
        claims=claims_for(user, "acme", "SUPERVISOR"),
        headers={"Idempotency-Key": key},
        path_parameters={"agentId": agent},
    )
    return supervision.handler(event, context)


BREAK = {"status": "UNAVAILABLE", "reason": "BREAK"}
MEETING = {"status": "UNAVAILABLE", "reason": "MEETING"}

# Where the retry starts from: this execution environment still holds the agent's state (the refused
# transaction hands back the stored answer), or another one (one read of state and record first).
STARTS = pytest.mark.parametrize("warm", [True, False], ids=["known-state", "cold"])


def _start(warm: bool) -> None:
    if not warm:
        agent_store.forget_known_states()


@STARTS
def test_status_retry_with_the_same_body_is_the_first_answer_and_writes_nothing(
    acme: Organization, context: Any, warm: bool
) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    first = _keyed(ana, "PUT", "/me/status", BREAK)
    assert first["statusCode"] == 200, first
    before = _table()
    _start(warm)

    again = _keyed(ana, "PUT", "/me/status", BREAK)

    assert (again["statusCode"], body_of(again)) == (200, body_of(first))
    assert _table() == before


@STARTS
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/me/status", MEETING),  # the same route, another body
        ("PUT", "/me/next-status", BREAK),  # the same body to another route
        ("POST", "/me/clock-out", {"reason": "END_OF_SHIFT"}),
    ],
)
def test_status_key_reused_for_another_request_is_409_and_writes_nothing(
    acme: Organization, context: Any, warm: bool, method: str, path: str, body: dict[str, Any]
) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    first = _keyed(ana, "PUT", "/me/status", BREAK)
    assert first["statusCode"] == 200, first
    before = _table()
    _start(warm)

    _refused_as_reused(_keyed(ana, method, path, body))

    assert _table() == before
    assert ana.state()["reason"] == "BREAK"


def test_clock_in_key_reused_by_the_agents_next_change_is_409(acme: Organization, context: Any) -> None:
    ana = Client(context, "ana")
    clocked = _keyed(ana, "POST", "/me/clock-in", {"platform": "web"})
    assert clocked["statusCode"] == 200, clocked
    before = _table()
    _refused_as_reused(_keyed(ana, "PUT", "/me/status", BREAK))
    assert _table() == before
    again = _keyed(ana, "POST", "/me/clock-in", {"platform": "web"})
    assert (again["statusCode"], body_of(again)) == (200, body_of(clocked))


@STARTS
def test_forced_change_retry_with_the_same_body_is_the_first_answer_and_writes_nothing(
    acme: Organization, context: Any, requests_counted: RequestCounter, warm: bool
) -> None:
    Client(context, "ana").clock_in()
    first = _force(context, "ana", BREAK)
    assert first["statusCode"] == 200, first
    before = _table()
    _start(warm)
    requests_counted.reset()

    again = _force(context, "ana", BREAK)

    assert (again["statusCode"], body_of(again)) == (200, body_of(first))
    assert _table() == before
    # the same change decided again is no change: the stored answer is read with the state, and sent
    assert requests_counted.calls == ["TransactGetItems"]


@STARTS
@pytest.mark.parametrize(
    ("agent", "body"),
    [
        ("ana", MEETING),  # the same agent, another change
        ("cy", BREAK),  # the same change to another agent
    ],
)
def test_forced_change_key_reused_for_another_request_is_409_and_writes_nothing(
    acme: Organization, context: Any, warm: bool, agent: str, body: dict[str, Any]
) -> None:
    for name in ("ana", "cy"):
        Client(context, name).clock_in()
    first = _force(context, "ana", BREAK)
    assert first["statusCode"] == 200, first
    before = _table()
    _start(warm)

    _refused_as_reused(_force(context, agent, body))

    assert _table() == before


def test_a_key_is_each_callers_own(acme: Organization, context: Any) -> None:
    for agent in (Client(context, "ana"), Client(context, "ben")):
        assert _keyed(agent, "POST", "/me/clock-in", {"platform": "web"})["statusCode"] == 200
    assert _force(context, "ana", BREAK)["statusCode"] == 200  # sam's "k-1", not ana's


@STARTS
def test_replay_record_stored_before_fingerprints_is_replayed(acme: Organization, context: Any, warm: bool) -> None:
    ana = Client(context, "ana")
    ana.clock_in()
    first = _keyed(ana, "PUT", "/me/status", BREAK)
    _forget_fingerprints("IdempotencyRecord")
    before = _table()
    _start(warm)
    again = _keyed(ana, "PUT", "/me/status", BREAK)
    assert (again["statusCode"], body_of(again)) == (200, body_of(first))
    assert _table() == before
