"""Read paths of the status engine: history, routing. They query and return rows; no aggregate is loaded."""

from __future__ import annotations

from typing import Any

from contactcenter.errors import NotFound
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store


def history(organization_id: str, agent_id: str, *, limit: int, before: int | None) -> dict[str, Any]:
    """Newest first; `nextBefore` pages backwards."""
    items = agent_store.history_items(organization_id, agent_id, limit=limit, before_sequence=before)
    entries = [{k: v for k, v in item.items() if k not in _STORAGE_KEYS} for item in items]
    next_before = entries[-1]["sequence"] if len(entries) == limit and entries[-1]["sequence"] > 1 else None
    return {"entries": entries, "nextBefore": next_before}


def missed_changes(organization_id: str, agent_id: str, *, after_sequence: int, limit: int) -> list[dict[str, Any]]:
    """What a reconnecting client missed: the entries after the sequence it holds, oldest first."""
    items = agent_store.history_since(organization_id, agent_id, after_sequence=after_sequence, limit=limit)
    return [{k: v for k, v in item.items() if k not in _STORAGE_KEYS} for item in items]


def routable_agents(organization_id: str, queue_id: str, *, limit: int) -> dict[str, Any]:
    settings = organization_store.get_settings(organization_id)
    if settings.queue(queue_id) is None:
        raise NotFound(f"no queue {queue_id!r}", field="queueId", rule="unknown_queue")
    return {"queueId": queue_id, "agents": agent_store.routable_agents(organization_id, queue_id, limit=limit)}


_STORAGE_KEYS = frozenset({"pk", "sk", "entity", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})
