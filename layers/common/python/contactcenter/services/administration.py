"""Setting an organization up: its settings and its people (the admin API grows on these)."""

from __future__ import annotations

from contactcenter.access import Role
from contactcenter.agents import AgentState
from contactcenter.errors import Invalid
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store


def register_organization(settings: OrganizationSettings) -> None:
    organization_store.put_settings(settings, expected_version=None)


def register_person(person: Person, settings: OrganizationSettings) -> None:
    """Store the person; an agent also gets the item that carries their live state."""
    unknown = (set(person.units) | set(person.supervised_units)) - settings.unit_ids()
    if unknown:
        raise Invalid(f"unknown units {sorted(unknown)}", field="units", rule="unknown_unit")
    unknown_queues = sorted(q for q in person.queues if settings.queue(q) is None)
    if unknown_queues:
        raise Invalid(f"unknown queues {unknown_queues}", field="queues", rule="unknown_queue")
    organization_store.put_person(person)
    if Role.AGENT in person.roles:
        agent_store.create_profile(
            AgentState(
                organization_id=person.organization_id,
                agent_id=person.user_id,
                display_name=person.display_name,
                units=person.units,
                groups=person.groups,
                assigned_queues=person.queues,
            )
        )
