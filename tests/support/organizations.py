"""A small organization for tests: two units, agents in each, supervisors of each."""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.organization import OrganizationSettings, Queue, QueueKind, Unit
from contactcenter.people import Person
from contactcenter.services.administration import register_organization, register_person


@dataclass(frozen=True)
class Organization:
    settings: OrganizationSettings
    people: dict[str, Person]

    @property
    def id(self) -> str:
        return self.settings.organization_id


def build(organization_id: str = "acme", **overrides: object) -> Organization:
    settings = OrganizationSettings(
        organization_id=organization_id,
        name=organization_id.title(),
        time_zone="Europe/Rome",
        units=(Unit(unit_id="north", name="North"), Unit(unit_id="south", name="South")),
        queues=(
            Queue(queue_id="support-line", name="Support line", kind=QueueKind.QUEUE),
            Queue(queue_id="web-chat", name="Web chat", kind=QueueKind.CHAT, wrap_up_seconds=0),
            Queue(queue_id="renewals", name="Renewals campaign", kind=QueueKind.CAMPAIGN),
        ),
        **overrides,  # type: ignore[arg-type]
    )
    people = [
        Person(
            organization_id=organization_id,
            user_id="ana",
            display_name="Ana",
            roles=frozenset({"AGENT"}),
            units=("north",),
            groups=("agents",),
            queues=("support-line", "web-chat"),
        ),
        Person(
            organization_id=organization_id,
            user_id="ben",
            display_name="Ben",
            roles=frozenset({"AGENT"}),
            units=("south",),
            groups=("agents",),
            queues=("support-line", "web-chat"),
        ),
        Person(
            organization_id=organization_id,
            user_id="cy",
            display_name="Cy",
            roles=frozenset({"AGENT"}),
            units=("north", "south"),
            groups=("agents",),
        ),
        Person(
            organization_id=organization_id,
            user_id="una",
            display_name="Una (untracked)",
            roles=frozenset({"AGENT"}),
            units=("north",),
            groups=("back-office",),
        ),
        Person(
            organization_id=organization_id,
            user_id="sam",
            display_name="Sam",
            roles=frozenset({"SUPERVISOR"}),
            supervised_units=frozenset({"north"}),
        ),
        Person(
            organization_id=organization_id,
            user_id="sue",
            display_name="Sue",
            roles=frozenset({"SUPERVISOR"}),
            supervised_units=frozenset({"south"}),
        ),
        Person(organization_id=organization_id, user_id="fay", display_name="Fay", roles=frozenset({"FINANCE"})),
        Person(organization_id=organization_id, user_id="ada", display_name="Ada", roles=frozenset({"ADMIN"})),
    ]
    return Organization(settings=settings, people={p.user_id: p for p in people})


def register(organization: Organization) -> Organization:
    register_organization(organization.settings)
    for person in organization.people.values():
        register_person(person, organization.settings)
    return organization


def register_holder(organization_id: str, user_id: str, *roles: str, **fields: object) -> Person:
    """A person holding `roles` (built-in or custom), stored with the organization's current settings:
    every caller is authorized by their record, so a test's caller must be one."""
    from contactcenter.store.organizations import get_settings

    person = Person(
        organization_id=organization_id,
        user_id=user_id,
        display_name=user_id.title(),
        roles=frozenset(roles),
        **fields,  # type: ignore[arg-type]
    )
    register_person(person, get_settings(organization_id, fresh=True))
    return person
