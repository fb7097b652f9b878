"""Demo data for `make dev`: one organization, two units, agents in both, two supervisors, an
administrator and a finance user. Written through the application's own services."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.organization import OrganizationSettings, Queue, QueueKind, Unit
from contactcenter.people import Person
from contactcenter.services.administration import register_organization, register_person

ORGANIZATION_ID = "demo"


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    username: str
    organization_id: str
    roles: tuple[str, ...]
    display_name: str
    units: tuple[str, ...] = ()
    supervised_units: tuple[str, ...] = ()


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
)


def seed(table_name: str) -> None:
    """Create the demo organization (TABLE_NAME and the AWS endpoint must already be set)."""
    del table_name  # the services read it from the environment, as every handler does
    register_organization(SETTINGS)
    for user in DEMO_USERS:
        register_person(
            Person(
                organization_id=user.organization_id,
                user_id=user.user_id,
                display_name=user.display_name,
                roles=frozenset(user.roles),
                units=user.units,
                supervised_units=frozenset(user.supervised_units),
                groups=("agents",) if "AGENT" in user.roles else (),
            ),
            SETTINGS,
        )
