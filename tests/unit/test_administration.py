"""The rules of configuring an organization, without AWS: every command's effect and every refusal, the
rules every configuration keeps, the policy loader's refusals by rule, people's checks and the audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.access import BUILT_IN_ROLES, Permission
from contactcenter.administration import (
    AddGroup,
    AddQueue,
    AddReason,
    AddUnit,
    IdentityKind,
    PersonChanges,
    PersonDraft,
    PersonRecord,
    PutRole,
    ReasonKind,
    RemoveGroup,
    RemoveQueue,
    RemoveReason,
    RemoveRole,
    RemoveUnit,
    RenameGroup,
    RenameUnit,
    ReplacePolicy,
    SetAttendance,
    SetRouting,
    UpdateOrganization,
    UpdateQueue,
    UpdateReason,
    Usage,
    change,
    check_person,
    check_retire,
    check_settings,
    check_update,
    is_agent,
    load_policy,
    new_organization,
    person_audit,
    person_view,
    roles_view,
    settings_audit,
    settings_view,
)
from contactcenter.errors import Conflict, DomainError, Invalid, NotFound
from contactcenter.organization import (
    Channel,
    OrganizationSettings,
    Queue,
    QueueKind,
    Reason,
    Unit,
    UserGroup,
    WrapUpMode,
)
from contactcenter.people import Person
from contactcenter.statuses import Platform, Status
from contactcenter.transitions import DEFAULT_POLICY, STRICT_POLICY

AT = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def _settings(**overrides: Any) -> OrganizationSettings:
    values: dict[str, Any] = {
        "organization_id": "acme",
        "name": "Acme",
        "time_zone": "Europe/Rome",
        "version": 3,
        "units": (Unit(unit_id="north", name="North"), Unit(unit_id="south", name="South")),
        "queues": (Queue(queue_id="line", name="Line"), Queue(queue_id="chat", name="Chat", kind=QueueKind.CHAT)),
        "user_groups": (UserGroup(group_id="agents", name="Agents"), UserGroup(group_id="office", name="Office")),
    }
    return OrganizationSettings(**(values | overrides))


def _person(user_id: str = "ana", **overrides: Any) -> Person:
    values: dict[str, Any] = {
        "organization_id": "acme",
        "user_id": user_id,
        "display_name": user_id.title(),
        "roles": frozenset({"AGENT"}),
        "units": ("north",),
        "groups": ("agents",),
        "queues": ("line",),
    }
    return Person(**(values | overrides))


@contextmanager
def _refused(error: type[DomainError], rule: str, field: str | None = None) -> Iterator[None]:
    """The block raises `error` naming `rule` (and `field`, when given)."""
    with pytest.raises(error) as caught:
        yield
    assert caught.value.rule == rule, caught.value.body()
    if field is not None:
        assert caught.value.field == field, caught.value.body()


# --- every change: one version on, validated, reasons remembered ---------------------------------


def test_a_change_moves_the_version_on_by_one_and_leaves_the_original_alone() -> None:
    before = _settings()
    after = change(before, AddUnit(Unit(unit_id="east", name="East")))
    assert after.version == before.version + 1
    assert [u.unit_id for u in before.units] == ["north", "south"]
    assert [u.unit_id for u in after.units] == ["north", "south", "east"]


def test_a_value_out_of_range_is_refused_naming_the_field() -> None:
    with _refused(Invalid, "invalid", "wrapUpSeconds"):
        change(_settings(), SetRouting(wrap_up_seconds=99_999))


def test_active_reasons_are_remembered_as_ever_active() -> None:
    after = change(_settings(), AddUnit(Unit(unit_id="east", name="East")))
    assert "unavailable:BREAK" in after.reasons_ever_active
    assert "clock-out:SICK" in after.reasons_ever_active


# --- organization --------------------------------------------------------------------------------


def test_the_organization_is_renamed_and_moved_to_another_time_zone() -> None:
    after = change(_settings(), UpdateOrganization(name="Acme Ltd", time_zone="America/New_York"))
    assert (after.name, after.time_zone) == ("Acme Ltd", "America/New_York")


def test_fields_left_out_stay() -> None:
    after = change(_settings(), UpdateOrganization(name="Acme Ltd"))
    assert after.time_zone == "Europe/Rome"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with _refused(Invalid, "unknown_time_zone", "timeZone"):
        change(_settings(), UpdateOrganization(time_zone=zone))


def test_a_new_organization_starts_from_the_defaults() -> None:
    settings = new_organization("zeta", name="Zeta", time_zone="Asia/Tokyo")
    assert settings.policy == DEFAULT_POLICY
    check_settings(settings)
    with _refused(Invalid, "unknown_time_zone", "timeZone"):
        new_organization("zeta", name="Zeta", time_zone="Nowhere/Land")


# --- units ---------------------------------------------------------------------------------------


def test_units_are_added_renamed_and_deleted() -> None:
    settings = change(_settings(), AddUnit(Unit(unit_id="east", name="East")))
    settings = change(settings, RenameUnit("east", "East coast"))
    assert Unit(unit_id="east", name="East coast") in settings.units
    settings = change(settings, RemoveUnit("east"), Usage(people=(_person(),)))
    assert settings.unit_ids() == {"north", "south"}


def test_a_unit_id_is_unique() -> None:
    with _refused(Conflict, "unit_exists", "unitId"):
        change(_settings(), AddUnit(Unit(unit_id="north", name="Again")))


@pytest.mark.parametrize("command", [RenameUnit("east", "East"), RemoveUnit("east")])
def test_an_unknown_unit_is_not_found(command: Any) -> None:
    with _refused(NotFound, "unknown_unit", "unitId"):
        change(_settings(), command)


@pytest.mark.parametrize(
    "person",
    [
        _person(units=("north",)),
        _person("sam", roles=frozenset({"SUPERVISOR"}), units=(), supervised_units=frozenset({"north"})),
    ],
)
def test_a_unit_with_agents_or_supervisors_cannot_be_deleted(person: Person) -> None:
    with _refused(Conflict, "unit_in_use", "unitId"):
        change(_settings(), RemoveUnit("north"), Usage(people=(person,)))


# --- user groups and attendance ------------------------------------------------------------------


def test_groups_are_added_renamed_and_deleted() -> None:
    settings = change(_settings(), AddGroup(UserGroup(group_id="night", name="Night")))
    settings = change(settings, RenameGroup("night", "Night shift"))
    assert UserGroup(group_id="night", name="Night shift") in settings.user_groups
    settings = change(settings, RemoveGroup("night"))
    assert "night" not in {g.group_id for g in settings.user_groups}


def test_group_refusals() -> None:
    with _refused(Conflict, "group_exists", "groupId"):
        change(_settings(), AddGroup(UserGroup(group_id="agents", name="Again")))
    with _refused(NotFound, "unknown_group", "groupId"):
        change(_settings(), RenameGroup("night", "Night"))
    with _refused(Conflict, "group_tracked", "groupId"):
        change(_settings(), RemoveGroup("agents"))
    with _refused(Conflict, "group_in_use", "groupId"):
        change(_settings(), RemoveGroup("office"), Usage(people=(_person(groups=("office",)),)))


def test_attendance_tracking_is_configured() -> None:
    after = change(
        _settings(),
        SetAttendance(
            tracking_enabled=False,
            tracked_groups=frozenset({"agents", "office"}),
            clock_in_platforms=frozenset({Platform.WEB}),
            clock_out_while_active=True,
        ),
    )
    assert not after.tracking_enabled
    assert after.tracked_groups == {"agents", "office"}
    assert after.clock_in_platforms == {Platform.WEB}
    assert after.clock_out_while_active


def test_only_known_groups_are_tracked_and_some_platform_is_allowed() -> None:
    with _refused(Invalid, "unknown_group", "trackedGroups"):
        change(_settings(), SetAttendance(tracked_groups=frozenset({"ghosts"})))
    with _refused(Invalid, "platform_required", "clockInPlatforms"):
        change(_settings(), SetAttendance(clock_in_platforms=frozenset()))


# --- reasons -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ReasonKind))
def test_reasons_are_added_relabelled_retired_and_reactivated(kind: ReasonKind) -> None:
    settings = change(_settings(), AddReason(kind, Reason(code="TRAINING", label="Training")))
    settings = change(settings, UpdateReason(kind, "TRAINING", label="Training day", needs_description=True))
    settings = change(settings, UpdateReason(kind, "TRAINING", active=False))
    reasons = settings.unavailable_reasons if kind is ReasonKind.UNAVAILABLE else settings.clock_out_reasons
    assert Reason(code="TRAINING", label="Training day", active=False, needs_description=True) in reasons
    assert _choosable(settings, kind, "TRAINING") is None  # retired: no longer chosen
    settings = change(settings, UpdateReason(kind, "TRAINING", active=True))
    assert _choosable(settings, kind, "TRAINING") == Reason(
        code="TRAINING", label="Training day", needs_description=True
    )


def _choosable(settings: OrganizationSettings, kind: ReasonKind, code: str) -> Reason | None:
    return settings.unavailable_reason(code) if kind is ReasonKind.UNAVAILABLE else settings.clock_out_reason(code)


@pytest.mark.parametrize("kind", list(ReasonKind))
def test_a_reason_ever_active_can_be_retired_but_not_deleted(kind: ReasonKind) -> None:
    settings = change(_settings(), AddReason(kind, Reason(code="TRAINING", label="Training")))
    settings = change(settings, UpdateReason(kind, "TRAINING", active=False))
    with _refused(Conflict, "reason_in_use", "code"):
        change(settings, RemoveReason(kind, "TRAINING"))


def test_the_default_reasons_are_in_use_from_the_start() -> None:
    with _refused(Conflict, "reason_in_use", "code"):
        change(_settings(), RemoveReason(ReasonKind.UNAVAILABLE, "MEETING"))


def test_a_reason_never_active_can_be_deleted() -> None:
    draft = Reason(code="DRAFT", label="Draft", active=False)
    settings = change(_settings(), AddReason(ReasonKind.UNAVAILABLE, draft))
    settings = change(settings, UpdateReason(ReasonKind.UNAVAILABLE, "DRAFT", label="Still a draft"))
    settings = change(settings, RemoveReason(ReasonKind.UNAVAILABLE, "DRAFT"))
    assert "DRAFT" not in {r.code for r in settings.unavailable_reasons}


def test_reason_refusals() -> None:
    with _refused(Conflict, "reason_exists", "code"):
        change(_settings(), AddReason(ReasonKind.UNAVAILABLE, Reason(code="BREAK", label="Again")))
    with _refused(NotFound, "unknown_reason", "code"):
        change(_settings(), UpdateReason(ReasonKind.CLOCK_OUT, "BREAK", active=False))
    with _refused(NotFound, "unknown_reason", "code"):
        change(_settings(), RemoveReason(ReasonKind.CLOCK_OUT, "NOPE"))


def test_break_stays_active_while_a_rejected_offer_pauses_the_agent() -> None:
    with _refused(Invalid, "break_reason_required", "breakOnReject"):
        change(_settings(), UpdateReason(ReasonKind.UNAVAILABLE, "BREAK", active=False))
    settings = change(_settings(), SetRouting(break_on_reject=False))
    settings = change(settings, UpdateReason(ReasonKind.UNAVAILABLE, "BREAK", active=False))
    with _refused(Invalid, "break_reason_required", "breakOnReject"):
        change(settings, SetRouting(break_on_reject=True))


def test_the_last_active_clock_out_reason_cannot_be_retired() -> None:
    settings = change(_settings(), UpdateReason(ReasonKind.CLOCK_OUT, "SICK", active=False))
    settings = change(settings, UpdateReason(ReasonKind.CLOCK_OUT, "OTHER", active=False))
    with _refused(Invalid, "reason_required", "reasons"):
        change(settings, UpdateReason(ReasonKind.CLOCK_OUT, "END_OF_SHIFT", active=False))


# --- queues and routing --------------------------------------------------------------------------


def test_queues_are_added_changed_and_deleted() -> None:
    campaign = Queue(queue_id="winback", name="Win-back", kind=QueueKind.CAMPAIGN, wrap_up_seconds=45)
    settings = change(_settings(), AddQueue(campaign))
    settings = change(settings, UpdateQueue("winback", {"name": "Win back", "wrap_up_mode": WrapUpMode.TIMEBOXED}))
    assert settings.wrap_up_for("winback") == (45, WrapUpMode.TIMEBOXED)
    settings = change(settings, UpdateQueue("winback", {"wrap_up_seconds": None}))
    assert settings.wrap_up_for("winback") == (settings.wrap_up_seconds, WrapUpMode.TIMEBOXED)
    settings = change(settings, UpdateQueue("winback", {"kind": QueueKind.CHAT}))
    assert (settings.queue("winback") or campaign).channel is Channel.CHAT
    settings = change(settings, RemoveQueue("winback"), Usage(people=(_person(),)))
    assert settings.queue("winback") is None


def test_queue_refusals() -> None:
    with _refused(Conflict, "queue_exists", "queueId"):
        change(_settings(), AddQueue(Queue(queue_id="line", name="Again")))
    with _refused(NotFound, "unknown_queue", "queueId"):
        change(_settings(), UpdateQueue("nope", {"name": "x"}))
    with _refused(NotFound, "unknown_queue", "queueId"):
        change(_settings(), RemoveQueue("nope"))
    with _refused(Invalid, "invalid", "wrapUpSeconds"):
        change(_settings(), UpdateQueue("line", {"wrap_up_seconds": -1}))
    with _refused(Conflict, "queue_in_use", "queueId"):
        change(_settings(), RemoveQueue("line"), Usage(people=(_person(queues=("line",)),)))
    with _refused(Conflict, "queue_in_use", "queueId"):
        change(_settings(), RemoveQueue("chat"), Usage(logged_in_queues=frozenset({"chat"})))


def test_routing_settings_change_and_concurrency_merges_per_channel() -> None:
    after = change(
        _settings(),
        SetRouting(
            wrap_up_seconds=0,
            wrap_up_mode=WrapUpMode.TIMEBOXED,
            break_on_reject=False,
            console_idle_timeout_seconds=900,
            restrict_unassigned_queues=True,
            concurrency={Channel.CHAT: 5},
        ),
    )
    assert (after.wrap_up_seconds, after.wrap_up_mode, after.break_on_reject) == (0, WrapUpMode.TIMEBOXED, False)
    assert after.console_idle_timeout_seconds == 900
    assert after.restrict_unassigned_queues
    assert after.concurrency == {Channel.VOICE: 1, Channel.CHAT: 5, Channel.CASE: 5}


def test_an_idle_timeout_out_of_range_is_refused() -> None:
    with _refused(Invalid, "invalid", "consoleIdleTimeoutSeconds"):
        change(_settings(), SetRouting(console_idle_timeout_seconds=5))


# --- roles ---------------------------------------------------------------------------------------

MY_COACHING = frozenset({Permission.ENGAGE, Permission.ENGAGE_COACHING})


def test_custom_roles_are_defined_replaced_and_deleted() -> None:
    settings = change(_settings(), PutRole("COACHEE", MY_COACHING))
    assert settings.custom_roles == {"COACHEE": MY_COACHING}
    settings = change(settings, PutRole("COACHEE", MY_COACHING | {Permission.ENGAGE_ELEARNING}))
    assert Permission.ENGAGE_ELEARNING in settings.custom_roles["COACHEE"]
    settings = change(settings, RemoveRole("COACHEE"), Usage(people=(_person(),)))
    assert settings.custom_roles == {}


@pytest.mark.parametrize("name", sorted(BUILT_IN_ROLES))
def test_a_built_in_role_cannot_be_redefined(name: str) -> None:
    with _refused(Invalid, "built_in_role", "role"):
        change(_settings(), PutRole(name, MY_COACHING))


@pytest.mark.parametrize(
    "part", [Permission.ENGAGE_EVALUATIONS, Permission.ENGAGE_COACHING, Permission.ENGAGE_ELEARNING]
)
def test_my_engage_parts_need_my_engage(part: Permission) -> None:
    with _refused(Invalid, "engage_required", "permissions"):
        change(_settings(), PutRole("COACHEE", frozenset({part})))


def test_role_refusals() -> None:
    with _refused(Invalid, "permission_required", "permissions"):
        change(_settings(), PutRole("EMPTY", frozenset()))
    with _refused(NotFound, "unknown_role", "role"):
        change(_settings(), RemoveRole("GHOST"))
    settings = change(_settings(), PutRole("COACHEE", MY_COACHING))
    with _refused(Conflict, "role_in_use", "role"):
        change(settings, RemoveRole("COACHEE"), Usage(people=(_person(roles=frozenset({"AGENT", "COACHEE"})),)))


def test_the_roles_view_lists_built_in_and_custom_roles_and_every_permission() -> None:
    view = roles_view(change(_settings(), PutRole("COACHEE", MY_COACHING)))
    assert {r["name"] for r in view["builtIn"]} == set(BUILT_IN_ROLES)
    assert view["custom"] == [{"name": "COACHEE", "permissions": ["engage", "engage.coaching"]}]
    # Every permission an organization may grant: platform.operate is the platform operators' alone.
    assert set(view["permissions"]) == {p.value for p in Permission} - {Permission.PLATFORM.value}


# --- the transition policy -----------------------------------------------------------------------

VALID = {
    "AWAY": ["AVAILABLE"],
    "AVAILABLE": ["UNAVAILABLE", "OFFLINE_WORK", "AWAY"],
    "UNAVAILABLE": ["AVAILABLE", "AWAY"],
    "OFFLINE_WORK": ["AVAILABLE", "AWAY"],
    "ACTIVE": ["AWAY"],
    "WRAP_UP": ["AWAY"],
}


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY])
def test_a_built_in_policy_is_chosen_by_name(policy: Any) -> None:
    after = change(_settings(), ReplacePolicy(policy.name))
    assert after.policy == policy


def test_a_custom_policy_replaces_the_default() -> None:
    after = change(_settings(), ReplacePolicy("ours", VALID))
    assert after.policy.name == "ours"
    assert not after.policy.allows(Status.UNAVAILABLE, Status.OFFLINE_WORK)


@pytest.mark.parametrize(
    ("manual", "rule"),
    [
        pytest.param(VALID | {"UNAVAILABLE": ["OFFLINE_WORK"], "OFFLINE_WORK": ["UNAVAILABLE"]}, "no_way_back_to_away"),
        pytest.param(VALID | {"AVAILABLE": ["ACTIVE", "AWAY"]}, "manual_into_automatic"),
        pytest.param(VALID | {"OFFLINE_WORK": ["WRAP_UP", "AWAY"]}, "manual_into_automatic"),
        pytest.param(VALID | {"AWAY": []}, "clock_in_required"),
        pytest.param(VALID | {"LUNCH": ["AWAY"]}, "unknown_status"),
        pytest.param(VALID | {"AVAILABLE": ["LUNCH", "AWAY"]}, "unknown_status"),
    ],
)
def test_a_refused_policy_names_its_rule_and_the_field_policy(manual: dict[str, list[str]], rule: str) -> None:
    with _refused(Invalid, rule, "policy"):
        change(_settings(), ReplacePolicy("ours", manual))


def test_an_unknown_built_in_policy_and_a_custom_one_named_like_a_built_in_are_refused() -> None:
    with _refused(Invalid, "unknown_policy", "policy"):
        load_policy("lenient")
    with _refused(Invalid, "built_in_policy", "policy.name"):
        load_policy("strict", VALID)


STATUS_NAMES = [s.value for s in Status] + ["LUNCH"]


@given(st.dictionaries(st.sampled_from(STATUS_NAMES), st.lists(st.sampled_from(STATUS_NAMES), max_size=7), max_size=7))
def test_any_policy_table_loads_or_is_refused_naming_a_rule(manual: dict[str, list[str]]) -> None:
    try:
        policy = load_policy("any", manual)
    except Invalid as error:
        assert error.field == "policy"
        assert error.rule in {"no_way_back_to_away", "manual_into_automatic", "clock_in_required", "unknown_status"}
    else:
        assert policy.allows(Status.AWAY, Status.AVAILABLE)


# --- people --------------------------------------------------------------------------------------


def test_a_well_formed_agent_supervisor_and_finance_user_pass() -> None:
    settings = _settings()
    check_person(_person(), settings)
    check_person(_person("sam", roles=frozenset({"SUPERVISOR"}), units=(), queues=(), groups=()), settings)
    check_person(_person("fay", roles=frozenset({"FINANCE"}), units=(), queues=(), groups=()), settings)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"roles": frozenset({"WIZARD"})}, "roles", "unknown_role"),
        ({"roles": frozenset()}, "roles", "role_required"),
        ({"units": ("east",)}, "units", "unknown_unit"),
        ({"supervised_units": frozenset({"east"})}, "supervisedUnits", "unknown_unit"),
        ({"groups": ("ghosts",)}, "groups", "unknown_group"),
        ({"queues": ("nope",)}, "queues", "unknown_queue"),
        ({"supervised_units": frozenset({"north"})}, "supervisedUnits", "not_a_supervisor"),
        ({"units": ()}, "units", "unit_required"),
    ],
)
def test_person_refusals(overrides: dict[str, Any], field: str, rule: str) -> None:
    with _refused(Invalid, rule, field):
        check_person(_person(**overrides), _settings())


def test_a_custom_role_decides_by_its_permissions() -> None:
    settings = change(_settings(), PutRole("HELPDESK", frozenset({Permission.ATTENDANCE_SELF})))
    helper = _person(roles=frozenset({"HELPDESK"}))
    check_person(helper, settings)
    assert is_agent(helper, settings)
    assert not is_agent(_person(roles=frozenset({"SUPERVISOR"})), settings)


def test_changes_apply_only_what_was_sent() -> None:
    before = _person(queues=("line",))
    after = PersonChanges(queues=("line", "chat", "line"), display_name="Ana B.").apply(before)
    assert after.queues == ("line", "chat")
    assert after.display_name == "Ana B."
    assert (after.units, after.roles) == (before.units, before.roles)


def test_a_draft_becomes_a_person_under_the_subject_the_directory_gave() -> None:
    draft = PersonDraft(display_name="Zoe", email="zoe@example.com", roles=frozenset({"AGENT"}), units=("north",))
    assert draft.person("acme", "sub-1").user_id == "sub-1"


def test_update_refusals() -> None:
    settings = _settings()
    admin = PersonRecord(person=_person("ada", roles=frozenset({"ADMIN"}), units=(), queues=(), groups=()))
    with _refused(Invalid, "own_account", "roles"):
        check_update(admin, admin.person.model_copy(update={"roles": frozenset({"FINANCE"})}), settings, actor_id="ada")
    check_update(admin, admin.person.model_copy(update={"display_name": "Ada L."}), settings, actor_id="ada")
    retired = PersonRecord(person=_person(), retired=True)
    with _refused(Conflict, "retired", "userId"):
        check_update(retired, retired.person, settings, actor_id="ada")


def test_retire_refusals() -> None:
    ana = PersonRecord(person=_person())
    check_retire(ana, actor_id="ada", clocked_in=False)
    with _refused(Conflict, "agent_clocked_in", "userId"):
        check_retire(ana, actor_id="ada", clocked_in=True)
    with _refused(Invalid, "own_account", "userId"):
        check_retire(ana, actor_id="ana", clocked_in=False)
    with _refused(Conflict, "retired", "userId"):
        check_retire(PersonRecord(person=_person(), retired=True), actor_id="ada", clocked_in=False)


# --- audit and views -----------------------------------------------------------------------------


def test_a_settings_audit_holds_only_what_changed() -> None:
    before = _settings()
    after = change(before, RenameUnit("north", "North side"))
    entry = settings_audit(before, after, action="unit.update", actor_id="ada", at=AT)
    assert (entry.target, entry.version, entry.actor_id, entry.at) == ("settings", 4, "ada", AT)
    assert entry.before == {"units": [{"unitId": "north", "name": "North"}, {"unitId": "south", "name": "South"}]}
    assert entry.after == {"units": [{"unitId": "north", "name": "North side"}, {"unitId": "south", "name": "South"}]}


def test_a_created_organization_is_audited_whole() -> None:
    settings = _settings()
    entry = settings_audit(None, settings, action="organization.create", actor_id="ada", at=AT)
    assert entry.before is None
    assert entry.after is not None and set(entry.after) == set(settings_view(settings)) - {"version"}


def test_a_person_audit_holds_both_views() -> None:
    before = PersonRecord(person=_person(), version=1, email="ana@example.com")
    after = PersonRecord(person=_person(units=("south",)), version=2, email="ana@example.com")
    entry = person_audit(before, after, action="person.update", actor_id="ada", at=AT)
    assert entry.target == "person/ana"
    assert entry.before == person_view(before)
    assert entry.after is not None and entry.after["units"] == ["south"]


def test_views_speak_the_api_names() -> None:
    view = settings_view(_settings())
    assert view["routing"]["concurrency"] == {"voice": 1, "chat": 3, "case": 5}
    assert view["reasons"]["unavailable"][0] == {
        "code": "BREAK",
        "label": "On a break",
        "active": True,
        "needsDescription": False,
        "inUse": True,
    }
    assert view["policy"]["builtIn"] is True
    client = person_view(
        PersonRecord(person=_person("c1", roles=frozenset({"INTEGRATION"}), units=()), kind=IdentityKind.CLIENT)
    )
    assert client["kind"] == "client"
