"""An organization's configuration as the status engine reads it: one item, one read, cached briefly."""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contactcenter.statuses import Platform
from contactcenter.transitions import DEFAULT_POLICY, TransitionPolicy


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=80)
    active: bool = True
    needs_description: bool = False


class WrapUpMode(StrEnum):
    OPTIONAL = "optional"  # the agent may end wrap-up early
    TIMEBOXED = "timeboxed"  # only the timer (or a supervisor) ends it


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=120)


DEFAULT_UNAVAILABLE_REASONS = (
    Reason(code="BREAK", label="On a break"),
    Reason(code="MEETING", label="In a meeting"),
    Reason(code="BACK_OFFICE", label="Back-office work"),
    Reason(code="OTHER", label="Other", needs_description=True),
)
DEFAULT_CLOCK_OUT_REASONS = (
    Reason(code="END_OF_SHIFT", label="End of shift"),
    Reason(code="SICK", label="Sick"),
    Reason(code="OTHER", label="Other", needs_description=True),
)


class OrganizationSettings(BaseModel):
    """Everything a change needs to know about its organization."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    name: str = ""
    time_zone: str = "UTC"
    version: int = 0
    units: tuple[Unit, ...] = ()
    tracking_enabled: bool = True
    tracked_groups: frozenset[str] = frozenset({"agents"})
    clock_in_platforms: frozenset[Platform] = frozenset(Platform)
    clock_out_while_active: bool = False
    unavailable_reasons: tuple[Reason, ...] = DEFAULT_UNAVAILABLE_REASONS
    clock_out_reasons: tuple[Reason, ...] = DEFAULT_CLOCK_OUT_REASONS
    wrap_up_seconds: int = Field(default=30, ge=0, le=3600)
    wrap_up_mode: WrapUpMode = WrapUpMode.OPTIONAL
    break_on_reject: bool = True
    policy: TransitionPolicy = DEFAULT_POLICY

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def unit_ids(self) -> frozenset[str]:
        return frozenset(unit.unit_id for unit in self.units)

    def unavailable_reason(self, code: str) -> Reason | None:
        return next((r for r in self.unavailable_reasons if r.code == code and r.active), None)

    def clock_out_reason(self, code: str) -> Reason | None:
        return next((r for r in self.clock_out_reasons if r.code == code and r.active), None)
