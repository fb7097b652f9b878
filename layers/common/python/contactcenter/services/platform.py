"""The platform operator's work: organizations created with their first administrator, listed, disabled.

A disabled organization keeps its data; its people's and integrations' requests get 403
(`organization_disabled`: edge/principal.check_organization_enabled, at the edge and in the authorizers)
and its schedules skip it (store/organizations.list_organizations leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contactcenter.access import Role
from contactcenter.administration import PersonDraft, new_organization
from contactcenter.errors import Invalid
from contactcenter.identity import IdentityDirectory
from contactcenter.services import administration
from contactcenter.store import organizations as organization_store

# Operators' tokens name this organization (infra/naming.py PLATFORM_ORGANIZATION); none may be created.
PLATFORM_ORGANIZATION = "platform"


@dataclass(frozen=True)
class NewOrganization:
    organization_id: str
    name: str
    time_zone: str
    administrator_email: str
    administrator_name: str


def create_organization(
    draft: NewOrganization, *, actor_id: str, now: datetime, directory: IdentityDirectory | None = None
) -> dict[str, Any]:
    """The organization (settings version 0, audited) and its first administrator, who is invited."""
    if draft.organization_id == PLATFORM_ORGANIZATION:
        raise Invalid("this id is the platform operators'", field="organizationId", rule="reserved")
    settings = new_organization(draft.organization_id, name=draft.name, time_zone=draft.time_zone)
    organization = administration.create_organization(settings, actor_id=actor_id, now=now)
    administrator = administration.create_person(
        draft.organization_id,
        PersonDraft(
            display_name=draft.administrator_name,
            email=draft.administrator_email,
            roles=frozenset({Role.ADMIN.value}),
        ),
        actor_id=actor_id,
        now=now,
        directory=directory,
    )
    return {"organization": organization, "administrator": administrator}


def list_organizations() -> list[dict[str, Any]]:
    return [
        {
            "organizationId": entry.organization_id,
            "name": entry.name,
            "timeZone": entry.time_zone,
            "disabled": entry.disabled,
        }
        for entry in organization_store.list_directory()
    ]


def set_disabled(organization_id: str, disabled: bool) -> dict[str, Any]:
    organization_store.set_disabled(organization_id, disabled)
    return {"organizationId": organization_id, "disabled": disabled}
