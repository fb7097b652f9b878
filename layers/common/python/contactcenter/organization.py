"""An organization's configuration as the status engine reads it: one item, one read, cached briefly."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contactcenter.access import Permission
from contactcenter.schedules import AdherenceSettings
from contactcenter.status_rules import StatusRule
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


class UserGroup(BaseModel):
    """A group of people; attendance tracking applies to the groups the organization tracks."""

    model_config = ConfigDict(frozen=True)

    group_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=120)


class QueueKind(StrEnum):
    QUEUE = "queue"  # voice
    CHAT = "chat"
    CAMPAIGN = "campaign"  # outbound voice


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    CASE = "case"


# The channel whose concurrency limit applies to a queue's work.
CHANNEL_OF_KIND = {
    QueueKind.QUEUE: Channel.VOICE,
    QueueKind.CHAT: Channel.CHAT,
    QueueKind.CAMPAIGN: Channel.VOICE,
}


class Queue(BaseModel):
    model_config = ConfigDict(frozen=True)

    queue_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=120)
    kind: QueueKind = QueueKind.QUEUE
    wrap_up_seconds: int | None = Field(default=None, ge=0, le=3600)  # None: the organization's
    wrap_up_mode: WrapUpMode | None = None  # None: the organization's

    @property
    def channel(self) -> Channel:
        return CHANNEL_OF_KIND[self.kind]


# Work items an agent may hold at once on one channel (offered or in hand), whatever the organization
# sets: with each item at most ~600 bytes, an agent's item stays far below DynamoDB's 400 KB and a push
# about the agent within API Gateway's 128 KB.
WORK_ITEMS_PER_CHANNEL_MAX = 50
DEFAULT_WORK_ITEM_LIMITS = {Channel.VOICE: 5, Channel.CHAT: 10, Channel.CASE: 25}

# Names the time zone database holds that are not regions: the machine's own zone (`localtime`, a
# different one on every host), leap-second variants (`right/...`), POSIX duplicates and placeholders.
NOT_REGIONS = frozenset({"localtime", "posixrules", "Factory"})
NOT_REGION_PREFIXES = ("right/", "posix/")


def is_time_zone_region(name: str) -> bool:
    """An IANA region name the time zone database knows (Europe/Rome, UTC), nothing else it holds."""
    if name in NOT_REGIONS or name.startswith(NOT_REGION_PREFIXES):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


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
    queues: tuple[Queue, ...] = ()
    restrict_unassigned_queues: bool = False
    # Work items an ACTIVE agent may hold per channel before no more is offered.
    concurrency: dict[Channel, int] = Field(
        default_factory=lambda: {Channel.VOICE: 1, Channel.CHAT: 3, Channel.CASE: 5}
    )
    # Work items an agent may hold per channel, offered or in hand: one more is refused (409 work_item_limit).
    work_item_limits: dict[Channel, Annotated[int, Field(ge=1, le=WORK_ITEMS_PER_CHANNEL_MAX)]] = Field(
        default_factory=lambda: dict(DEFAULT_WORK_ITEM_LIMITS)
    )
    console_idle_timeout_seconds: int = Field(default=600, ge=60, le=7200)
    user_groups: tuple[UserGroup, ...] = (UserGroup(group_id="agents", name="Agents"),)
    # Roles defined by the organization beside the built-in ones: name -> the permissions it grants.
    custom_roles: dict[str, frozenset[Permission]] = Field(default_factory=dict)
    # Reasons ever active ("unavailable:BREAK", "clock-out:SICK"): only those could be chosen, so only
    # those can be named by history; they can be retired but not deleted (contactcenter/administration.py).
    reasons_ever_active: frozenset[str] = frozenset()
    # Thresholds on time in a status, and what adheres to each kind of scheduled activity.
    status_rules: tuple[StatusRule, ...] = ()
    adherence: AdherenceSettings = Field(default_factory=AdherenceSettings)
    # A disabled organization keeps its data, but none of its people or integrations is served
    # (contactcenter/edge/principal.py refuses them, the fan-out pushes them nothing).
    disabled: bool = False

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if not is_time_zone_region(value):
            raise ValueError(f"unknown time zone {value!r}: name a region, like Europe/Rome or UTC")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def unit_ids(self) -> frozenset[str]:
        return frozenset(unit.unit_id for unit in self.units)

    def queue(self, queue_id: str) -> Queue | None:
        return next((q for q in self.queues if q.queue_id == queue_id), None)

    def wrap_up_for(self, queue_id: str | None) -> tuple[int, WrapUpMode]:
        """Wrap-up seconds and mode for work from a queue (the queue's own, else the organization's)."""
        queue = self.queue(queue_id) if queue_id else None
        seconds = queue.wrap_up_seconds if queue and queue.wrap_up_seconds is not None else self.wrap_up_seconds
        mode = queue.wrap_up_mode if queue and queue.wrap_up_mode else self.wrap_up_mode
        return seconds, mode

    def work_item_limit(self, channel: Channel) -> int:
        return self.work_item_limits.get(channel, DEFAULT_WORK_ITEM_LIMITS[channel])

    def unavailable_reason(self, code: str) -> Reason | None:
        return next((r for r in self.unavailable_reasons if r.code == code and r.active), None)

    def clock_out_reason(self, code: str) -> Reason | None:
        return next((r for r in self.clock_out_reasons if r.code == code and r.active), None)


def reason_menu(settings: OrganizationSettings) -> dict[str, list[dict[str, Any]]]:
    """The reasons a person may choose now (active ones), as clients show them in their menus."""

    def shown(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
        return [
            {"code": r.code, "label": r.label, "needsDescription": r.needs_description} for r in reasons if r.active
        ]

    return {"unavailable": shown(settings.unavailable_reasons), "clockOut": shown(settings.clock_out_reasons)}
