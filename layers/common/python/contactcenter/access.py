"""Who may do what: built-in roles as named sets of permissions, and the checks every route makes.

Routes name a permission (infra/wiring.py); nothing is decided by role name alone. Custom roles
(defined per organization) combine the same permissions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from contactcenter.errors import Forbidden


class Permission(StrEnum):
    ATTENDANCE_SELF = "attendance.self"  # clock in/out, own status, own queues, own history
    WORK_SELF = "work.self"  # report own work items
    WORK_REPORT = "work.report"  # report work items for any agent of the organization (integrations)
    ROUTING_READ = "routing.read"  # routable agents for a queue
    SUPERVISION_VIEW = "supervision.view"  # dashboards of supervised units
    SUPERVISION_ACT = "supervision.act"  # force status, pause, queues, monitoring, messages
    ENGAGE = "engage"  # My Engage: the agent's own assignments
    ENGAGE_EVALUATIONS = "engage.evaluations"
    ENGAGE_COACHING = "engage.coaching"
    ENGAGE_ELEARNING = "engage.elearning"
    ASSIGNMENTS_MANAGE = "assignments.manage"  # create assignments, see progress
    REPORTS_READ = "reports.read"  # list and download report files
    REPORTS_REQUEST = "reports.request"  # ask for an on-demand report
    SCHEDULES_MANAGE = "schedules.manage"  # import, change and delete agents' schedules
    ADMINISTRATION = "administration"  # configure the organization
    CONNECT = "connect"  # open a WebSocket session
    PLATFORM = "platform.operate"  # create, list and disable organizations: platform operators only


class Role(StrEnum):
    ADMIN = "ADMIN"
    SUPERVISOR = "SUPERVISOR"
    UNIT_MANAGER = "UNIT_MANAGER"
    AGENT = "AGENT"
    FINANCE = "FINANCE"
    INTEGRATION = "INTEGRATION"
    OPERATOR = "OPERATOR"  # runs the platform; belongs to no organization's roles


P = Permission
# What only machine credentials hold: reporting any agent's work and reading routing. A person who could
# report work for every agent of the organization could move anyone to Active.
INTEGRATION_ONLY = frozenset({P.WORK_REPORT, P.ROUTING_READ})
_ENGAGE_ALL = {P.ENGAGE, P.ENGAGE_EVALUATIONS, P.ENGAGE_COACHING, P.ENGAGE_ELEARNING}
_SUPERVISING = {P.SUPERVISION_VIEW, P.SUPERVISION_ACT, P.ASSIGNMENTS_MANAGE, P.REPORTS_REQUEST, P.CONNECT}

BUILT_IN_ROLES: Mapping[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {P.ATTENDANCE_SELF, P.WORK_SELF, P.WORK_REPORT, P.ROUTING_READ, P.PLATFORM},
    Role.SUPERVISOR: frozenset(_SUPERVISING | _ENGAGE_ALL),
    Role.UNIT_MANAGER: frozenset(_SUPERVISING | _ENGAGE_ALL),
    Role.AGENT: frozenset({P.ATTENDANCE_SELF, P.WORK_SELF, P.CONNECT} | _ENGAGE_ALL),
    Role.FINANCE: frozenset({P.REPORTS_READ, P.REPORTS_REQUEST}),
    Role.INTEGRATION: frozenset({P.WORK_REPORT, P.ROUTING_READ}),
}
# Roles no organization may give or define: only the deployment makes operators (infra, docs/deploy.md).
PLATFORM_ROLES: Mapping[str, frozenset[Permission]] = {Role.OPERATOR: frozenset({P.PLATFORM})}
RESERVED_ROLE_NAMES = frozenset(BUILT_IN_ROLES) | frozenset(PLATFORM_ROLES)


@dataclass(frozen=True)
class Principal:
    """The caller: who, from verified token claims; what, from their person record as it stands now
    (contactcenter/edge/principal.py)."""

    organization_id: str
    user_id: str
    roles: frozenset[str]
    permissions: frozenset[Permission]
    supervised_units: frozenset[str] = frozenset()

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions


def permissions_for(
    roles: Iterable[str], custom_roles: Mapping[str, frozenset[Permission]] | None = None
) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= BUILT_IN_ROLES.get(role, frozenset()) | PLATFORM_ROLES.get(role, frozenset())
        if custom_roles:
            granted |= custom_roles.get(role, frozenset())
    return frozenset(granted)


def require(principal: Principal, permission: Permission) -> None:
    if not principal.has(permission):
        raise Forbidden(f"this action needs the permission {permission}", rule="missing_permission")


def require_same_organization(principal: Principal, organization_id: str) -> None:
    if principal.organization_id != organization_id:
        # Phrased as not-found elsewhere would leak less, but callers never learn other tenants' ids anyway.
        raise Forbidden("this belongs to another organization", rule="other_organization")


def sees_every_unit(principal: Principal) -> bool:
    """Administration reaches every unit of the organization, whatever the role that grants it is named."""
    return principal.has(Permission.ADMINISTRATION)


def may_watch_unit(principal: Principal, unit_id: str) -> bool:
    """A unit's dashboard, live or by HTTP: its supervisors (supervision.view) and administrators."""
    if sees_every_unit(principal):
        return True
    return principal.has(Permission.SUPERVISION_VIEW) and unit_id in principal.supervised_units


def may_view_agent(principal: Principal, agent_id: str, agent_units: Iterable[str]) -> bool:
    """Who may see an agent's state and changes: the agent, administrators, and holders of
    supervision.view who supervise one of the agent's units (the dashboards' rule, pushes included)."""
    if principal.user_id == agent_id or sees_every_unit(principal):
        return True
    return principal.has(Permission.SUPERVISION_VIEW) and not principal.supervised_units.isdisjoint(agent_units)


def may_supervise(principal: Principal, supervised_units: frozenset[str], agent_units: tuple[str, ...]) -> bool:
    """Administrators act across their organization; supervisors and unit managers on their units' agents."""
    if principal.has(Permission.ADMINISTRATION):
        return True
    return principal.has(Permission.SUPERVISION_ACT) and bool(supervised_units.intersection(agent_units))
