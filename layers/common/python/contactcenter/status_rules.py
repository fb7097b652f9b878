"""Status rules: an organization's thresholds on how long an agent stays in a status, and what happens
at each. Data, validated like the transition policy; pure functions decide when a tier is due and
whether it fires.

A rule matches a status (and optionally a reason, the unit the agent clocked in for, a queue the agent
is logged into) and has tiers: after so many seconds in the status, warn or alert the unit's
supervisors (and the agent if the tier says so), force a status (through `decide`, actor `system`, the
rule named in the note), publish an event. A *stint* is one uninterrupted stay in a status and reason:
it begins at the state's `since` and is named by it, so a tier fires at most once per stint (the
firing is recorded under agent + rule + stint + tier). After a rule fired for an agent, its cooldown
keeps it quiet for that agent until the cooldown has passed since that firing. Units may be exempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from contactcenter.attendance import epoch_ms
from contactcenter.statuses import Status

if TYPE_CHECKING:
    from contactcenter.agents import AgentState  # agents.py reads the settings, which hold the rules

MAX_RULES = 50
MAX_TIERS = 5
MAX_TIER_SECONDS = 24 * 3600
# A forced change leaves the status by hand: the engine's own statuses cannot be left that way.
FORCEABLE_FROM = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.OFFLINE_WORK})
FORCE_TARGETS = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.OFFLINE_WORK, Status.AWAY})


class Notice(StrEnum):
    """How loud a tier is on the dashboard."""

    WARNING = "warning"
    ALERT = "alert"


class ForcedStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    status: Status
    reason: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]{0,39}$")


class RuleTier(BaseModel):
    """What happens once the agent has been `after_seconds` in the matched status."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    after_seconds: int = Field(ge=1, le=MAX_TIER_SECONDS)
    notice: Notice | None = None  # pushed to the unit's supervisors
    notify_agent: bool = False  # the notice also goes to the agent
    force: ForcedStatus | None = None
    publish_event: bool = False  # an EventBridge event (webhooks, ticketing)

    @model_validator(mode="after")
    def _does_something(self) -> RuleTier:
        if self.notice is None and self.force is None and not self.publish_event:
            raise ValueError("tier_does_nothing: a tier notifies, forces a status or publishes an event")
        if self.notify_agent and self.notice is None:
            raise ValueError("agent_notice_without_notice: notifying the agent needs a notice")
        return self


class StatusRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    rule_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=120)
    status: Status
    reason: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]{0,39}$")
    unit_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    queue_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    tiers: tuple[RuleTier, ...] = Field(min_length=1, max_length=MAX_TIERS)
    cooldown_seconds: int = Field(default=0, ge=0, le=MAX_TIER_SECONDS)
    exempt_units: frozenset[str] = frozenset()
    enabled: bool = True

    @model_validator(mode="after")
    def _tiers_in_order(self) -> StatusRule:
        times = [tier.after_seconds for tier in self.tiers]
        if times != sorted(set(times)):
            raise ValueError("tiers_out_of_order: tiers come in strictly increasing after_seconds")
        if self.status is Status.AWAY:
            raise ValueError("rule_on_away: an agent who is clocked out has no stint to watch")
        if self.reason is not None and self.status is not Status.UNAVAILABLE:
            raise ValueError("reason_without_unavailable: only UNAVAILABLE has reasons")
        forcing = [tier for tier in self.tiers if tier.force is not None]
        if forcing and self.status not in FORCEABLE_FROM:
            raise ValueError(f"force_from_automatic: {self.status} ends by itself; a rule on it can only notify")
        if any(tier.force and tier.force.status not in FORCE_TARGETS for tier in forcing):
            raise ValueError("force_to_automatic: ACTIVE and WRAP_UP are set only by the engine")
        if any(tier is not self.tiers[-1] for tier in forcing):
            raise ValueError("force_before_last_tier: forcing ends the stint, so only the last tier can force")
        if self.unit_id is not None and self.unit_id in self.exempt_units:
            raise ValueError("unit_exempt_from_itself: a rule for a unit cannot exempt it")
        return self


RULE_ERRORS = frozenset(
    {
        "tier_does_nothing",
        "agent_notice_without_notice",
        "tiers_out_of_order",
        "rule_on_away",
        "reason_without_unavailable",
        "force_from_automatic",
        "force_to_automatic",
        "force_before_last_tier",
        "unit_exempt_from_itself",
    }
)


# --- matching and timing -------------------------------------------------------------------------


def matches(rule: StatusRule, state: AgentState) -> bool:
    """The agent's current state is one the rule watches."""
    if not rule.enabled or not state.clocked_in or state.since is None or state.status is not rule.status:
        return False
    if rule.reason is not None and state.reason != rule.reason:
        return False
    unit = state.unit_id
    if rule.unit_id is not None and unit != rule.unit_id:
        return False
    if unit is not None and unit in rule.exempt_units:
        return False
    return rule.queue_id is None or rule.queue_id in state.queues


@dataclass(frozen=True)
class Stint:
    """One stay in a status: named by when it began (the state's `since`), to the millisecond."""

    status: Status
    reason: str | None
    since: datetime

    @property
    def key(self) -> str:
        """Epoch milliseconds, zero-padded: keys of one agent's stints sort by time."""
        return f"{epoch_ms(self.since):013d}"


def stint_of(state: AgentState) -> Stint | None:
    if state.since is None or not state.clocked_in:
        return None
    return Stint(state.status, state.reason, state.since)


@dataclass(frozen=True)
class DueTier:
    rule_id: str
    tier: int  # index into the rule's tiers
    due_at: datetime
    stint: Stint


def due_tiers(rules: Sequence[StatusRule], state: AgentState) -> list[DueTier]:
    """Every tier the agent's current stint will reach if nothing changes: one timer each."""
    stint = stint_of(state)
    if stint is None:
        return []
    return [
        DueTier(rule.rule_id, index, stint.since + timedelta(seconds=tier.after_seconds), stint)
        for rule in rules
        if matches(rule, state)
        for index, tier in enumerate(rule.tiers)
    ]


class Verdict(StrEnum):
    FIRE = "fire"
    NOT_YET = "not_yet"  # the rule changed and this tier is later now: wait again
    STINT_OVER = "stint_over"  # the agent left that stay (or the rule no longer matches it)
    COOLING_DOWN = "cooling_down"
    GONE = "gone"  # the rule or tier no longer exists


def judge(
    rules: Sequence[StatusRule],
    rule_id: str,
    tier: int,
    stint_key: str,
    state: AgentState,
    *,
    now: datetime,
    last_fired: Mapping[str, datetime] | None = None,
    this_stint_fired: bool = False,
) -> tuple[Verdict, datetime | None]:
    """Whether a timer for (rule, tier, stint) fires now, on the agent's current state. `last_fired` maps
    rule ids to this agent's latest firing in an earlier stint (for the cooldown). The moment returned is
    when to look again (NOT_YET, COOLING_DOWN) or None."""
    rule = next((r for r in rules if r.rule_id == rule_id), None)
    if rule is None or tier >= len(rule.tiers):
        return Verdict.GONE, None
    stint = stint_of(state)
    if stint is None or stint.key != stint_key or not matches(rule, state):
        return Verdict.STINT_OVER, None
    due = stint.since + timedelta(seconds=rule.tiers[tier].after_seconds)
    if now < due:
        return Verdict.NOT_YET, due
    previous = (last_fired or {}).get(rule_id)
    if not this_stint_fired and previous is not None and rule.cooldown_seconds:
        quiet_until = previous + timedelta(seconds=rule.cooldown_seconds)
        if quiet_until > now:
            return Verdict.COOLING_DOWN, None
    return Verdict.FIRE, None


def force_note(rule: StatusRule, tier: int) -> str:
    """The note a forced change carries: the rule by name, so the history says why."""
    return f"status rule {rule.rule_id} ({rule.name}), tier {tier + 1}"


def rule_view(rule: StatusRule) -> dict[str, object]:
    return {
        "ruleId": rule.rule_id,
        "name": rule.name,
        "status": rule.status.value,
        "reason": rule.reason,
        "unitId": rule.unit_id,
        "queueId": rule.queue_id,
        "tiers": [
            {
                "afterSeconds": tier.after_seconds,
                "notice": tier.notice.value if tier.notice else None,
                "notifyAgent": tier.notify_agent,
                "force": {"status": tier.force.status.value, "reason": tier.force.reason} if tier.force else None,
                "publishEvent": tier.publish_event,
            }
            for tier in rule.tiers
        ],
        "cooldownSeconds": rule.cooldown_seconds,
        "exemptUnits": sorted(rule.exempt_units),
        "enabled": rule.enabled,
    }
