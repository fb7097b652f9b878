"""Organization administration: the organization, units, user groups and attendance tracking, reasons,
queues and routing, roles, the transition policy, people and integrations, and the audit trail.

Every write names the version it was read at in `If-Match` (a stale one gets 409) and is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.access import Permission
from contactcenter.administration import (
    AddGroup,
    AddQueue,
    AddReason,
    AddUnit,
    Command,
    PersonChanges,
    PersonDraft,
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
    ReplaceStatusRules,
    SetAdherence,
    SetAttendance,
    SetRouting,
    UpdateOrganization,
    UpdateQueue,
    UpdateReason,
    load_status_rules,
)
from contactcenter.edge.clock import utc_now
from contactcenter.edge.http import build_resolver, current_principal, serve
from contactcenter.organization import (
    WORK_ITEMS_PER_CHANNEL_MAX,
    Channel,
    Queue,
    QueueKind,
    Reason,
    Unit,
    UserGroup,
    WrapUpMode,
)
from contactcenter.people import EMPLOYEE_NUMBER
from contactcenter.services import administration, platform
from contactcenter.statuses import Platform

logger = Logger(service="admin")
app = build_resolver()

_ID = r"^[A-Za-z0-9_-]{1,64}$"
# An id an administrator chooses for something new starts with a letter or a digit: report files write ids
# as they are, and a spreadsheet runs a cell starting with - (or = + @) as a formula.
_NEW_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_PERSON = r"^[A-Za-z0-9_.:@-]{1,128}$"
_CODE = r"^[A-Z][A-Z0-9_]{0,39}$"
_ROLE = r"^[A-Z][A-Z0-9_]{1,39}$"
ObjectId = Annotated[str, Path(pattern=_ID)]
PersonId = Annotated[str, Path(pattern=_PERSON)]
ReasonCode = Annotated[str, Path(pattern=_CODE)]
RoleName = Annotated[str, Path(pattern=_ROLE)]
# The version the client read, as an ETag: 7, "7" or W/"7".
IfMatch = Annotated[str, Header(pattern=r'^(W/)?"?[0-9]{1,10}"?$', description="The version read")]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Ids = Annotated[list[Annotated[str, Field(pattern=_ID)]], Field(max_length=200)]
EmployeeNumber = Annotated[str, Field(pattern=EMPLOYEE_NUMBER, description="Payroll's number for the person")]


class _Body(BaseModel):
    # Schemas are built on first use (the route called), not at import: a cold start pays for one.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class OrganizationPatch(_Body):
    name: Name | None = None
    time_zone: str | None = Field(default=None, alias="timeZone", min_length=1, max_length=64)


class UnitCreate(_Body):
    unit_id: str = Field(alias="unitId", pattern=_NEW_ID)
    name: Name


class GroupCreate(_Body):
    group_id: str = Field(alias="groupId", pattern=_NEW_ID)
    name: Name


class Rename(_Body):
    name: Name


class AttendancePatch(_Body):
    tracking_enabled: bool | None = Field(default=None, alias="trackingEnabled")
    tracked_groups: Ids | None = Field(default=None, alias="trackedGroups")
    clock_in_platforms: list[Platform] | None = Field(default=None, alias="clockInPlatforms")
    clock_out_while_active: bool | None = Field(default=None, alias="clockOutWhileActive")


class ReasonCreate(_Body):
    code: str = Field(pattern=_CODE)
    label: str = Field(min_length=1, max_length=80)
    active: bool = True
    needs_description: bool = Field(default=False, alias="needsDescription")


class ReasonPatch(_Body):
    label: str | None = Field(default=None, min_length=1, max_length=80)
    active: bool | None = None
    needs_description: bool | None = Field(default=None, alias="needsDescription")


class QueueCreate(_Body):
    queue_id: str = Field(alias="queueId", pattern=_NEW_ID)
    name: Name
    kind: QueueKind = QueueKind.QUEUE
    wrap_up_seconds: int | None = Field(default=None, alias="wrapUpSeconds", ge=0, le=3600)
    wrap_up_mode: WrapUpMode | None = Field(default=None, alias="wrapUpMode")


class QueuePatch(_Body):
    """Fields sent are changed; `wrapUpSeconds`/`wrapUpMode` null return to the organization's."""

    name: Name | None = None
    kind: QueueKind | None = None
    wrap_up_seconds: int | None = Field(default=None, alias="wrapUpSeconds", ge=0, le=3600)
    wrap_up_mode: WrapUpMode | None = Field(default=None, alias="wrapUpMode")


class RoutingPatch(_Body):
    wrap_up_seconds: int | None = Field(default=None, alias="wrapUpSeconds", ge=0, le=3600)
    wrap_up_mode: WrapUpMode | None = Field(default=None, alias="wrapUpMode")
    break_on_reject: bool | None = Field(default=None, alias="breakOnReject")
    console_idle_timeout_seconds: int | None = Field(default=None, alias="consoleIdleTimeoutSeconds", ge=60, le=7200)
    restrict_unassigned_queues: bool | None = Field(default=None, alias="restrictUnassignedQueues")
    concurrency: dict[Channel, Annotated[int, Field(ge=1, le=50)]] | None = None
    work_item_limits: dict[Channel, Annotated[int, Field(ge=1, le=WORK_ITEMS_PER_CHANNEL_MAX)]] | None = Field(
        default=None, alias="workItemLimits"
    )


class RoleBody(_Body):
    permissions: list[Permission] = Field(max_length=len(Permission))


class CustomPolicy(_Body):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    # Statuses as plain text: an unknown one is refused by the policy rules, naming the rule.
    manual: dict[Annotated[str, Field(max_length=20)], list[Annotated[str, Field(max_length=20)]]] = Field(
        max_length=10
    )


class PolicyBody(_Body):
    policy: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")] | CustomPolicy


class PersonCreate(_Body):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    display_name: Name = Field(alias="displayName")
    roles: list[Annotated[str, Field(pattern=_ROLE)]] = Field(min_length=1, max_length=20)
    units: Ids = Field(default_factory=list)
    supervised_units: Ids = Field(default_factory=list, alias="supervisedUnits")
    groups: Ids = Field(default_factory=list)
    queues: Ids = Field(default_factory=list)
    employee_number: EmployeeNumber | None = Field(default=None, alias="employeeNumber")


class PersonPatch(_Body):
    display_name: Name | None = Field(default=None, alias="displayName")
    roles: list[Annotated[str, Field(pattern=_ROLE)]] | None = Field(default=None, max_length=20)
    units: Ids | None = None
    supervised_units: Ids | None = Field(default=None, alias="supervisedUnits")
    groups: Ids | None = None
    queues: Ids | None = None
    # null removes the number; leaving the field out keeps it.
    employee_number: EmployeeNumber | None = Field(default=None, alias="employeeNumber")


class StatusRulesBody(_Body):
    """The organization's whole rule set (docs/rules.md); each rule is checked by the rules' own model,
    so a refusal names the rule broken (`tiers_out_of_order`, `force_not_allowed`...)."""

    status_rules: list[dict[str, Any]] = Field(alias="statusRules", max_length=50)


class AdherenceBody(_Body):
    """What adheres to each kind of activity, each kind's tolerance, the severe threshold (docs/adherence.md)."""

    activities: dict[str, dict[str, Any]] | None = Field(default=None, max_length=10)
    severe_minutes: int | None = Field(default=None, alias="severeMinutes")


class IntegrationCreate(_Body):
    name: str = Field(pattern=r"^[A-Za-z0-9 _.-]{1,64}$")


def _employee_number(body: PersonPatch) -> str | None:
    if "employee_number" not in body.model_fields_set:
        return None  # unchanged
    return body.employee_number or ""  # "" removes it


def _version(if_match: str) -> int:
    return int(if_match.removeprefix("W/").strip('"'))


def _change(command: Command, if_match: str) -> dict[str, Any]:
    principal = current_principal(app)
    return administration.change_settings(
        principal.organization_id,
        command,
        expected_version=_version(if_match),
        actor_id=principal.user_id,
        now=utc_now(),
    )


def _optional_set(values: list[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


def _optional_tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


# --- the organization and its settings -----------------------------------------------------------


@app.get("/admin/settings")
def read_settings() -> dict[str, Any]:
    return administration.settings_of(current_principal(app).organization_id)


@app.patch("/admin/organization")
def update_organization(body: OrganizationPatch, if_match: IfMatch) -> dict[str, Any]:
    return _change(UpdateOrganization(name=body.name, time_zone=body.time_zone), if_match)


@app.post("/admin/units", status_code=201)
def create_unit(body: UnitCreate, if_match: IfMatch) -> tuple[dict[str, Any], int]:
    return _change(AddUnit(Unit(unit_id=body.unit_id, name=body.name)), if_match), 201


@app.patch("/admin/units/<unit_id>")
def rename_unit(unit_id: ObjectId, body: Rename, if_match: IfMatch) -> dict[str, Any]:
    return _change(RenameUnit(unit_id, body.name), if_match)


@app.delete("/admin/units/<unit_id>")
def delete_unit(unit_id: ObjectId, if_match: IfMatch) -> dict[str, Any]:
    return _change(RemoveUnit(unit_id), if_match)


@app.post("/admin/groups", status_code=201)
def create_group(body: GroupCreate, if_match: IfMatch) -> tuple[dict[str, Any], int]:
    return _change(AddGroup(UserGroup(group_id=body.group_id, name=body.name)), if_match), 201


@app.patch("/admin/groups/<group_id>")
def rename_group(group_id: ObjectId, body: Rename, if_match: IfMatch) -> dict[str, Any]:
    return _change(RenameGroup(group_id, body.name), if_match)


@app.delete("/admin/groups/<group_id>")
def delete_group(group_id: ObjectId, if_match: IfMatch) -> dict[str, Any]:
    return _change(RemoveGroup(group_id), if_match)


@app.patch("/admin/attendance")
def update_attendance(body: AttendancePatch, if_match: IfMatch) -> dict[str, Any]:
    command = SetAttendance(
        tracking_enabled=body.tracking_enabled,
        tracked_groups=_optional_set(body.tracked_groups),
        clock_in_platforms=frozenset(body.clock_in_platforms) if body.clock_in_platforms is not None else None,
        clock_out_while_active=body.clock_out_while_active,
    )
    return _change(command, if_match)


@app.post("/admin/reasons/<kind>", status_code=201)
def create_reason(kind: ReasonKind, body: ReasonCreate, if_match: IfMatch) -> tuple[dict[str, Any], int]:
    reason = Reason(code=body.code, label=body.label, active=body.active, needs_description=body.needs_description)
    return _change(AddReason(kind, reason), if_match), 201


@app.patch("/admin/reasons/<kind>/<code>")
def update_reason(kind: ReasonKind, code: ReasonCode, body: ReasonPatch, if_match: IfMatch) -> dict[str, Any]:
    command = UpdateReason(kind, code, label=body.label, active=body.active, needs_description=body.needs_description)
    return _change(command, if_match)


@app.delete("/admin/reasons/<kind>/<code>")
def delete_reason(kind: ReasonKind, code: ReasonCode, if_match: IfMatch) -> dict[str, Any]:
    return _change(RemoveReason(kind, code), if_match)


@app.post("/admin/queues", status_code=201)
def create_queue(body: QueueCreate, if_match: IfMatch) -> tuple[dict[str, Any], int]:
    queue = Queue.model_validate(body.model_dump())
    return _change(AddQueue(queue), if_match), 201


@app.patch("/admin/queues/<queue_id>")
def update_queue(queue_id: ObjectId, body: QueuePatch, if_match: IfMatch) -> dict[str, Any]:
    return _change(UpdateQueue(queue_id, body.model_dump(include=body.model_fields_set)), if_match)


@app.delete("/admin/queues/<queue_id>")
def delete_queue(queue_id: ObjectId, if_match: IfMatch) -> dict[str, Any]:
    return _change(RemoveQueue(queue_id), if_match)


@app.patch("/admin/routing")
def update_routing(body: RoutingPatch, if_match: IfMatch) -> dict[str, Any]:
    return _change(SetRouting(**body.model_dump()), if_match)


@app.get("/admin/roles")
def read_roles() -> dict[str, Any]:
    return administration.roles_of(current_principal(app).organization_id)


@app.put("/admin/roles/<role_name>")
def put_role(role_name: RoleName, body: RoleBody, if_match: IfMatch) -> dict[str, Any]:
    return _change(PutRole(role_name, frozenset(body.permissions)), if_match)


@app.delete("/admin/roles/<role_name>")
def delete_role(role_name: RoleName, if_match: IfMatch) -> dict[str, Any]:
    return _change(RemoveRole(role_name), if_match)


@app.put("/admin/policy")
def replace_policy(body: PolicyBody, if_match: IfMatch) -> dict[str, Any]:
    """`{"policy": "strict"}` for a built-in policy, or `{"policy": {"name", "manual": {status: [...]}}}`."""
    policy = body.policy
    command = ReplacePolicy(policy) if isinstance(policy, str) else ReplacePolicy(policy.name, policy.manual)
    return _change(command, if_match)


# --- status rules and adherence -----------------------------------------------------------------


@app.get("/admin/status-rules")
def read_status_rules() -> dict[str, Any]:
    return administration.status_rules_of(current_principal(app).organization_id)


@app.put("/admin/status-rules")
def replace_status_rules(body: StatusRulesBody, if_match: IfMatch) -> dict[str, Any]:
    return _change(ReplaceStatusRules(load_status_rules(body.status_rules)), if_match)


@app.put("/admin/adherence")
def replace_adherence(body: AdherenceBody, if_match: IfMatch) -> dict[str, Any]:
    return _change(SetAdherence(body.model_dump(by_alias=True, exclude_none=True)), if_match)


# --- people --------------------------------------------------------------------------------------


@app.get("/admin/people")
def list_people() -> dict[str, Any]:
    return administration.people_of(current_principal(app).organization_id)


@app.post("/admin/people", status_code=201)
def create_person(body: PersonCreate) -> tuple[dict[str, Any], int]:
    principal = current_principal(app)
    draft = PersonDraft(
        display_name=body.display_name,
        email=body.email,
        roles=frozenset(body.roles),
        units=tuple(body.units),
        supervised_units=frozenset(body.supervised_units),
        groups=tuple(body.groups),
        queues=tuple(body.queues),
        employee_number=body.employee_number,
    )
    person = administration.create_person(principal.organization_id, draft, actor_id=principal.user_id, now=utc_now())
    return person, 201


@app.get("/admin/people/<user_id>")
def read_person(user_id: PersonId) -> dict[str, Any]:
    return administration.person_of(current_principal(app).organization_id, user_id)


@app.patch("/admin/people/<user_id>")
def update_person(user_id: PersonId, body: PersonPatch, if_match: IfMatch) -> dict[str, Any]:
    principal = current_principal(app)
    changes = PersonChanges(
        display_name=body.display_name,
        roles=_optional_set(body.roles),
        units=_optional_tuple(body.units),
        supervised_units=_optional_set(body.supervised_units),
        groups=_optional_tuple(body.groups),
        queues=_optional_tuple(body.queues),
        employee_number=_employee_number(body),
    )
    return administration.update_person(
        principal.organization_id,
        user_id,
        changes,
        expected_version=_version(if_match),
        actor_id=principal.user_id,
        now=utc_now(),
    )


@app.delete("/admin/people/<user_id>")
def retire_person(user_id: PersonId, if_match: IfMatch) -> dict[str, Any]:
    """Retire: the person can no longer sign in; their item and history stay."""
    principal = current_principal(app)
    return administration.retire_person(
        principal.organization_id,
        user_id,
        expected_version=_version(if_match),
        actor_id=principal.user_id,
        now=utc_now(),
    )


@app.post("/admin/integrations", status_code=201)
def create_integration(body: IntegrationCreate) -> tuple[dict[str, Any], int]:
    """Machine credentials for a router or ticketing system; the secret is shown this once."""
    principal = current_principal(app)
    created = administration.create_integration(
        principal.organization_id, body.name, actor_id=principal.user_id, now=utc_now()
    )
    return created, 201


@app.get("/admin/audit")
def read_audit(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    return administration.audit_trail(current_principal(app).organization_id, limit=limit, cursor=cursor)


# --- the platform operator: organizations ------------------------------------------------------------


class OrganizationCreate(_Body):
    organization_id: str = Field(alias="organizationId", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: Name
    time_zone: str = Field(alias="timeZone", min_length=1, max_length=64)
    administrator_email: str = Field(alias="administratorEmail", max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    administrator_name: Name = Field(alias="administratorName")


class OrganizationStatus(_Body):
    disabled: bool


@app.post("/platform/organizations", status_code=201)
def create_organization(body: OrganizationCreate) -> tuple[dict[str, Any], int]:
    """An organization and its first administrator (invited by email on AWS)."""
    draft = platform.NewOrganization(
        organization_id=body.organization_id,
        name=body.name,
        time_zone=body.time_zone,
        administrator_email=body.administrator_email,
        administrator_name=body.administrator_name,
    )
    return platform.create_organization(draft, actor_id=current_principal(app).user_id, now=utc_now()), 201


@app.get("/platform/organizations")
def list_organizations() -> dict[str, Any]:
    return {"organizations": platform.list_organizations()}


@app.patch("/platform/organizations/<organization_id>")
def change_organization(organization_id: Annotated[str, Path(pattern=_ID)], body: OrganizationStatus) -> dict[str, Any]:
    """Disable (or enable again) an organization: its tokens get 403 everywhere, its schedules skip it."""
    return platform.set_disabled(organization_id, body.disabled)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
