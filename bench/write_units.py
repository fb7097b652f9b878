"""Write units a change costs, from the real requests' item sizes (bench/recorder.py) and DynamoDB's rules.

An agent of a 20-unit organization, in one unit, logged into one queue, whose day so far has some time in
four statuses and two unavailable reasons (today's totals ride on the agent's items). The real service code
(services/agent_changes.py) writes the change; the recorder measures each item written, table and index.
DynamoDB's rules: an item costs ceil(size / 1 KB) write units, twice that inside a transaction; each index
the item is in costs the same again for the index entry (an ALL projection: the item), doubled too inside
a transaction (as this project counts it; AWS bills index writes of a transaction at the standard rate, so
the figures are an upper bound).

- write_units.status_change: PUT /me/status UNAVAILABLE(BREAK) with an Idempotency-Key, table and index.
- write_units.status_change.table / .index: the same, split.
- write_units.clock_in: POST /me/clock-in, with an Idempotency-Key.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta

from bench.recorder import Recorder, Write
from bench.rows import Row

START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
KB = 1024


def units(writes: list[Write]) -> tuple[int, int]:
    """(table, index) write units of one request's writes."""
    table = index = 0
    for write in writes:
        cost = max(1, math.ceil(write.size / KB)) * (2 if write.transactional else 1)
        if write.partition[0] == "table":
            table += cost
        else:
            index += cost
    return table, index


def _changes() -> dict[str, tuple[int, int, list[Write]]]:
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "TABLE_NAME": "contactcenter-write-units",
            "TIMER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/timers",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from bench.hot_keys import _settings, unvalidated_clients
    from contactcenter.agents import Actor, ActorKind, AgentState
    from contactcenter.environment import environment
    from contactcenter.services.administration import create_organization
    from contactcenter.services.agent_changes import change_agent
    from contactcenter.status import ClockIn, ClockOut, LogIntoQueue, SetStatus
    from contactcenter.statuses import Platform, Status
    from contactcenter.store import agents as agent_store
    from contactcenter.store import organizations

    environment.cache_clear()
    organizations.forget_cached_settings()
    agent_store.forget_known_states()
    recorder = Recorder()
    measured: dict[str, tuple[int, int, list[Write]]] = {}
    with unvalidated_clients() as (dynamodb, sqs), recorder.attached(dynamodb, sqs):
        create_organization(_settings("acme"), actor_id="bench", now=START - timedelta(days=1))
        agent = AgentState(
            organization_id="acme",
            agent_id="agent-0001",
            display_name="Ana Agent",
            units=("u3",),
            groups=("agents",),
            assigned_queues=("q3",),
        )
        agent_store.create_profile(agent)
        actor = Actor(ActorKind.AGENT, agent.agent_id)
        moment = START

        def change(name: str | None, action: object) -> None:
            nonlocal moment
            moment += timedelta(minutes=7)
            change_agent(
                "acme", agent.agent_id, action, actor=actor, now=moment, idempotency_key=f"key-{moment.isoformat()}"
            )  # type: ignore[arg-type]
            if name:
                measured[name] = (*units(recorder.writes), list(recorder.writes))

        # A morning: in and out once, time in several statuses and reasons (today's totals grow).
        change(None, ClockIn(Platform.WEB))
        change(None, SetStatus(Status.UNAVAILABLE, "MEETING"))
        change(None, ClockOut("END_OF_SHIFT"))
        change("clock_in", ClockIn(Platform.WEB))
        change(None, LogIntoQueue("q3"))
        change("status_change", SetStatus(Status.UNAVAILABLE, "BREAK"))
    return measured


def measure() -> list[Row]:
    measured = _changes()
    rows: list[Row] = []
    for name, (table, index, writes) in measured.items():
        sizes = ", ".join(f"{w.partition[0]} {w.size} B" for w in writes)
        rows.append(Row(f"write_units.{name}", table + index, "WCU", f"table {table} + index {index}: {sizes}"))
    table, index, _ = measured["status_change"]
    rows.append(Row("write_units.status_change.table", table, "WCU", "one queue, with an idempotency key"))
    rows.append(Row("write_units.status_change.index", index, "WCU", "one queue, with an idempotency key"))
    return rows
