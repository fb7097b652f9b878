"""Demo data for `make dev`: one organization, two units, agents in both, two supervisors, an
administrator and a finance user; and a platform operator. Created through the admin services, as the
admin API creates them: the organization and each person audited, each person an identity of the local
identity directory."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.administration import PersonDraft
from contactcenter.edge.clock import utc_now
from contactcenter.organization import OrganizationSettings, Queue, QueueKind, Unit
from contactcenter.services.administration import create_organization, create_person
from contactcenter.store.identity_local import LocalIdentity, local_directory

ORGANIZATION_ID = "demo"
PLATFORM = "platform"  # platform operators' `custom:organization` (infra/naming.py PLATFORM_ORGANIZATION)
DEMO_ACTOR = "demo-seed"  # who the audit trail says created the demo data


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    username: str
    organization_id: str
    roles: tuple[str, ...]
    display_name: str
    units: tuple[str, ...] = ()
    supervised_units: tuple[str, ...] = ()

    @property
    def employee_number(self) -> str | None:
        """Payroll's number for the demo agents (E-1001 for the first ...), so the files show one."""
        agents = [user.user_id for user in DEMO_USERS if "AGENT" in user.roles]
        return f"E-{1001 + agents.index(self.user_id)}" if self.user_id in agents else None


SETTINGS = OrganizationSettings(
    organization_id=ORGANIZATION_ID,
    name="Demo Contact Center",
    time_zone="Europe/Rome",
    units=(Unit(unit_id="sales", name="Sales"), Unit(unit_id="support", name="Support")),
    queues=(
        Queue(queue_id="sales-line", name="Sales line", kind=QueueKind.QUEUE),
        Queue(queue_id="support-chat", name="Support chat", kind=QueueKind.CHAT),
        Queue(queue_id="winback", name="Win-back campaign", kind=QueueKind.CAMPAIGN),
    ),
    wrap_up_seconds=20,
)

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("agent-alice", "alice", ORGANIZATION_ID, ("AGENT",), "Alice Agent", units=("sales",)),
    DemoUser("agent-bruno", "bruno", ORGANIZATION_ID, ("AGENT",), "Bruno Agent", units=("sales",)),
    DemoUser("agent-chiara", "chiara", ORGANIZATION_ID, ("AGENT",), "Chiara Agent", units=("support",)),
    DemoUser("agent-dev", "dev", ORGANIZATION_ID, ("AGENT",), "Dev Agent", units=("sales", "support")),
    DemoUser("agent-elena", "elena", ORGANIZATION_ID, ("AGENT",), "Elena Agent", units=("support",)),
    DemoUser("agent-franco", "franco", ORGANIZATION_ID, ("AGENT",), "Franco Agent", units=("sales",)),
    DemoUser("agent-gina", "gina", ORGANIZATION_ID, ("AGENT",), "Gina Agent", units=("sales",)),
    DemoUser("agent-hana", "hana", ORGANIZATION_ID, ("AGENT",), "Hana Agent", units=("sales",)),
    DemoUser(
        "sup-sofia",
        "sofia",
        ORGANIZATION_ID,
        ("SUPERVISOR",),
        "Sofia Supervisor",
        supervised_units=("sales",),
    ),
    DemoUser(
        "sup-marco",
        "marco",
        ORGANIZATION_ID,
        ("SUPERVISOR",),
        "Marco Supervisor",
        supervised_units=("support",),
    ),
    DemoUser(
        "mgr-ugo",
        "ugo",
        ORGANIZATION_ID,
        ("UNIT_MANAGER",),
        "Ugo Unit Manager",
        supervised_units=("sales", "support"),
    ),
    DemoUser("admin-ada", "ada", ORGANIZATION_ID, ("ADMIN",), "Ada Administrator"),
    DemoUser("fin-fabio", "fabio", ORGANIZATION_ID, ("FINANCE",), "Fabio Finance"),
    # Runs the platform (creates, lists and disables organizations); a person of no organization.
    DemoUser("op-olga", "olga", PLATFORM, ("OPERATOR",), "Olga Operator"),
)


def email_of(user: DemoUser) -> str:
    return f"{user.username}@example.com"  # as local.issuer.local_user_from makes it


def seed(table_name: str) -> None:
    """Create the demo organization (TABLE_NAME and the AWS endpoint must already be set)."""
    del table_name  # the services read it from the environment, as every handler does
    now = utc_now()
    create_organization(SETTINGS, actor_id=DEMO_ACTOR, now=now)
    directory = local_directory()
    for user in DEMO_USERS:
        if user.organization_id == PLATFORM:
            continue  # the issuer knows the operator; no organization has them as a person
        # The local issuer was started with these users: the directory learns they exist, and creating
        # the person adopts the identity (as a retried creation does), so the demo keeps its user ids.
        directory.register(
            LocalIdentity(
                user_id=user.user_id,
                username=user.username,
                organization_id=user.organization_id,
                roles=user.roles,
                display_name=user.display_name,
                email=email_of(user),
            )
        )
        draft = PersonDraft(
            display_name=user.display_name,
            email=email_of(user),
            roles=frozenset(user.roles),
            units=user.units,
            supervised_units=frozenset(user.supervised_units),
            groups=("agents",) if "AGENT" in user.roles else (),
            employee_number=user.employee_number,
        )
        create_person(user.organization_id, draft, actor_id=DEMO_ACTOR, now=now, directory=directory)
