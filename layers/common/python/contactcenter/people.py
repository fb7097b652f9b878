"""People of an organization as the rules see them: who they are, their units, what they supervise."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
