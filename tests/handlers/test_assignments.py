"""Assignments through the real handler on moto: seed 000's Save/Close rules, creation, My Assignments,
supervisors' progress, authorization, tenant isolation, and what each request costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from contactcenter.access import Permission, Principal
from contactcenter.errors import Forbidden
from contactcenter.people import Person
from contactcenter.services import assignments as service
from contactcenter.services.administration import register_person
from contactcenter.store.organizations import get_standing
from functions.assignments import app as assignments
from tests.handlers.conftest import TABLE, body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization

ROLES = {"ana": "AGENT", "ben": "AGENT", "cy": "AGENT", "una": "AGENT", "sam": "SUPERVISOR", "sue": "SUPERVISOR"}
ROLES |= {"ada": "ADMIN", "fay": "FINANCE"}
ENTITIES = ("Assignment", "AssignmentDefinition", "AssignmentRequest")


def _call(
    context: Any,
    method: str,
    route: str,
    *,
    user: str,
    org: str = "acme",
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **path: str,
) -> dict[str, Any]:
    path_parameters = dict(path)
    concrete = route
    for name, value in path_parameters.items():
        concrete = concrete.replace("{" + name + "}", value)
    event = http_event(
        method,
        concrete,
        route=route,
        body=body,
        query=query,
        headers=headers,
        claims=claims_for(user, org, ROLES.get(user, "AGENT")),
        path_parameters=path_parameters or None,
    )
    return assignments.handler(event, context)


def _create(context: Any, *, user: str = "sam", org: str = "acme", **fields: Any) -> dict[str, Any]:
    body = {"type": "coaching", "title": "Call review", "instructions": "Listen and reflect."} | fields
    return _call(context, "POST", "/assignments", user=user, org=org, body=body)


def _created_id(response: dict[str, Any]) -> str:
    assert response["statusCode"] == 201, response
    return str(body_of(response)["assignment"]["assignmentId"])


def _mine(context: Any, user: str = "ana", org: str = "acme", **query: str) -> dict[str, Any]:
    return _call(context, "GET", "/me/assignments", user=user, org=org, query=query or None)


def _open(context: Any, assignment_id: str, user: str = "ana", org: str = "acme") -> dict[str, Any]:
    return _call(context, "GET", "/me/assignments/{assignmentId}", user=user, org=org, assignmentId=assignment_id)


def _save(context: Any, assignment_id: str, body: Any, user: str = "ana", org: str = "acme") -> dict[str, Any]:
    route = "/me/assignments/{assignmentId}/save"
    return _call(context, "POST", route, user=user, org=org, body=body, assignmentId=assignment_id)


def _close(context: Any, assignment_id: str, user: str = "ana") -> dict[str, Any]:
    route = "/me/assignments/{assignmentId}/close"
    return _call(context, "POST", route, user=user, assignmentId=assignment_id)


def _items(*entities: str) -> list[dict[str, Any]]:
    wanted = entities or ENTITIES
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return [i for i in items if i.get("entity", {}).get("S") in wanted]


def _copy_item(org: str, agent: str, assignment_id: str) -> dict[str, Any]:
    key = {"pk": {"S": f"ORG#{org}#AGENT#{agent}#ASSIGNMENTS"}, "sk": {"S": f"ASSIGNMENT#{assignment_id}"}}
    return dict(boto3.client("dynamodb").get_item(TableName=TABLE, Key=key)["Item"])


def _error(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status, response
    return dict(body_of(response)["error"])


def _in_a_week() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


# --- creating ------------------------------------------------------------------------------------


def test_create_for_one_agent_gives_that_agent_a_new_copy(acme: Organization, context: Any) -> None:
    response = _create(
        context,
        agentIds=["ana"],
        contentLink="https://learn.example.com/c/1",
        confirmationStatement="I listened to the call.",
        commentsAllowed=True,
        dueAt=_in_a_week(),
    )
    assignment_id = _created_id(response)
    body = body_of(response)
    assert body["agentIds"] == ["ana"]
    assert body["assignment"] | {"agentCount": 1, "createdBy": "sam", "type": "coaching"} == body["assignment"]
    assert len(_items("AssignmentDefinition")) == 1
    copy = _copy_item("acme", "ana", assignment_id)
    assert (copy["entity"]["S"], copy["state"]["S"], copy["version"]["N"]) == ("Assignment", "NEW", "1")


def test_create_for_several_agents_and_for_a_unit(acme: Organization, context: Any) -> None:
    several = _create(context, agentIds=["ana", "cy"])
    assert body_of(several)["agentIds"] == ["ana", "cy"]
    unit = _create(context, unitIds=["north"])
    assert body_of(unit)["agentIds"] == ["ana", "cy", "una"]
    assert body_of(unit)["assignment"]["unitIds"] == ["north"]
    assert len(_items("Assignment")) == 5


def test_administrator_assigns_across_the_whole_organization(acme: Organization, context: Any) -> None:
    response = _create(context, user="ada", unitIds=["north", "south"])
    assert body_of(response)["agentIds"] == ["ana", "ben", "cy", "una"]


def test_create_for_a_unit_writes_copies_in_batches_and_the_assignment_last(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    _create(context, agentIds=["ana"])  # warms the settings cache
    requests_counted.reset()
    _created_id(_create(context, unitIds=["north"]))
    assert requests_counted.calls == ["Query", "BatchWriteItem", "PutItem"]


def test_retry_with_the_same_idempotency_key_creates_nothing_more(acme: Organization, context: Any) -> None:
    headers = {"Idempotency-Key": "create-1"}
    body = {"type": "elearning", "title": "Course", "instructions": "Take it.", "unitIds": ["north"]}
    first = _call(context, "POST", "/assignments", user="sam", body=body, headers=headers)
    again = _call(context, "POST", "/assignments", user="sam", body=body, headers=headers)
    assert _created_id(again) == _created_id(first)
    assert body_of(again) == body_of(first)
    assert len(_items("Assignment")) == 3
    assert len(_items("AssignmentDefinition")) == 1


@pytest.mark.parametrize(
    ("fields", "status", "field", "rule"),
    [
        ({"agentIds": ["zed"]}, 422, "agentIds", "unknown_agent"),
        ({"agentIds": ["gina"]}, 422, "agentIds", "unknown_agent"),  # an agent of globex
        ({"agentIds": ["sue"]}, 422, "agentIds", "unknown_agent"),  # not an agent
        ({"agentIds": ["ben"]}, 403, "agentIds", "agent_not_supervised"),
        ({"agentIds": ["ana", "ben"]}, 403, "agentIds", "agent_not_supervised"),
        ({"unitIds": ["south"]}, 403, "unitIds", "unit_not_supervised"),
        ({"unitIds": ["west"]}, 422, "unitIds", "unknown_unit"),
        ({}, 422, "agentIds", "no_agents"),
        ({"agentIds": ["ana"], "dueAt": "2020-01-01T00:00:00Z"}, 422, "dueAt", "in_the_past"),
        ({"agentIds": ["ana"], "contentLink": "http://learn.example.com"}, 422, "contentLink", "https_required"),
        ({"agentIds": ["ana"], "contentLink": "ftp://files.example.com/x"}, 422, "contentLink", "https_required"),
        ({"agentIds": ["ana"], "title": "t" * 201}, 422, "title", "too_long"),
        ({"agentIds": ["ana"], "title": " "}, 422, "title", "required"),
        ({"agentIds": ["ana"], "instructions": "i" * 4001}, 422, "instructions", "too_long"),
        ({"agentIds": ["ana"], "confirmationStatement": "c" * 501}, 422, "confirmationStatement", "too_long"),
    ],
)
def test_bad_creation_names_the_field_and_writes_nothing(
    acme: Organization,
    globex: Organization,
    context: Any,
    *,
    fields: dict[str, Any],
    status: int,
    field: str,
    rule: str,
) -> None:
    gina = Person(
        organization_id="globex", user_id="gina", display_name="Gina", roles=frozenset({"AGENT"}), units=("north",)
    )
    register_person(gina, globex.settings)
    error = _error(_create(context, **fields), status)
    assert (error["field"], error["rule"]) == (field, rule)
    assert _items() == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agentIds": ["ana"], "dueAt": "2030-01-01T00:00:00"}, "dueAt"),  # no time zone
        ({"agentIds": ["ana"], "type": "quiz"}, "type"),
        ({"agentIds": ["ana"], "title": None}, "title"),
        ({"agentIds": ["ana"], "priority": "high"}, "priority"),
        ({"agentIds": "ana"}, "agentIds"),
    ],
)
def test_malformed_creation_is_a_validation_error_naming_the_field(
    acme: Organization, context: Any, fields: dict[str, Any], field: str
) -> None:
    error = _error(_create(context, **fields), 422)
    assert error["code"] == "validation"
    assert [e["field"] for e in error["errors"]] == [field]
    assert _items() == []


@pytest.mark.parametrize("user", ["ana", "fay"])
def test_only_assignment_managers_create(acme: Organization, context: Any, user: str) -> None:
    error = _error(_create(context, user=user, agentIds=["ana"]), 403)
    assert error["rule"] == "missing_permission"
    assert _items() == []


# --- My Assignments ------------------------------------------------------------------------------


def test_my_assignments_list_and_counts_come_from_one_request(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    coaching = _created_id(_create(context, agentIds=["ana", "cy"]))
    _created_id(_create(context, agentIds=["ana"], type="evaluation"))
    _created_id(_create(context, agentIds=["ana"], type="elearning"))
    _save(context, coaching, {"version": 1})
    requests_counted.reset()

    response = _mine(context)

    assert requests_counted.calls == ["Query"]
    body = body_of(response)
    assert body["types"] == ["coaching", "elearning", "evaluation"]
    assert [(a["type"], a["state"]) for a in body["assignments"]] == [
        ("elearning", "NEW"),
        ("evaluation", "NEW"),
        ("coaching", "COMPLETED"),
    ]
    assert body["counts"]["byState"] == {"NEW": 2, "STARTED": 0, "COMPLETED": 1}
    assert body["counts"]["byType"]["coaching"] == {"NEW": 0, "STARTED": 0, "COMPLETED": 1}
    assert body["nextCursor"] is None
    assert "comments" not in body["assignments"][0]


def test_my_assignments_filters_and_pages(acme: Organization, context: Any) -> None:
    ids = [_created_id(_create(context, agentIds=["ana"], type=t)) for t in ("coaching", "coaching", "evaluation")]
    only = body_of(_mine(context, type="coaching"))
    assert [a["assignmentId"] for a in only["assignments"]] == [ids[1], ids[0]]
    assert only["counts"]["total"] == 3  # counts stay over every visible type
    first = body_of(_mine(context, limit="2"))
    second = body_of(_mine(context, limit="2", cursor=first["nextCursor"]))
    assert [a["assignmentId"] for a in first["assignments"] + second["assignments"]] == ids[::-1]
    assert second["nextCursor"] is None
    assert body_of(_mine(context, state="STARTED"))["assignments"] == []
    assert body_of(_mine(context, overdue="true"))["assignments"] == []


@pytest.mark.parametrize(
    ("query", "field"), [({"type": "quiz"}, "type"), ({"limit": "0"}, "limit"), ({"state": "DONE"}, "state")]
)
def test_bad_list_query_is_a_validation_error(
    acme: Organization, context: Any, query: dict[str, str], field: str
) -> None:
    error = _error(_mine(context, **query), 422)
    assert [e["field"] for e in error["errors"]] == [f"query.{field}"]


def test_someone_without_my_engage_may_not_list(acme: Organization, context: Any) -> None:
    assert _error(_mine(context, user="fay"), 403)["rule"] == "missing_permission"


# --- Save vs Close (seed 000) --------------------------------------------------------------------


def _assigned(context: Any, **fields: Any) -> str:
    return _created_id(_create(context, agentIds=["ana"], **fields))


def test_save_without_confirmation_statement_completes(acme: Organization, context: Any) -> None:
    assignment_id = _assigned(context)
    response = _save(context, assignment_id, {"version": 1})
    assert response["statusCode"] == 200, response
    assert body_of(response)["assignment"] | {"state": "COMPLETED", "version": 2} == body_of(response)["assignment"]


def test_save_with_confirmation_statement_unchecked_starts_then_checked_completes(
    acme: Organization, context: Any
) -> None:
    assignment_id = _assigned(context, confirmationStatement="I listened.", commentsAllowed=True)
    started = body_of(_save(context, assignment_id, {"version": 1, "confirmed": False, "comments": "day one"}))
    assert (started["assignment"]["state"], started["assignment"]["comments"]) == ("STARTED", "day one")
    done = body_of(_save(context, assignment_id, {"version": 2, "confirmed": True}))
    assert (done["assignment"]["state"], done["assignment"]["confirmed"]) == ("COMPLETED", True)
    assert done["assignment"]["comments"] == "day one"


def test_save_is_one_conditional_update(acme: Organization, context: Any, requests_counted: RequestCounter) -> None:
    assignment_id = _assigned(context, confirmationStatement="I listened.")
    get_standing("acme", "ana")  # the caller's record, cached here as after any request of hers
    requests_counted.reset()
    _save(context, assignment_id, {"version": 1})
    assert requests_counted.calls == ["UpdateItem"]


def test_completed_assignment_is_read_only(acme: Organization, context: Any) -> None:
    assignment_id = _assigned(context)
    _save(context, assignment_id, {"version": 1})
    before = _copy_item("acme", "ana", assignment_id)
    error = _error(_save(context, assignment_id, {"version": 2, "confirmed": True}), 409)
    assert error["rule"] == "completed_read_only"
    assert _copy_item("acme", "ana", assignment_id) == before


def test_comments_where_allowed_only(acme: Organization, context: Any) -> None:
    assignment_id = _assigned(context, confirmationStatement="I listened.", commentsAllowed=False)
    before = _copy_item("acme", "ana", assignment_id)
    error = _error(_save(context, assignment_id, {"version": 1, "comments": "a note"}), 422)
    assert (error["field"], error["rule"]) == ("comments", "comments_not_allowed")
    assert _copy_item("acme", "ana", assignment_id) == before
    too_long = _error(_save(context, assignment_id, {"version": 1, "comments": "x" * 4001}), 422)
    assert (too_long["field"], too_long["rule"]) == ("comments", "too_long")
    assert _copy_item("acme", "ana", assignment_id) == before


def test_two_devices_saving_at_once_the_stale_one_gets_409(acme: Organization, context: Any) -> None:
    assignment_id = _assigned(context, confirmationStatement="I listened.", commentsAllowed=True)
    phone = body_of(_open(context, assignment_id))["assignment"]
    laptop = body_of(_open(context, assignment_id))["assignment"]
    first = _save(context, assignment_id, {"version": phone["version"], "comments": "from the phone"})
    assert first["statusCode"] == 200
    error = _error(_save(context, assignment_id, {"version": laptop["version"], "comments": "from the laptop"}), 409)
    assert (error["field"], error["rule"]) == ("version", "stale_version")
    assert _copy_item("acme", "ana", assignment_id)["comments"]["S"] == "from the phone"


def test_open_shows_the_content_and_close_changes_nothing(
    acme: Organization, context: Any, requests_counted: RequestCounter
) -> None:
    assignment_id = _assigned(
        context,
        contentLink="https://learn.example.com/c/1",
        confirmationStatement="I listened.",
        commentsAllowed=True,
    )
    _save(context, assignment_id, {"version": 1, "comments": "half way"})
    before = _copy_item("acme", "ana", assignment_id)
    requests_counted.reset()

    opened = _open(context, assignment_id)
    closed = _close(context, assignment_id)

    assert requests_counted.calls == ["BatchGetItem", "BatchGetItem"]
    assert body_of(closed) == body_of(opened)
    assert (
        body_of(opened)["assignment"]
        | {
            "instructions": "Listen and reflect.",
            "contentLink": "https://learn.example.com/c/1",
            "confirmationStatement": "I listened.",
            "state": "STARTED",
            "comments": "half way",
            "version": 2,
        }
        == body_of(opened)["assignment"]
    )
    assert _copy_item("acme", "ana", assignment_id) == before


@pytest.mark.parametrize("assignment_id", ["20260101000000000-00000000", "not-an-id"])
def test_unknown_assignment_is_404_and_nothing_is_written(acme: Organization, context: Any, assignment_id: str) -> None:
    for response in (
        _open(context, assignment_id),
        _close(context, assignment_id),
        _save(context, assignment_id, {"version": 1}),
    ):
        assert _error(response, 404)["rule"] == "unknown_assignment"
    assert _items() == []


@pytest.mark.parametrize(
    ("body", "field"), [({}, "version"), ({"version": 0}, "version"), ({"version": 1, "mood": "happy"}, "mood")]
)
def test_malformed_save_is_a_validation_error(
    acme: Organization, context: Any, body: dict[str, Any], field: str
) -> None:
    assignment_id = _assigned(context)
    before = _copy_item("acme", "ana", assignment_id)
    error = _error(_save(context, assignment_id, body), 422)
    assert [e["field"] for e in error["errors"]] == [field]
    assert _copy_item("acme", "ana", assignment_id) == before


# --- permissions per type and per custom role (the principal's permissions, as the edge builds them) -----


def _custom(user: str, *permissions: Permission) -> Principal:
    return Principal("acme", user, frozenset({"COACHEE"}), frozenset({Permission.ENGAGE, *permissions}))


NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_type_you_may_not_see_is_403_when_asked_for_never_an_empty_200(acme: Organization, context: Any) -> None:
    evaluation = _assigned(context, type="evaluation")
    coaching = _assigned(context, type="coaching")
    coachee = _custom("ana", Permission.ENGAGE_COACHING)
    listing = service.my_assignments(coachee, service.Filters(), limit=25, cursor=None, now=NOW)
    assert [a["assignmentId"] for a in listing["assignments"]] == [coaching]
    assert listing["types"] == ["coaching"]
    assert listing["counts"]["byType"] == {"coaching": {"NEW": 1, "STARTED": 0, "COMPLETED": 0}}
    before = _copy_item("acme", "ana", evaluation)
    for attempt in (
        lambda: service.my_assignments(
            coachee, service.Filters(type=service.AssignmentType.EVALUATION), limit=25, cursor=None, now=NOW
        ),
        lambda: service.open_assignment(coachee, evaluation, now=NOW),
        lambda: service.close_assignment(coachee, evaluation, now=NOW),
        lambda: service.save_assignment(coachee, evaluation, version=1, confirmed=True, comments=None, now=NOW),
    ):
        with pytest.raises(Forbidden) as refused:
            attempt()
        assert refused.value.rule == "type_not_permitted"
    assert _copy_item("acme", "ana", evaluation) == before


def test_custom_roles_combine_types(acme: Organization, context: Any) -> None:
    for kind in ("evaluation", "coaching", "elearning"):
        _assigned(context, type=kind)
    learner = _custom("ana", Permission.ENGAGE_COACHING, Permission.ENGAGE_ELEARNING)
    listing = service.my_assignments(learner, service.Filters(), limit=25, cursor=None, now=NOW)
    assert sorted(a["type"] for a in listing["assignments"]) == ["coaching", "elearning"]
    assert listing["counts"]["total"] == 2
    nothing = _custom("ana")  # My Engage without any type
    with pytest.raises(Forbidden):
        service.save_assignment(
            nothing, "20260101000000000-00000000", version=1, confirmed=False, comments=None, now=NOW
        )


# --- tenant isolation and ownership --------------------------------------------------------------


def test_another_agent_or_organization_never_reaches_a_copy(
    acme: Organization, globex: Organization, context: Any
) -> None:
    assignment_id = _assigned(context)
    before = _copy_item("acme", "ana", assignment_id)
    for user, org in (("ben", "acme"), ("ana", "globex")):  # globex has an "ana" too
        assert _error(_open(context, assignment_id, user=user, org=org), 404)["rule"] == "unknown_assignment"
        assert _error(_save(context, assignment_id, {"version": 1}, user=user, org=org), 404)["rule"]
        assert body_of(_mine(context, user=user, org=org))["assignments"] == []
    assert _copy_item("acme", "ana", assignment_id) == before
    progress = _call(
        context, "GET", "/assignments/{assignmentId}/progress", user="ada", org="globex", assignmentId=assignment_id
    )
    assert _error(progress, 404)["rule"] == "unknown_assignment"


# --- supervisors' progress -----------------------------------------------------------------------


def _progress(context: Any, assignment_id: str, user: str = "sam", **query: str) -> dict[str, Any]:
    route = "/assignments/{assignmentId}/progress"
    return _call(context, "GET", route, user=user, query=query or None, assignmentId=assignment_id)


def _agent_progress(context: Any, agent_id: str, user: str = "sam", **query: str) -> dict[str, Any]:
    route = "/agents/{agentId}/assignments"
    return _call(context, "GET", route, user=user, query=query or None, agentId=agent_id)


def test_progress_per_assignment_with_filters(acme: Organization, context: Any) -> None:
    assignment_id = _created_id(_create(context, unitIds=["north"], confirmationStatement="ok"))
    _save(context, assignment_id, {"version": 1}, user="cy")
    body = body_of(_progress(context, assignment_id))
    assert body["counts"]["byState"] == {"NEW": 2, "STARTED": 1, "COMPLETED": 0}
    assert [(a["agentId"], a["state"]) for a in body["agents"]] == [("ana", "NEW"), ("cy", "STARTED"), ("una", "NEW")]
    started = body_of(_progress(context, assignment_id, state="STARTED"))
    assert [a["agentId"] for a in started["agents"]] == ["cy"]
    assert body_of(_progress(context, assignment_id, overdue="true"))["agents"] == []


def test_progress_shows_a_supervisor_only_their_agents_of_someone_elses_assignment(
    acme: Organization, context: Any
) -> None:
    everyone = _created_id(_create(context, user="ada", unitIds=["north", "south"]))
    seen_by_sue = body_of(_progress(context, everyone, user="sue"))
    assert [a["agentId"] for a in seen_by_sue["agents"]] == ["ben", "cy"]
    northern = _created_id(_create(context, agentIds=["ana"]))
    assert _error(_progress(context, northern, user="sue"), 403)["rule"] == "not_supervised"
    assert [a["agentId"] for a in body_of(_progress(context, northern, user="ada"))["agents"]] == ["ana"]


def test_progress_per_agent_and_the_list_of_what_i_created(acme: Organization, context: Any) -> None:
    first = _created_id(_create(context, agentIds=["cy"], type="evaluation"))
    second = _created_id(_create(context, agentIds=["cy"], dueAt=_in_a_week()))
    body = body_of(_agent_progress(context, "cy"))
    assert [a["assignmentId"] for a in body["assignments"]] == [second, first]
    assert body["counts"]["total"] == 2
    only = body_of(_agent_progress(context, "cy", type="evaluation"))
    assert [a["assignmentId"] for a in only["assignments"]] == [first]
    created = body_of(_call(context, "GET", "/assignments", user="sam"))
    assert [a["assignmentId"] for a in created["assignments"]] == [second, first]
    page_one = body_of(_call(context, "GET", "/assignments", user="sam", query={"limit": "1"}))
    cursor = page_one["nextCursor"]
    page_two = body_of(_call(context, "GET", "/assignments", user="sam", query={"limit": "1", "cursor": cursor}))
    assert [a["assignmentId"] for a in page_one["assignments"] + page_two["assignments"]] == [second, first]
    assert body_of(_call(context, "GET", "/assignments", user="sue"))["assignments"] == []


@pytest.mark.parametrize(
    ("user", "agent", "status", "rule"),
    [
        ("sam", "ben", 403, "agent_not_supervised"),
        ("sam", "zed", 404, "unknown_agent"),
        ("sam", "sue", 422, "not_an_agent"),
        ("ana", "ana", 403, "missing_permission"),
    ],
)
def test_progress_per_agent_refusals(
    acme: Organization, context: Any, *, user: str, agent: str, status: int, rule: str
) -> None:
    assert _error(_agent_progress(context, agent, user=user), status)["rule"] == rule
