"""People of an organization as the rules see them: who they are, their units, what they supervise."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from contactcenter.access import Permission, Principal, permissions_for
from contactcenter.errors import Forbidden

# Payroll systems' numbers: letters, digits and . _ / -, beginning with a letter or digit (so never a
# spreadsheet formula), at most 32 characters.
EMPLOYEE_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$"


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    organization_id: str
    user_id: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,128}$")
    display_name: str = Field(min_length=1, max_length=120)
    roles: frozenset[str]
    units: tuple[str, ...] = ()  # units the person works in (agents)
    supervised_units: frozenset[str] = frozenset()  # units a supervisor or unit manager watches
    groups: tuple[str, ...] = ()  # user groups (attendance tracking applies per group)
    queues: tuple[str, ...] = ()  # standing queue membership (agents)
    employee_number: str | None = Field(default=None, pattern=EMPLOYEE_NUMBER)  # payroll's number, optional

    def supervises(self, unit_id: str | None) -> bool:
        return unit_id is not None and unit_id in self.supervised_units


def principal_of(
    person: Person | None,
    *,
    retired: bool,
    organization_disabled: bool,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> Principal:
    """What a person may do, from their record as it stands and their organization's: refused when the
    organization is disabled, or the person unknown to it or retired. A token's own roles play no part."""
    if organization_disabled:
        raise Forbidden("this organization is disabled", rule="organization_disabled")
    if person is None:
        raise Forbidden("you are not a person of this organization", rule="unknown_person")
    if retired:
        raise Forbidden("you were retired from this organization", rule="person_retired")
    return Principal(
        organization_id=person.organization_id,
        user_id=person.user_id,
        roles=person.roles,
        permissions=permissions_for(person.roles, custom_roles),
        supervised_units=person.supervised_units,
    )
