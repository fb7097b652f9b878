"""Seed 000 (Engage) rules: Save with and without a confirmation statement, Close, comments, who sees
which type; plus creation checks, targets, filters, pages and counts. Pure: no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter import assignments as rules
from contactcenter.access import BUILT_IN_ROLES, Permission, Role, permissions_for
from contactcenter.assignments import AgentAssignment, AssignmentState, AssignmentType
from contactcenter.errors import Conflict, Forbidden, Invalid
from contactcenter.people import Person

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ALL = frozenset(AssignmentType)
P = Permission


def _assignment(**overrides: object) -> rules.Assignment:
    values: dict[str, object] = {
        "organization_id": "acme",
        "assignment_id": "20260302093000000-0a0b0c0d",
        "type": AssignmentType.COACHING,
        "title": "Call review",
        "instructions": "Listen to the call and confirm you understood the feedback.",
        "content_link": None,
        "confirmation_statement": None,
        "comments_allowed": False,
        "due_at": None,
        "created_by": "sam",
        "now": NOW,
    }
    values |= overrides
    return rules.new_assignment(**values)  # type: ignore[arg-type]


def _person(user_id: str, units: tuple[str, ...] = (), supervised: frozenset[str] = frozenset()) -> Person:
    return Person(
        organization_id="acme",
        user_id=user_id,
        display_name=user_id.title(),
        roles=frozenset({"AGENT"} if units else {"SUPERVISOR"}),
        units=units,
        supervised_units=supervised,
    )


ANA = _person("ana", ("north",))


def _copy(*, statement: str | None = None, comments_allowed: bool = False, **overrides: object) -> AgentAssignment:
    copy = rules.copy_for(_assignment(confirmation_statement=statement, comments_allowed=comments_allowed), ANA)
    return replace(copy, **overrides)  # type: ignore[arg-type]


def _save(
    copy: AgentAssignment, *, confirmed: bool = False, comments: str | None = None, **kw: object
) -> AgentAssignment:
    options: dict[str, object] = {"expected_version": copy.version, "visible": ALL, "now": NOW}
    options |= kw
    return rules.save(copy, confirmed=confirmed, comments=comments, **options)  # type: ignore[arg-type]


# --- Save vs Close (seed 000) --------------------------------------------------------------------


def test_save_with_confirmation_statement_unchecked_is_started() -> None:
    saved = _save(_copy(statement="I have read the feedback."), confirmed=False)
    assert saved.state is AssignmentState.STARTED
    assert saved.confirmed is False


def test_save_with_confirmation_statement_checked_is_completed() -> None:
    saved = _save(_copy(statement="I have read the feedback."), confirmed=True)
    assert saved.state is AssignmentState.COMPLETED
    assert saved.confirmed is True


@pytest.mark.parametrize("confirmed", [False, True])
def test_save_without_confirmation_statement_is_completed(confirmed: bool) -> None:
    assert _save(_copy(statement=None), confirmed=confirmed).state is AssignmentState.COMPLETED


def test_save_outcomes_table_is_complete_and_only_unchecked_statement_stays_open() -> None:
    assert set(rules.SAVE_OUTCOMES) == {(s, c) for s in (True, False) for c in (True, False)}
    open_outcomes = [key for key, state in rules.SAVE_OUTCOMES.items() if state is not AssignmentState.COMPLETED]
    assert open_outcomes == [(True, False)]


def test_work_is_saved_over_several_days_until_the_checkbox_is_checked() -> None:
    copy = _copy(statement="Done.", comments_allowed=True)
    day_one = _save(copy, comments="first notes")
    day_two = _save(day_one, comments="first notes, more notes", now=NOW + timedelta(days=1))
    assert (day_one.state, day_two.state) == (AssignmentState.STARTED, AssignmentState.STARTED)
    assert day_two.version == copy.version + 2
    assert day_two.saved_at == NOW + timedelta(days=1)
    done = _save(day_two, confirmed=True, now=NOW + timedelta(days=2))
    assert done.state is AssignmentState.COMPLETED
    assert done.comments == "first notes, more notes"


def test_close_without_changes_leaves_the_assignment_exactly_as_it_was() -> None:
    for copy in (_copy(), _save(_copy(statement="s")), _save(_copy())):
        assert rules.close(copy, visible=ALL) == copy


def test_completed_assignment_is_read_only() -> None:
    done = _save(_copy())
    with pytest.raises(Conflict) as refused:
        _save(done, confirmed=True)
    assert refused.value.rule == "completed_read_only"


def test_stale_version_is_a_conflict_never_a_silent_overwrite() -> None:
    copy = _copy(statement="s", comments_allowed=True)
    first_device = _save(copy, comments="from the phone")
    with pytest.raises(Conflict) as refused:
        _save(first_device, comments="from the laptop", expected_version=copy.version)
    assert (refused.value.rule, refused.value.field) == ("stale_version", "version")


# --- comments ------------------------------------------------------------------------------------


def test_comments_allowed_are_stored_and_none_keeps_them_and_empty_clears_them() -> None:
    copy = _copy(statement="s", comments_allowed=True)
    with_comments = _save(copy, comments="my notes")
    assert with_comments.comments == "my notes"
    assert _save(with_comments, comments=None).comments == "my notes"
    assert _save(with_comments, comments="").comments is None


def test_comments_not_allowed_are_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as refused:
        _save(_copy(statement="s", comments_allowed=False), comments="a note")
    assert (refused.value.field, refused.value.rule) == ("comments", "comments_not_allowed")
    assert _save(_copy(statement="s"), comments="").comments is None  # nothing to refuse


def test_oversize_comments_are_refused() -> None:
    with pytest.raises(Invalid) as refused:
        rules.check_comments("x" * (rules.COMMENTS_MAX + 1))
    assert (refused.value.field, refused.value.rule) == ("comments", "too_long")
    rules.check_comments("x" * rules.COMMENTS_MAX)


# --- permissions per type and per custom role ----------------------------------------------------


@pytest.mark.parametrize(
    ("permissions", "visible"),
    [
        (set(), set()),
        ({P.ENGAGE}, set()),
        ({P.ENGAGE_EVALUATIONS, P.ENGAGE_COACHING, P.ENGAGE_ELEARNING}, set()),  # no My Engage: nothing
        ({P.ENGAGE, P.ENGAGE_EVALUATIONS}, {AssignmentType.EVALUATION}),
        ({P.ENGAGE, P.ENGAGE_COACHING}, {AssignmentType.COACHING}),
        ({P.ENGAGE, P.ENGAGE_ELEARNING}, {AssignmentType.ELEARNING}),
        ({P.ENGAGE, P.ENGAGE_COACHING, P.ENGAGE_ELEARNING}, {AssignmentType.COACHING, AssignmentType.ELEARNING}),
    ],
)
def test_permissions_per_type(permissions: set[Permission], visible: set[AssignmentType]) -> None:
    assert rules.visible_types(permissions) == visible


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.UNIT_MANAGER, Role.AGENT])
def test_default_roles_see_every_type(role: Role) -> None:
    assert rules.visible_types(BUILT_IN_ROLES[role]) == ALL


@pytest.mark.parametrize("role", [Role.FINANCE, Role.INTEGRATION])
def test_roles_without_my_engage_see_none(role: Role) -> None:
    assert rules.visible_types(BUILT_IN_ROLES[role]) == frozenset()


def test_custom_roles_combine_their_permissions() -> None:
    custom = {
        "COACHEE": frozenset({P.ENGAGE, P.ENGAGE_COACHING}),
        "LEARNER": frozenset({P.ENGAGE, P.ENGAGE_ELEARNING}),
        "ELEARNING_ONLY_NO_ENGAGE": frozenset({P.ENGAGE_ELEARNING}),
    }
    assert rules.visible_types(permissions_for({"COACHEE"}, custom)) == {AssignmentType.COACHING}
    assert rules.visible_types(permissions_for({"COACHEE", "LEARNER"}, custom)) == {
        AssignmentType.COACHING,
        AssignmentType.ELEARNING,
    }
    assert rules.visible_types(permissions_for({"ELEARNING_ONLY_NO_ENGAGE"}, custom)) == frozenset()
    assert rules.visible_types(permissions_for({"ELEARNING_ONLY_NO_ENGAGE", "COACHEE"}, custom)) == {
        AssignmentType.COACHING,
        AssignmentType.ELEARNING,
    }


@given(st.sets(st.sampled_from(list(Permission))))
def test_a_type_is_visible_exactly_with_my_engage_and_its_own_permission(granted: set[Permission]) -> None:
    visible = rules.visible_types(granted)
    for kind, needed in rules.TYPE_PERMISSIONS.items():
        assert (kind in visible) == (P.ENGAGE in granted and needed in granted)


def test_asking_for_a_type_you_may_not_see_is_forbidden_not_empty() -> None:
    visible = rules.visible_types({P.ENGAGE, P.ENGAGE_COACHING})
    with pytest.raises(Forbidden) as refused:
        rules.selection(visible, type=AssignmentType.EVALUATION)
    assert (refused.value.field, refused.value.rule) == ("type", "type_not_permitted")
    assert rules.selection(visible, type=AssignmentType.COACHING).types == {AssignmentType.COACHING}
    assert rules.selection(visible).types == visible


def test_save_and_close_of_a_type_you_may_not_see_are_forbidden() -> None:
    coaching = _copy()
    visible = frozenset({AssignmentType.EVALUATION})
    with pytest.raises(Forbidden):
        _save(coaching, visible=visible)
    with pytest.raises(Forbidden):
        rules.close(coaching, visible=visible)
    with pytest.raises(Forbidden):
        rules.require_any_visible(frozenset())


# --- creating ------------------------------------------------------------------------------------


def test_a_new_assignment_keeps_what_the_creator_wrote() -> None:
    due = NOW + timedelta(days=7)
    assignment = _assignment(
        content_link="https://learn.example.com/course/42",
        confirmation_statement="I completed the course.",
        comments_allowed=True,
        due_at=due,
    )
    assert assignment.has_confirmation
    assert (assignment.due_at, assignment.created_at, assignment.created_by) == (due, NOW, "sam")
    copy = rules.copy_for(assignment, ANA)
    assert (copy.state, copy.version, copy.unit_ids, copy.has_confirmation) == (
        AssignmentState.NEW,
        1,
        ("north",),
        True,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"due_at": NOW - timedelta(seconds=1)}, "dueAt", "in_the_past"),
        ({"due_at": datetime(2030, 1, 1)}, "dueAt", "timezone_required"),
        ({"content_link": "http://learn.example.com/x"}, "contentLink", "https_required"),
        ({"content_link": "javascript:alert(1)"}, "contentLink", "https_required"),
        ({"content_link": "https://"}, "contentLink", "https_required"),
        ({"content_link": "https://a.example.com/" + "x" * rules.LINK_MAX}, "contentLink", "too_long"),
        ({"title": "   "}, "title", "required"),
        ({"title": "t" * (rules.TITLE_MAX + 1)}, "title", "too_long"),
        ({"instructions": ""}, "instructions", "required"),
        ({"instructions": "i" * (rules.INSTRUCTIONS_MAX + 1)}, "instructions", "too_long"),
        ({"confirmation_statement": "c" * (rules.CONFIRMATION_MAX + 1)}, "confirmationStatement", "too_long"),
    ],
)
def test_bad_assignment_is_refused_naming_the_field(overrides: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(Invalid) as refused:
        _assignment(**overrides)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_limits_are_inclusive_and_a_blank_statement_means_none() -> None:
    assignment = _assignment(
        title="t" * rules.TITLE_MAX,
        instructions="i" * rules.INSTRUCTIONS_MAX,
        confirmation_statement="  ",
        due_at=NOW,
    )
    assert assignment.confirmation_statement is None
    assert not assignment.has_confirmation


# --- whom a creator may assign to ----------------------------------------------------------------

SAM = _person("sam", supervised=frozenset({"north"}))
PEOPLE = [
    ANA,
    _person("ben", ("south",)),
    _person("cy", ("north", "south")),
    SAM,
]


def _targets(creator: Person | None = SAM, whole: bool = False, **kw: object) -> list[str]:
    options: dict[str, object] = {"agent_ids": (), "unit_ids": ()}
    options |= kw
    found = rules.resolve_targets(
        creator=creator,
        whole_organization=whole,
        people=PEOPLE,
        known_units=frozenset({"north", "south"}),
        **options,  # type: ignore[arg-type]
    )
    return [p.user_id for p in found]


def test_targets_one_several_and_a_unit_each_agent_once() -> None:
    assert _targets(agent_ids=("ana",)) == ["ana"]
    assert _targets(agent_ids=("cy", "ana", "ana")) == ["ana", "cy"]
    assert _targets(unit_ids=("north",)) == ["ana", "cy"]
    assert _targets(unit_ids=("north",), agent_ids=("cy",)) == ["ana", "cy"]


def test_administrators_reach_the_whole_organization() -> None:
    assert _targets(creator=None, whole=True, unit_ids=("north", "south")) == ["ana", "ben", "cy"]
    assert _targets(creator=None, whole=True, agent_ids=("ben",)) == ["ben"]


@pytest.mark.parametrize(
    ("kw", "error", "field", "rule"),
    [
        ({"agent_ids": ("zed",)}, Invalid, "agentIds", "unknown_agent"),
        ({"agent_ids": ("sam",)}, Invalid, "agentIds", "unknown_agent"),  # not an agent
        ({"agent_ids": ("bad id!",)}, Invalid, "agentIds", "unknown_agent"),
        ({"agent_ids": ("ben",)}, Forbidden, "agentIds", "agent_not_supervised"),
        ({"unit_ids": ("south",)}, Forbidden, "unitIds", "unit_not_supervised"),
        ({"unit_ids": ("west",)}, Invalid, "unitIds", "unknown_unit"),
        ({}, Invalid, "agentIds", "no_agents"),
    ],
)
def test_bad_targets_are_refused_naming_the_field(
    kw: dict[str, Any], error: type[Exception], field: str, rule: str
) -> None:
    with pytest.raises(error) as refused:
        _targets(**kw)
    assert (refused.value.field, refused.value.rule) == (field, rule)  # type: ignore[attr-defined]


def test_someone_without_a_person_record_supervises_nothing() -> None:
    with pytest.raises(Forbidden):
        _targets(creator=None, agent_ids=("ana",))


def test_progress_is_followed_by_creator_supervisors_of_the_agent_and_administrators() -> None:
    by_other = replace(_copy(), created_by="ada", unit_ids=("south",))
    sue = _person("sue", supervised=frozenset({"south"}))
    assert rules.may_follow(_copy(), viewer=SAM, whole_organization=False)
    assert rules.may_follow(by_other, viewer=sue, whole_organization=False)
    assert not rules.may_follow(by_other, viewer=SAM, whole_organization=False)
    assert rules.may_follow(by_other, viewer=None, whole_organization=True)
    assert not rules.may_follow(by_other, viewer=None, whole_organization=False)
    assert rules.may_follow_agent(PEOPLE[2], viewer=sue, whole_organization=False)
    assert not rules.may_follow_agent(ANA, viewer=sue, whole_organization=False)


# --- filters, pages, counts ----------------------------------------------------------------------


def _copies() -> list[AgentAssignment]:
    made = []
    kinds = [AssignmentType.EVALUATION, AssignmentType.COACHING, AssignmentType.ELEARNING]
    states = [AssignmentState.NEW, AssignmentState.STARTED, AssignmentState.COMPLETED]
    for index in range(9):
        created = NOW + timedelta(minutes=index)
        made.append(
            replace(
                _copy(),
                assignment_id=f"{created:%Y%m%d%H%M%S}000-{index:08x}",
                created_at=created,
                type=kinds[index % 3],
                state=states[index // 3],
                due_at=NOW + timedelta(hours=1) if index % 2 else NOW - timedelta(hours=1),
            )
        )
    return made


def test_counts_by_state_and_type_only_over_the_given_types() -> None:
    copies = _copies()
    every = rules.counts(copies, ALL, now=NOW)
    assert every["total"] == 9
    assert every["byState"] == {"NEW": 3, "STARTED": 3, "COMPLETED": 3}
    assert every["byType"]["coaching"] == {"NEW": 1, "STARTED": 1, "COMPLETED": 1}
    assert every["overdue"] == 3  # due an hour ago (even indexes) and not completed: 0, 2, 4 (6, 8 are done)
    coaching = rules.counts(copies, {AssignmentType.COACHING})
    assert coaching == {
        "total": 3,
        "byState": {"NEW": 1, "STARTED": 1, "COMPLETED": 1},
        "byType": {"coaching": {"NEW": 1, "STARTED": 1, "COMPLETED": 1}},
    }


def test_overdue_never_counts_a_completed_assignment() -> None:
    late = replace(_copy(), due_at=NOW - timedelta(days=1))
    assert late.overdue(NOW)
    assert not replace(late, state=AssignmentState.COMPLETED).overdue(NOW)
    assert not replace(late, due_at=None).overdue(NOW)


def test_filters_combine_type_state_and_overdue() -> None:
    copies = _copies()
    chosen = rules.selection(ALL, type=AssignmentType.EVALUATION, state=AssignmentState.NEW)
    assert [c.assignment_id[-1] for c in copies if chosen.matches(c, NOW)] == ["0"]
    late = rules.selection(ALL, overdue=True)
    assert sorted(int(c.assignment_id[-1]) for c in copies if late.matches(c, NOW)) == [0, 2, 4]


def test_pages_newest_first_with_a_cursor_until_the_end() -> None:
    ordered = rules.newest_first(_copies())
    seen: list[str] = []
    cursor = None
    while True:
        rows, cursor = rules.page(ordered, limit=4, cursor=cursor)
        seen += [r.assignment_id for r in rows]
        if cursor is None:
            break
    assert seen == [c.assignment_id for c in ordered]
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(("limit", "cursor", "field"), [(0, None, "limit"), (101, None, "limit"), (5, "x", "cursor")])
def test_bad_page_requests_are_refused(limit: int, cursor: str | None, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        rules.check_page(limit=limit, cursor=cursor)
    assert refused.value.field == field
