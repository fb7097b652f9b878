"""Configuring an organization: every change to its settings is a command, applied by a pure function
that refuses what would break a rule, then checked against the rules every configuration keeps.

What "in use" means here (the spec: a reason in use can be retired but not deleted, history keeps it):
- a reason is in use once it has ever been active: only active reasons can be chosen, so only those can
  be named by history. `reasons_ever_active` remembers them across retirements. (Exact, cheap: no scan
  of every agent's history; the price is that a reason active for a minute by mistake stays, retired.)
- a unit, group, queue or custom role is in use while a person who is not retired names it; a queue
  also while an agent is logged into it. Retired people keep their references (history reads them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from contactcenter.access import (
    BUILT_IN_ROLES,
    INTEGRATION_ONLY,
    RESERVED_ROLE_NAMES,
    Permission,
    Role,
    permissions_for,
)
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.organization import (
    Channel,
    OrganizationSettings,
    Queue,
    Reason,
    Unit,
    UserGroup,
    WrapUpMode,
    is_time_zone_region,
)
from contactcenter.people import Person
from contactcenter.schedules import AdherenceSettings, adherence_settings_view
from contactcenter.status_rules import MAX_RULES, RULE_ERRORS, StatusRule, rule_view
from contactcenter.statuses import Platform, Status
from contactcenter.transitions import BUILT_IN_POLICIES, TransitionPolicy

# Bounds that keep the settings item (one read per request) far below DynamoDB's 400 KB.
LIMITS = {"units": 500, "queues": 500, "user_groups": 200, "custom_roles": 50, "reasons": 50}
POLICY_RULES = frozenset({"no_way_back_to_away", "manual_into_automatic", "clock_in_required"})
ENGAGE_PARTS = frozenset({Permission.ENGAGE_EVALUATIONS, Permission.ENGAGE_COACHING, Permission.ENGAGE_ELEARNING})
BREAK = "BREAK"  # the reason a rejected offer pauses the agent with (status.py)


class ReasonKind(StrEnum):
    UNAVAILABLE = "unavailable"
    CLOCK_OUT = "clock-out"


@dataclass(frozen=True)
class Usage:
    """What the organization's people use, for the commands that remove something."""

    people: tuple[Person, ...] = ()  # people not retired
    logged_in_queues: frozenset[str] = frozenset()  # queues an agent is logged into now


class Command(Protocol):
    action: ClassVar[str]  # named in the audit trail
    needs_usage: ClassVar[bool]  # removes something: needs what the people use

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings: ...


def change(settings: OrganizationSettings, command: Command, usage: Usage | None = None) -> OrganizationSettings:
    """The settings after the command, one version on, or a domain error naming the broken rule."""
    try:
        # Commands copy without validating; validating the whole result once catches any value out of range.
        after = OrganizationSettings.model_validate(command.apply(settings, usage or Usage()).model_dump())
    except ValidationError as error:
        raise _invalid(error) from None
    check_settings(after)
    ever_active = settings.reasons_ever_active | _active_reasons(settings) | _active_reasons(after)
    return after.model_copy(update={"version": settings.version + 1, "reasons_ever_active": ever_active})


def check_settings(settings: OrganizationSettings) -> None:
    """Rules every configuration keeps, whatever changed."""
    for name, limit in LIMITS.items():
        sizes = (
            [len(settings.unavailable_reasons), len(settings.clock_out_reasons)]
            if name == "reasons"
            else [len(getattr(settings, name))]
        )
        if max(sizes) > limit:
            raise Invalid(f"at most {limit} {name.replace('_', ' ')}", field=_camel(name), rule="too_many")
    unknown = sorted(settings.tracked_groups - _group_ids(settings))
    if unknown:
        raise Invalid(f"unknown groups {unknown}", field="trackedGroups", rule="unknown_group")
    if settings.break_on_reject and settings.unavailable_reason(BREAK) is None:
        raise Invalid(
            "a rejected offer pauses the agent with the reason BREAK: keep it active or turn break on reject off",
            field="breakOnReject",
            rule="break_reason_required",
        )
    if not any(reason.active for reason in settings.clock_out_reasons):
        raise Invalid("agents need an active clock-out reason to clock out", field="reasons", rule="reason_required")
    if not settings.clock_in_platforms:
        raise Invalid("allow clock-in from at least one platform", field="clockInPlatforms", rule="platform_required")
    for index, rule in enumerate(settings.status_rules):
        _check_rule(settings, rule, f"statusRules[{index}]")
    _check_adherence(settings)


def _check_adherence(settings: OrganizationSettings) -> None:
    for kind, activity in settings.adherence.activities.items():
        for state in activity.states:
            if state.reason is not None and not _has_reason(settings, ReasonKind.UNAVAILABLE, state.reason):
                raise Invalid(
                    f"no unavailable reason {state.reason!r}",
                    field=f"adherence.activities.{kind}",
                    rule="unknown_reason",
                )


# --- organization --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateOrganization:
    action: ClassVar[str] = "organization.update"
    needs_usage: ClassVar[bool] = False

    name: str | None = None
    time_zone: str | None = None

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if self.time_zone is not None and not is_time_zone_region(self.time_zone):
            raise Invalid(f"unknown time zone {self.time_zone!r}", field="timeZone", rule="unknown_time_zone")
        return _updated(settings, name=self.name, time_zone=self.time_zone)


def new_organization(organization_id: str, *, name: str, time_zone: str) -> OrganizationSettings:
    if not is_time_zone_region(time_zone):
        raise Invalid(f"unknown time zone {time_zone!r}", field="timeZone", rule="unknown_time_zone")
    return OrganizationSettings(organization_id=organization_id, name=name, time_zone=time_zone)


# --- units ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddUnit:
    action: ClassVar[str] = "unit.create"
    needs_usage: ClassVar[bool] = False

    unit: Unit

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if self.unit.unit_id in settings.unit_ids():
            raise Conflict(f"unit {self.unit.unit_id!r} exists", field="unitId", rule="unit_exists")
        return settings.model_copy(update={"units": (*settings.units, self.unit)})


@dataclass(frozen=True)
class RenameUnit:
    action: ClassVar[str] = "unit.update"
    needs_usage: ClassVar[bool] = False

    unit_id: str
    name: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        _unit(settings, self.unit_id)
        units = tuple(
            Unit(unit_id=u.unit_id, name=self.name) if u.unit_id == self.unit_id else u for u in settings.units
        )
        return settings.model_copy(update={"units": units})


@dataclass(frozen=True)
class RemoveUnit:
    action: ClassVar[str] = "unit.delete"
    needs_usage: ClassVar[bool] = True

    unit_id: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        _unit(settings, self.unit_id)
        users = [p.user_id for p in usage.people if self.unit_id in p.units or self.unit_id in p.supervised_units]
        if users:
            raise Conflict(
                f"unit {self.unit_id!r} has people ({_some(users)}): move them first",
                field="unitId",
                rule="unit_in_use",
            )
        return settings.model_copy(update={"units": tuple(u for u in settings.units if u.unit_id != self.unit_id)})


# --- user groups and attendance tracking ---------------------------------------------------------


@dataclass(frozen=True)
class AddGroup:
    action: ClassVar[str] = "group.create"
    needs_usage: ClassVar[bool] = False

    group: UserGroup

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if self.group.group_id in _group_ids(settings):
            raise Conflict(f"group {self.group.group_id!r} exists", field="groupId", rule="group_exists")
        return settings.model_copy(update={"user_groups": (*settings.user_groups, self.group)})


@dataclass(frozen=True)
class RenameGroup:
    action: ClassVar[str] = "group.update"
    needs_usage: ClassVar[bool] = False

    group_id: str
    name: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        _group(settings, self.group_id)
        groups = tuple(
            UserGroup(group_id=g.group_id, name=self.name) if g.group_id == self.group_id else g
            for g in settings.user_groups
        )
        return settings.model_copy(update={"user_groups": groups})


@dataclass(frozen=True)
class RemoveGroup:
    action: ClassVar[str] = "group.delete"
    needs_usage: ClassVar[bool] = True

    group_id: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        _group(settings, self.group_id)
        if self.group_id in settings.tracked_groups:
            raise Conflict(
                f"group {self.group_id!r} is tracked: stop tracking it first", field="groupId", rule="group_tracked"
            )
        users = [p.user_id for p in usage.people if self.group_id in p.groups]
        if users:
            raise Conflict(f"group {self.group_id!r} has people ({_some(users)})", field="groupId", rule="group_in_use")
        groups = tuple(g for g in settings.user_groups if g.group_id != self.group_id)
        return settings.model_copy(update={"user_groups": groups})


@dataclass(frozen=True)
class SetAttendance:
    action: ClassVar[str] = "attendance.update"
    needs_usage: ClassVar[bool] = False

    tracking_enabled: bool | None = None
    tracked_groups: frozenset[str] | None = None
    clock_in_platforms: frozenset[Platform] | None = None
    clock_out_while_active: bool | None = None

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        return _updated(
            settings,
            tracking_enabled=self.tracking_enabled,
            tracked_groups=self.tracked_groups,
            clock_in_platforms=self.clock_in_platforms,
            clock_out_while_active=self.clock_out_while_active,
        )


# --- reasons -------------------------------------------------------------------------------------


def _reasons_field(kind: ReasonKind) -> str:
    return "unavailable_reasons" if kind is ReasonKind.UNAVAILABLE else "clock_out_reasons"


def _reasons(settings: OrganizationSettings, kind: ReasonKind) -> tuple[Reason, ...]:
    reasons: tuple[Reason, ...] = getattr(settings, _reasons_field(kind))
    return reasons


def reason_key(kind: ReasonKind, code: str) -> str:
    return f"{kind.value}:{code}"


def reason_in_use(settings: OrganizationSettings, kind: ReasonKind, reason: Reason) -> bool:
    return reason.active or reason_key(kind, reason.code) in settings.reasons_ever_active


def _active_reasons(settings: OrganizationSettings) -> frozenset[str]:
    return frozenset(reason_key(kind, r.code) for kind in ReasonKind for r in _reasons(settings, kind) if r.active)


def _reason(settings: OrganizationSettings, kind: ReasonKind, code: str) -> Reason:
    found = next((r for r in _reasons(settings, kind) if r.code == code), None)
    if found is None:
        raise NotFound(f"no {kind.value} reason {code!r}", field="code", rule="unknown_reason")
    return found


@dataclass(frozen=True)
class AddReason:
    action: ClassVar[str] = "reason.create"
    needs_usage: ClassVar[bool] = False

    kind: ReasonKind
    reason: Reason

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        reasons = _reasons(settings, self.kind)
        if any(r.code == self.reason.code for r in reasons):
            raise Conflict(f"reason {self.reason.code!r} exists", field="code", rule="reason_exists")
        return settings.model_copy(update={_reasons_field(self.kind): (*reasons, self.reason)})


@dataclass(frozen=True)
class UpdateReason:
    """Relabel, retire (active false), reactivate, or change whether a description is needed."""

    action: ClassVar[str] = "reason.update"
    needs_usage: ClassVar[bool] = False

    kind: ReasonKind
    code: str
    label: str | None = None
    active: bool | None = None
    needs_description: bool | None = None

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        current = _reason(settings, self.kind, self.code)
        updated = current.model_copy(
            update=_present(label=self.label, active=self.active, needs_description=self.needs_description)
        )
        reasons = tuple(updated if r.code == self.code else r for r in _reasons(settings, self.kind))
        return settings.model_copy(update={_reasons_field(self.kind): reasons})


@dataclass(frozen=True)
class RemoveReason:
    action: ClassVar[str] = "reason.delete"
    needs_usage: ClassVar[bool] = False

    kind: ReasonKind
    code: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        reason = _reason(settings, self.kind, self.code)
        if reason_in_use(settings, self.kind, reason):
            raise Conflict(
                f"reason {self.code!r} has been in use and history may name it: retire it (active false) instead",
                field="code",
                rule="reason_in_use",
            )
        reasons = tuple(r for r in _reasons(settings, self.kind) if r.code != self.code)
        return settings.model_copy(update={_reasons_field(self.kind): reasons})


# --- queues and routing --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddQueue:
    action: ClassVar[str] = "queue.create"
    needs_usage: ClassVar[bool] = False

    queue: Queue

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if settings.queue(self.queue.queue_id) is not None:
            raise Conflict(f"queue {self.queue.queue_id!r} exists", field="queueId", rule="queue_exists")
        return settings.model_copy(update={"queues": (*settings.queues, self.queue)})


@dataclass(frozen=True)
class UpdateQueue:
    """`changes` holds only the fields sent: `wrap_up_seconds` None means "the organization's"."""

    action: ClassVar[str] = "queue.update"
    needs_usage: ClassVar[bool] = False

    queue_id: str
    changes: Mapping[str, Any]

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        current = settings.queue(self.queue_id)
        if current is None:
            raise NotFound(f"no queue {self.queue_id!r}", field="queueId", rule="unknown_queue")
        try:
            updated = Queue.model_validate(current.model_dump() | dict(self.changes) | {"queue_id": self.queue_id})
        except ValidationError as error:
            raise _invalid(error) from None
        queues = tuple(updated if q.queue_id == self.queue_id else q for q in settings.queues)
        return settings.model_copy(update={"queues": queues})


@dataclass(frozen=True)
class RemoveQueue:
    action: ClassVar[str] = "queue.delete"
    needs_usage: ClassVar[bool] = True

    queue_id: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if settings.queue(self.queue_id) is None:
            raise NotFound(f"no queue {self.queue_id!r}", field="queueId", rule="unknown_queue")
        members = [p.user_id for p in usage.people if self.queue_id in p.queues]
        if members:
            raise Conflict(
                f"queue {self.queue_id!r} has members ({_some(members)})", field="queueId", rule="queue_in_use"
            )
        if self.queue_id in usage.logged_in_queues:
            raise Conflict(f"agents are logged into queue {self.queue_id!r}", field="queueId", rule="queue_in_use")
        return settings.model_copy(update={"queues": tuple(q for q in settings.queues if q.queue_id != self.queue_id)})


@dataclass(frozen=True)
class SetRouting:
    action: ClassVar[str] = "routing.update"
    needs_usage: ClassVar[bool] = False

    wrap_up_seconds: int | None = None
    wrap_up_mode: WrapUpMode | None = None
    break_on_reject: bool | None = None
    console_idle_timeout_seconds: int | None = None
    restrict_unassigned_queues: bool | None = None
    concurrency: Mapping[Channel, int] | None = None  # merged: channels left out keep their limit
    work_item_limits: Mapping[Channel, int] | None = None  # merged likewise

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        concurrency = {**settings.concurrency, **self.concurrency} if self.concurrency else None
        limits = {**settings.work_item_limits, **self.work_item_limits} if self.work_item_limits else None
        return _updated(
            settings,
            wrap_up_seconds=self.wrap_up_seconds,
            wrap_up_mode=self.wrap_up_mode,
            break_on_reject=self.break_on_reject,
            console_idle_timeout_seconds=self.console_idle_timeout_seconds,
            restrict_unassigned_queues=self.restrict_unassigned_queues,
            concurrency=concurrency,
            work_item_limits=limits,
        )


# --- roles ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PutRole:
    """Define a custom role, or replace its permissions."""

    action: ClassVar[str] = "role.put"
    needs_usage: ClassVar[bool] = False

    name: str
    permissions: frozenset[Permission]

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if self.name in RESERVED_ROLE_NAMES:
            raise Invalid(f"{self.name} is a built-in role", field="role", rule="built_in_role")
        if Permission.PLATFORM in self.permissions:
            raise Invalid("platform.operate is the platform operators' alone", field="permissions", rule="reserved")
        if not self.permissions:
            raise Invalid("a role grants at least one permission", field="permissions", rule="permission_required")
        if self.permissions & INTEGRATION_ONLY:
            raise Invalid(
                f"{', '.join(sorted(self.permissions & INTEGRATION_ONLY))}: only integrations hold these",
                field="permissions",
                rule="integration_only",
            )
        if self.permissions & ENGAGE_PARTS and Permission.ENGAGE not in self.permissions:
            # The seed's tree: My Evaluations, My Coaching, My E-Learning sit under My Engage.
            raise Invalid(
                "My Evaluations, My Coaching and My E-Learning need My Engage (engage)",
                field="permissions",
                rule="engage_required",
            )
        return settings.model_copy(update={"custom_roles": {**settings.custom_roles, self.name: self.permissions}})


@dataclass(frozen=True)
class RemoveRole:
    action: ClassVar[str] = "role.delete"
    needs_usage: ClassVar[bool] = True

    name: str

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        if self.name not in settings.custom_roles:
            raise NotFound(f"no custom role {self.name!r}", field="role", rule="unknown_role")
        users = [p.user_id for p in usage.people if self.name in p.roles]
        if users:
            raise Conflict(f"role {self.name!r} is given to {_some(users)}", field="role", rule="role_in_use")
        roles = {name: granted for name, granted in settings.custom_roles.items() if name != self.name}
        return settings.model_copy(update={"custom_roles": roles})


# --- the transition policy -----------------------------------------------------------------------


def load_policy(name: str, manual: Mapping[str, Sequence[str]] | None = None) -> TransitionPolicy:
    """A built-in policy by name, or a custom one from its table; refusals name the rule (field `policy`)."""
    if manual is None:
        policy = BUILT_IN_POLICIES.get(name)
        if policy is None:
            raise Invalid(
                f"no built-in policy {name!r} (there are {sorted(BUILT_IN_POLICIES)})",
                field="policy",
                rule="unknown_policy",
            )
        return policy
    if name in BUILT_IN_POLICIES:
        raise Invalid(f"{name!r} names a built-in policy", field="policy.name", rule="built_in_policy")
    named = set(manual) | {target for targets in manual.values() for target in targets}
    unknown = sorted(named - set(Status))
    if unknown:
        raise Invalid(f"unknown statuses {unknown}", field="policy", rule="unknown_status")
    try:
        return TransitionPolicy.model_validate({"name": name, "manual": manual})
    except ValidationError as error:
        message, rule = _policy_refusal(error)
        raise Invalid(message, field="policy", rule=rule) from None


def _policy_refusal(error: ValidationError) -> tuple[str, str]:
    # TransitionPolicy's validators start their message with the rule's name ("rule: detail").
    for detail in error.errors():
        cause = (detail.get("ctx") or {}).get("error")
        text = str(cause) if cause is not None else str(detail.get("msg", ""))
        rule = text.split(":", 1)[0].strip()
        if rule in POLICY_RULES:
            return text, rule
    return str(error), "invalid_policy"


@dataclass(frozen=True)
class ReplacePolicy:
    action: ClassVar[str] = "policy.replace"
    needs_usage: ClassVar[bool] = False

    name: str
    manual: Mapping[str, Sequence[str]] | None = None  # None: the built-in policy of that name

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        return settings.model_copy(update={"policy": load_policy(self.name, self.manual)})


# --- status rules and adherence ------------------------------------------------------------------


def load_status_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[StatusRule, ...]:
    """Rules from their JSON, each checked alone; refusals name the rule's index and the broken rule."""
    if len(raw) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} status rules", field="statusRules", rule="too_many")
    rules = []
    for index, body in enumerate(raw):
        try:
            rules.append(StatusRule.model_validate(body))
        except ValidationError as error:
            message, rule, where = _rule_refusal(error)
            raise Invalid(message, field=f"statusRules[{index}]{where}", rule=rule) from None
    ids = [rule.rule_id for rule in rules]
    duplicated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicated:
        raise Invalid(f"rule ids {duplicated} are used twice", field="statusRules", rule="duplicate_rule")
    return tuple(rules)


def _rule_refusal(error: ValidationError) -> tuple[str, str, str]:
    detail = error.errors()[0]
    cause = (detail.get("ctx") or {}).get("error")
    text = str(cause) if cause is not None else str(detail.get("msg", ""))
    rule = text.split(":", 1)[0].strip()
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail.get("loc", ()))
    return text, (rule if rule in RULE_ERRORS else "invalid"), location


def _check_rule(settings: OrganizationSettings, rule: StatusRule, where: str) -> None:
    units = settings.unit_ids()
    if rule.unit_id is not None and rule.unit_id not in units:
        raise Invalid(f"unknown unit {rule.unit_id!r}", field=f"{where}.unitId", rule="unknown_unit")
    unknown = sorted(rule.exempt_units - units)
    if unknown:
        raise Invalid(f"unknown units {unknown}", field=f"{where}.exemptUnits", rule="unknown_unit")
    if rule.queue_id is not None and settings.queue(rule.queue_id) is None:
        raise Invalid(f"unknown queue {rule.queue_id!r}", field=f"{where}.queueId", rule="unknown_queue")
    if rule.reason is not None and not _has_reason(settings, ReasonKind.UNAVAILABLE, rule.reason):
        raise Invalid(f"no unavailable reason {rule.reason!r}", field=f"{where}.reason", rule="unknown_reason")
    for number, tier in enumerate(rule.tiers):
        force = tier.force
        if force is None:
            continue
        field_name = f"{where}.tiers[{number}].force"
        if not settings.policy.allows(rule.status, force.status):
            raise Invalid(
                f"the policy does not allow {rule.status} -> {force.status}", field=field_name, rule="force_not_allowed"
            )
        kind = {Status.UNAVAILABLE: ReasonKind.UNAVAILABLE, Status.AWAY: ReasonKind.CLOCK_OUT}.get(force.status)
        if kind is None and force.reason is not None:
            raise Invalid(f"{force.status} takes no reason", field=f"{field_name}.reason", rule="reason_not_allowed")
        if kind is not None and (force.reason is None or not _has_reason(settings, kind, force.reason, active=True)):
            raise Invalid(
                f"forcing {force.status} needs an active {kind.value} reason",
                field=f"{field_name}.reason",
                rule="reason_required",
            )


def _has_reason(settings: OrganizationSettings, kind: ReasonKind, code: str, *, active: bool = False) -> bool:
    return any(r.code == code and (r.active or not active) for r in _reasons(settings, kind))


@dataclass(frozen=True)
class ReplaceStatusRules:
    action: ClassVar[str] = "status_rules.replace"
    needs_usage: ClassVar[bool] = False

    rules: tuple[StatusRule, ...]

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        return settings.model_copy(update={"status_rules": self.rules})


@dataclass(frozen=True)
class SetAdherence:
    """`adherence` holds the whole adherence settings as JSON (activities left out take the defaults)."""

    action: ClassVar[str] = "adherence.update"
    needs_usage: ClassVar[bool] = False

    adherence: Mapping[str, Any]

    def apply(self, settings: OrganizationSettings, usage: Usage) -> OrganizationSettings:
        try:
            adherence = AdherenceSettings.model_validate(self.adherence)
        except ValidationError as error:
            detail = error.errors()[0]
            location = ".".join(str(part) for part in detail.get("loc", ()))
            text = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
            rule = text.split(":", 1)[0] if text.startswith("activity_kind_missing") else "invalid"
            raise Invalid(text, field=f"adherence.{location}" if location else "adherence", rule=rule) from None
        return settings.model_copy(update={"adherence": adherence})


# --- people --------------------------------------------------------------------------------------


class IdentityKind(StrEnum):
    USER = "user"  # a person signing in
    CLIENT = "client"  # an integration with machine credentials


@dataclass(frozen=True)
class PersonRecord:
    """A person as stored: the rules' view, plus what administration keeps beside it."""

    person: Person
    version: int = 0
    email: str | None = None
    kind: IdentityKind = IdentityKind.USER
    retired: bool = False


@dataclass(frozen=True)
class PersonDraft:
    display_name: str
    email: str
    roles: frozenset[str]
    units: tuple[str, ...] = ()
    supervised_units: frozenset[str] = frozenset()
    groups: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    employee_number: str | None = None

    def person(self, organization_id: str, user_id: str) -> Person:
        return Person(
            organization_id=organization_id,
            user_id=user_id,
            display_name=self.display_name,
            roles=self.roles,
            units=_unique(self.units),
            supervised_units=self.supervised_units,
            groups=_unique(self.groups),
            queues=_unique(self.queues),
            employee_number=self.employee_number,
        )


@dataclass(frozen=True)
class PersonChanges:
    """Fields left None stay as they are; an empty employee number removes it."""

    display_name: str | None = None
    roles: frozenset[str] | None = None
    units: tuple[str, ...] | None = None
    supervised_units: frozenset[str] | None = None
    groups: tuple[str, ...] | None = None
    queues: tuple[str, ...] | None = None
    employee_number: str | None = None

    def apply(self, person: Person) -> Person:
        changed = person.model_copy(
            update=_present(
                display_name=self.display_name,
                roles=self.roles,
                units=_unique(self.units) if self.units is not None else None,
                supervised_units=self.supervised_units,
                groups=_unique(self.groups) if self.groups is not None else None,
                queues=_unique(self.queues) if self.queues is not None else None,
            )
        )
        if self.employee_number is None:
            return changed
        # Validated as a Person is (model_copy does not validate): payroll reads what is stored here.
        return Person.model_validate(changed.model_dump() | {"employee_number": self.employee_number or None})


def permissions_of(person: Person, settings: OrganizationSettings) -> frozenset[Permission]:
    return permissions_for(person.roles, settings.custom_roles)


def is_agent(person: Person, settings: OrganizationSettings) -> bool:
    """Whoever may clock in has an agent item carrying their live state (decided by permission, not role)."""
    return Permission.ATTENDANCE_SELF in permissions_of(person, settings)


def check_person(person: Person, settings: OrganizationSettings) -> None:
    known_roles = set(BUILT_IN_ROLES) | set(settings.custom_roles)
    for field_name, named, known, rule in (
        ("roles", person.roles, known_roles, "unknown_role"),
        ("units", person.units, settings.unit_ids(), "unknown_unit"),
        ("supervisedUnits", person.supervised_units, settings.unit_ids(), "unknown_unit"),
        ("groups", person.groups, _group_ids(settings), "unknown_group"),
        ("queues", person.queues, {q.queue_id for q in settings.queues}, "unknown_queue"),
    ):
        unknown = sorted(set(named) - set(known))
        if unknown:
            raise Invalid(f"unknown {field_name} {unknown}", field=field_name, rule=rule)
    if not person.roles:
        raise Invalid("a person has at least one role", field="roles", rule="role_required")
    granted = permissions_of(person, settings)
    if person.supervised_units and Permission.SUPERVISION_VIEW not in granted:
        raise Invalid(
            "only a role with supervision.view supervises units", field="supervisedUnits", rule="not_a_supervisor"
        )
    if Permission.ATTENDANCE_SELF in granted and not person.units:
        raise Invalid("an agent works in at least one unit (clock-in picks one)", field="units", rule="unit_required")


def check_human(person: Person) -> None:
    """People never hold the integration role: it is for machine credentials (POST /admin/integrations)."""
    if Role.INTEGRATION in person.roles:
        raise Invalid(
            "the INTEGRATION role is for machine credentials (POST /admin/integrations)",
            field="roles",
            rule="integration_only",
        )


def check_update(before: PersonRecord, after: Person, settings: OrganizationSettings, *, actor_id: str) -> None:
    if before.retired:
        raise Conflict(f"{before.person.user_id} is retired", field="userId", rule="retired")
    check_person(after, settings)
    if before.kind is not IdentityKind.CLIENT:
        check_human(after)
    if actor_id == after.user_id and Permission.ADMINISTRATION not in permissions_of(after, settings):
        # Nobody locks themselves out; another administrator can do it.
        raise Invalid("you cannot take your own administration away", field="roles", rule="own_account")


def check_retire(record: PersonRecord, *, actor_id: str, clocked_in: bool) -> None:
    if record.retired:
        raise Conflict(f"{record.person.user_id} is already retired", field="userId", rule="retired")
    if record.person.user_id == actor_id:
        raise Invalid("you cannot retire yourself", field="userId", rule="own_account")
    if clocked_in:
        raise Conflict(
            "the agent is clocked in: clock them out first (a supervisor can force AWAY)",
            field="userId",
            rule="agent_clocked_in",
        )


# --- audit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One configuration change: who, when, what, and the changed parts before and after."""

    organization_id: str
    at: datetime
    actor_id: str
    action: str
    target: str  # "settings" or "person/{userId}"
    version: int  # the target's version after the change
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def settings_audit(
    before: OrganizationSettings | None, after: OrganizationSettings, *, action: str, actor_id: str, at: datetime
) -> AuditEntry:
    """Only the top-level parts that changed, so an entry reads as the change itself."""
    new = settings_view(after)
    old = settings_view(before) if before is not None else None
    changed = [key for key in new if key != "version" and (old is None or old.get(key) != new[key])]
    return AuditEntry(
        organization_id=after.organization_id,
        at=at,
        actor_id=actor_id,
        action=action,
        target="settings",
        version=after.version,
        before={key: old[key] for key in changed} if old is not None else None,
        after={key: new[key] for key in changed},
    )


def person_audit(
    before: PersonRecord | None, after: PersonRecord, *, action: str, actor_id: str, at: datetime
) -> AuditEntry:
    return AuditEntry(
        organization_id=after.person.organization_id,
        at=at,
        actor_id=actor_id,
        action=action,
        target=f"person/{after.person.user_id}",
        version=after.version,
        before=person_view(before) if before is not None else None,
        after=person_view(after),
    )


# --- views (the API's JSON) ----------------------------------------------------------------------


def settings_view(settings: OrganizationSettings) -> dict[str, Any]:
    return {
        "organizationId": settings.organization_id,
        "version": settings.version,
        "name": settings.name,
        "timeZone": settings.time_zone,
        "units": [{"unitId": u.unit_id, "name": u.name} for u in settings.units],
        "userGroups": [{"groupId": g.group_id, "name": g.name} for g in settings.user_groups],
        "attendance": {
            "trackingEnabled": settings.tracking_enabled,
            "trackedGroups": sorted(settings.tracked_groups),
            "clockInPlatforms": sorted(p.value for p in settings.clock_in_platforms),
            "clockOutWhileActive": settings.clock_out_while_active,
        },
        "reasons": {
            kind.value: [_reason_view(settings, kind, r) for r in _reasons(settings, kind)] for kind in ReasonKind
        },
        "queues": [
            {
                "queueId": q.queue_id,
                "name": q.name,
                "kind": q.kind.value,
                "channel": q.channel.value,
                "wrapUpSeconds": q.wrap_up_seconds,
                "wrapUpMode": q.wrap_up_mode.value if q.wrap_up_mode else None,
            }
            for q in settings.queues
        ],
        "routing": {
            "wrapUpSeconds": settings.wrap_up_seconds,
            "wrapUpMode": settings.wrap_up_mode.value,
            "breakOnReject": settings.break_on_reject,
            "consoleIdleTimeoutSeconds": settings.console_idle_timeout_seconds,
            "restrictUnassignedQueues": settings.restrict_unassigned_queues,
            "concurrency": {channel.value: settings.concurrency.get(channel, 1) for channel in Channel},
            "workItemLimits": {channel.value: settings.work_item_limit(channel) for channel in Channel},
        },
        "customRoles": [_role_view(name, granted) for name, granted in sorted(settings.custom_roles.items())],
        "policy": policy_view(settings.policy),
        "statusRules": [rule_view(rule) for rule in settings.status_rules],
        "adherence": adherence_settings_view(settings.adherence),
    }


def status_rules_view(settings: OrganizationSettings) -> dict[str, Any]:
    return {"version": settings.version, "statusRules": [rule_view(rule) for rule in settings.status_rules]}


def policy_view(policy: TransitionPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "builtIn": BUILT_IN_POLICIES.get(policy.name) == policy,
        "manual": {source.value: sorted(t.value for t in policy.targets(source)) for source in Status},
    }


def roles_view(settings: OrganizationSettings) -> dict[str, Any]:
    return {
        "builtIn": [_role_view(name, granted) for name, granted in BUILT_IN_ROLES.items()],
        "custom": [_role_view(name, granted) for name, granted in sorted(settings.custom_roles.items())],
        "permissions": [p.value for p in Permission if p is not Permission.PLATFORM],
    }


def person_view(record: PersonRecord) -> dict[str, Any]:
    person = record.person
    return {
        "userId": person.user_id,
        "displayName": person.display_name,
        "email": record.email,
        "kind": record.kind.value,
        "roles": sorted(person.roles),
        "units": list(person.units),
        "supervisedUnits": sorted(person.supervised_units),
        "groups": list(person.groups),
        "queues": list(person.queues),
        "employeeNumber": person.employee_number,
        "retired": record.retired,
        "version": record.version,
    }


def _reason_view(settings: OrganizationSettings, kind: ReasonKind, reason: Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "label": reason.label,
        "active": reason.active,
        "needsDescription": reason.needs_description,
        "inUse": reason_in_use(settings, kind, reason),
    }


def _role_view(name: str, granted: Iterable[Permission]) -> dict[str, Any]:
    return {"name": str(name), "permissions": sorted(p.value for p in granted)}


# --- small pieces --------------------------------------------------------------------------------


def _unit(settings: OrganizationSettings, unit_id: str) -> Unit:
    found = next((u for u in settings.units if u.unit_id == unit_id), None)
    if found is None:
        raise NotFound(f"no unit {unit_id!r}", field="unitId", rule="unknown_unit")
    return found


def _group(settings: OrganizationSettings, group_id: str) -> UserGroup:
    found = next((g for g in settings.user_groups if g.group_id == group_id), None)
    if found is None:
        raise NotFound(f"no group {group_id!r}", field="groupId", rule="unknown_group")
    return found


def _group_ids(settings: OrganizationSettings) -> frozenset[str]:
    return frozenset(g.group_id for g in settings.user_groups)


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _updated(settings: OrganizationSettings, **values: Any) -> OrganizationSettings:
    return settings.model_copy(update=_present(**values))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _some(user_ids: Sequence[str]) -> str:
    shown = ", ".join(sorted(user_ids)[:5])
    return shown + (f" and {len(user_ids) - 5} more" if len(user_ids) > 5 else "")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _invalid(error: ValidationError) -> Invalid:
    detail = error.errors()[0]
    location = [str(part) for part in detail.get("loc", ())]
    return Invalid(str(detail.get("msg", "invalid")), field=_camel(location[0]) if location else None, rule="invalid")
