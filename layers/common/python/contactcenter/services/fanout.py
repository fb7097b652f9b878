"""Push stream changes to the WebSocket connections subscribed to them.

Posts go out in parallel on a bounded pool: one slow or failing connection never holds back the
others, a gone connection (410) is forgotten, and no failure of one post fails the record (the record is
only retried when finding the subscribers fails, so nobody gets a push twice because someone else failed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from contactcenter.store import connections as connection_store

logger = Logger(child=True)

POOL_SIZE = 32


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="push")


@dataclass
class PushOutcome:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def channels_for_change(image: Mapping[str, Any]) -> list[str]:
    """Who hears about a change to an agent: the agent's unit and the agent's own channel."""
    agent = image.get("agent") or {}
    units = agent.get("units") or []
    unit = agent.get("unitId") or (units[0] if units else None)
    channels = [connection_store.agent_channel(image["agentId"])]
    if unit:
        channels.append(connection_store.unit_channel(unit))
    return channels


def message_for_change(image: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "sequence",
        "at",
        "kind",
        "fromStatus",
        "toStatus",
        "reason",
        "note",
        "actorKind",
        "actorId",
        "platform",
        "unitId",
    )
    return {
        "type": "agent.changed",
        "organizationId": image["organizationId"],
        "agentId": image["agentId"],
        "sequence": image["sequence"],
        "change": {key: image.get(key) for key in keys},
        "agent": image.get("agent"),
    }


def push(organization_id: str, channels: Iterable[str], message: dict[str, Any]) -> PushOutcome:
    targets = sorted(connection_store.subscribers(organization_id, channels))
    return post_all(targets, message)


def post_all(connection_ids: list[str], message: dict[str, Any], *, parallel: bool = True) -> PushOutcome:
    outcome = PushOutcome()
    if parallel:
        futures = {cid: _pool().submit(connection_store.post, cid, message) for cid in connection_ids}
        results = {cid: future.exception() for cid, future in futures.items()}
    else:
        results = {cid: _post_catching(cid, message) for cid in connection_ids}
    for connection_id, error in results.items():
        if error is None:
            outcome.delivered += 1
        elif isinstance(error, connection_store.ConnectionGone):
            outcome.gone.append(connection_id)
        else:
            logger.warning("push failed", extra={"connection_id": connection_id, "error": repr(error)})
            outcome.failed.append(connection_id)
    for connection_id in outcome.gone:
        connection_store.close_connection_records(connection_id)
    return outcome


def _post_catching(connection_id: str, message: dict[str, Any]) -> BaseException | None:
    try:
        connection_store.post(connection_id, message)
    except Exception as error:  # one connection's failure is recorded, never raised to the others
        return error
    return None
