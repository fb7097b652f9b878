"""Catch-up over the socket: every change a reconnecting client missed, in order, within one request's
bounds. The history is read a page at a time; a request delivers at most CATCH_UP_LIMIT changes and
stops while the function has time left to say where it stopped. Past either bound the client is told the
sequences it now holds (`catchup.continue`) and asks again; `caughtup` comes once nothing is left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contactcenter.access import Principal
from contactcenter.services.agent_reads import missed_changes
from contactcenter.services.supervision import require_may_view_agent

CATCH_UP_LIMIT = 1000  # changes per catchup request (the protocol's bound, docs/decisions.md)
PAGE = 100  # changes read per query
TIME_MARGIN_MS = 2000  # what the function keeps for the last post and the closing message


@dataclass(frozen=True)
class Replay:
    complete: bool
    since: dict[str, int] = field(default_factory=dict)  # when not complete: what to send back next


def replay(
    principal: Principal,
    since: Mapping[str, int],
    *,
    deliver: Callable[[dict[str, Any]], object],
    time_left_ms: Callable[[], int],
    limit: int = CATCH_UP_LIMIT,
) -> Replay:
    """Deliver each agent's missed changes, oldest first, agents in id order. Every agent is checked
    before anything is sent: one the caller may not see refuses the whole request."""
    for agent_id in sorted(since):
        require_may_view_agent(principal, agent_id)
    held = dict(since)
    delivered = 0
    for agent_id in sorted(held):
        while True:
            wanted = min(PAGE, limit - delivered)
            if wanted <= 0 or time_left_ms() < TIME_MARGIN_MS:
                return Replay(complete=False, since=_unfinished(held, agent_id))
            page = missed_changes(principal.organization_id, agent_id, after_sequence=held[agent_id], limit=wanted)
            for change in page:
                if time_left_ms() < TIME_MARGIN_MS:
                    return Replay(complete=False, since=_unfinished(held, agent_id))
                deliver(change)
                held[agent_id] = int(change["sequence"])
                delivered += 1
            if len(page) < wanted:
                break  # nothing more for this agent
    return Replay(complete=True)


def _unfinished(held: Mapping[str, int], current: str) -> dict[str, int]:
    """The agents not caught up yet (the current one and those after it), at the sequence each holds now."""
    return {agent_id: sequence for agent_id, sequence in sorted(held.items()) if agent_id >= current}
