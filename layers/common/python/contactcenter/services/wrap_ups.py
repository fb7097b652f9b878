"""The wrap-up sweep, the timers' backstop: agents whose wrap-up elapsed (and whose timer never came) get
it recorded through the one change path, organization by organization (each has its own index shards)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from contactcenter.agents import Actor
from contactcenter.errors import Conflict, NotFound
from contactcenter.services.agent_changes import change_agent
from contactcenter.status import Settle
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store

# 1,000 organizations are 4,000 queries a minute: side by side, a few seconds, not most of the minute.
CONCURRENT_QUERIES = 16


def settle_due_wrap_ups(now: datetime) -> int:
    organizations: list[str | None] = [None]  # None: the partition all shared before the shards
    organizations += [organization_id for organization_id, _ in organization_store.list_organizations()]
    with ThreadPoolExecutor(CONCURRENT_QUERIES) as pool:
        due = [
            found for batch in pool.map(lambda o: agent_store.wrap_ups_due(o, now), organizations) for found in batch
        ]
    settled = 0
    for organization_id, agent_id in due:
        try:
            change_agent(organization_id, agent_id, Settle(), actor=Actor.system(), now=now)
        except (Conflict, NotFound):
            continue  # someone else recorded it first (a request, a timer, or a concurrent sweep)
        settled += 1
    return settled
