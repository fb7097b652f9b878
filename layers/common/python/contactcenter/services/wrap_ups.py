"""The wrap-up sweep: agents whose wrap-up elapsed get it recorded through the one change path."""

from __future__ import annotations

from datetime import datetime

from contactcenter.agents import Actor
from contactcenter.errors import Conflict, NotFound
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import Settle
from contactcenter.store import agents as agent_store


def settle_due_wrap_ups(now: datetime) -> int:
    settled = 0
    for organization_id, agent_id in agent_store.wrap_ups_due(now):
        try:
            change_agent(organization_id, agent_id, Settle(), actor=Actor.system(), now=now)
        except (Conflict, NotFound):
            continue  # someone else recorded it first (a request, or a concurrent sweep)
        settled += 1
    return settled
