"""The transition policy: which manual status changes an organization allows. Data, not code.

A policy maps each status to the statuses an agent (or a supervisor forcing a change) may move to by
hand. `AWAY` as a target means clock-out; `AWAY -> AVAILABLE` is clock-in. The system's own moves
(work accepted -> ACTIVE, last item ended -> WRAP_UP/AVAILABLE, wrap-up elapsed -> AVAILABLE) are not
part of the policy: they always apply.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from contactcenter.statuses import AUTOMATIC_ONLY, Status

# The system's own moves, used to decide whether every status can still reach AWAY.
AUTOMATIC_MOVES: Mapping[Status, frozenset[Status]] = {
    Status.ACTIVE: frozenset({Status.WRAP_UP, Status.AVAILABLE}),
    Status.WRAP_UP: frozenset({Status.AVAILABLE}),
}


class TransitionPolicy(BaseModel):
    """Allowed manual moves, validated: every status can get back to AWAY, none enters ACTIVE/WRAP_UP."""

    model_config = ConfigDict(frozen=True)

    name: str
    manual: dict[Status, frozenset[Status]]

    @field_validator("manual")
    @classmethod
    def _no_manual_move_into_automatic_statuses(
        cls, manual: dict[Status, frozenset[Status]]
    ) -> dict[Status, frozenset[Status]]:
        for source, targets in manual.items():
            forbidden = targets & AUTOMATIC_ONLY
            if forbidden:
                raise ValueError(
                    f"manual_into_automatic: {source} -> {sorted(forbidden)}; "
                    "ACTIVE and WRAP_UP are set only by the system"
                )
        return manual

    @model_validator(mode="after")
    def _every_status_reaches_away(self) -> TransitionPolicy:
        if Status.AVAILABLE not in self.manual.get(Status.AWAY, frozenset()):
            raise ValueError("clock_in_required: the policy must allow AWAY -> AVAILABLE (clock-in)")
        stranded = sorted(s for s in Status if not _reaches_away(s, self.manual))
        if stranded:
            raise ValueError(f"no_way_back_to_away: {stranded} cannot reach AWAY")
        return self

    def allows(self, source: Status, target: Status) -> bool:
        return target in self.manual.get(source, frozenset())

    def targets(self, source: Status) -> frozenset[Status]:
        return self.manual.get(source, frozenset())


def _reaches_away(start: Status, manual: Mapping[Status, frozenset[Status]]) -> bool:
    seen: set[Status] = set()
    frontier = [start]
    while frontier:
        current = frontier.pop()
        if current is Status.AWAY:
            return True
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(manual.get(current, frozenset()) | AUTOMATIC_MOVES.get(current, frozenset()))
    return False


_S = Status

DEFAULT_POLICY = TransitionPolicy(
    name="default",
    manual={
        _S.AWAY: frozenset({_S.AVAILABLE}),
        _S.AVAILABLE: frozenset({_S.UNAVAILABLE, _S.OFFLINE_WORK, _S.AWAY}),
        _S.UNAVAILABLE: frozenset({_S.AVAILABLE, _S.OFFLINE_WORK, _S.UNAVAILABLE, _S.AWAY}),
        _S.OFFLINE_WORK: frozenset({_S.AVAILABLE, _S.UNAVAILABLE, _S.AWAY}),
        # Clock-out while working is further gated by the organization's setting.
        _S.ACTIVE: frozenset({_S.AWAY}),
        _S.WRAP_UP: frozenset({_S.AWAY}),
    },
)

# Seed 003 (Sagicc): from a pause only to stand-by or out; from stand-by only to available or out.
STRICT_POLICY = TransitionPolicy(
    name="strict",
    manual={
        _S.AWAY: frozenset({_S.AVAILABLE}),
        _S.AVAILABLE: frozenset({_S.UNAVAILABLE, _S.OFFLINE_WORK, _S.AWAY}),
        _S.UNAVAILABLE: frozenset({_S.OFFLINE_WORK, _S.AWAY}),
        _S.OFFLINE_WORK: frozenset({_S.AVAILABLE, _S.AWAY}),
        _S.ACTIVE: frozenset({_S.AWAY}),
        _S.WRAP_UP: frozenset({_S.AWAY}),
    },
)

BUILT_IN_POLICIES = {policy.name: policy for policy in (DEFAULT_POLICY, STRICT_POLICY)}
