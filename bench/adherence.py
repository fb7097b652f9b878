"""Live adherence recomputed after a schedule change, for a unit of 1,000 agents, against the local
stack's moto (a subprocess, as `make dev` starts it).

- adherence_recompute_ms.p50/.p99: 1,000 agents of one unit are created and clocked in, each scheduled for
  today; each run replaces every agent's schedule for today (work, then a meeting in its place, and back)
  and times `services.adherence.recompute` of the 1,000: read their states, the day's schedules and the
  stored adherence, judge, and write the 1,000 changed views (their stream records then push them), plus
  the timers for their next checks. Measured in this process against the stack's moto server, so every
  request is a real HTTP round trip to it; AWS's own latency (a few ms a request, 8 writers side by side)
  is not modelled.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.rows import Row
from bench.stack import local_stack
from bench.timers import _percentile

AGENTS = 1_000
RUNS = 10
UNIT = "bench-floor"


def _point_at(endpoints: dict[str, Any]) -> None:
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoints["motoUrl"],
            "AWS_DEFAULT_REGION": str(endpoints.get("region", "us-east-1")),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "TABLE_NAME": endpoints["tableName"],
            "TIMER_QUEUE_URL": endpoints["timerQueueUrl"],
        }
    )
    from contactcenter.environment import environment

    environment.cache_clear()


def _runs(endpoints: dict[str, Any]) -> list[float]:
    _point_at(endpoints)
    from contactcenter.administration import AuditEntry
    from contactcenter.agents import Actor, ActorKind, local_day
    from contactcenter.organization import Unit
    from contactcenter.people import Person
    from contactcenter.schedules import Activity, ActivityKind, AgentSchedule
    from contactcenter.services import adherence
    from contactcenter.services.administration import register_person
    from contactcenter.services.agent_changes import change_agent
    from contactcenter.status import ClockIn
    from contactcenter.statuses import Platform
    from contactcenter.store import organizations as organization_store
    from contactcenter.store import schedules as schedule_store

    organization_id = "demo"
    record = organization_store.read_settings(organization_id)
    settings = record.settings
    if UNIT not in settings.unit_ids():
        after = settings.model_copy(
            update={"units": (*settings.units, Unit(unit_id=UNIT, name="Bench floor")), "version": settings.version + 1}
        )
        audit = AuditEntry(organization_id, datetime.now(UTC), "bench", "unit.create", "settings", after.version)
        organization_store.save_settings(record, after, audit)
        organization_store.forget_cached_settings()
        settings = organization_store.get_settings(organization_id, fresh=True)
    ids = [f"bench-agent-{n:04d}" for n in range(AGENTS)]
    for agent_id in ids:
        person = Person(
            organization_id=organization_id,
            user_id=agent_id,
            display_name=agent_id,
            roles=frozenset({"AGENT"}),
            units=(UNIT,),
            groups=("agents",),
        )
        register_person(person, settings)
        change_agent(
            organization_id,
            agent_id,
            ClockIn(Platform.WEB),
            actor=Actor(ActorKind.AGENT, agent_id),
            now=datetime.now(UTC),
        )
    durations = []
    for run in range(RUNS):
        now = datetime.now(UTC).replace(microsecond=0)
        today = datetime.fromisoformat(local_day(now, settings)).date()
        start, end = int((now - timedelta(hours=1)).timestamp()), int((now + timedelta(hours=1)).timestamp())
        day = settings.zone
        first = int(datetime(today.year, today.month, today.day, tzinfo=day).timestamp())
        start, end = max(start, first), min(end, first + 86_400 - 3_600)
        kind = ActivityKind.WORK if run % 2 == 0 else ActivityKind.MEETING
        schedules = [AgentSchedule(agent_id, today, (Activity(kind, start, end),)) for agent_id in ids]
        audit = AuditEntry(organization_id, now, "bench", "schedule.import.bench", "schedules", 0)
        schedule_store.import_schedules(organization_id, schedules, audit)
        began = time.perf_counter()
        result = adherence.recompute(organization_id, agent_ids=ids, now=datetime.now(UTC))
        durations.append((time.perf_counter() - began) * 1000)
        assert result.agents == AGENTS and result.changed == AGENTS, result
    return durations


def measure() -> list[Row]:
    with local_stack("bench-adherence-") as endpoints:
        durations = _runs(endpoints)
    note = f"{RUNS} schedule changes of a {AGENTS}-agent unit: recompute and store every view (local stack's moto)"
    return [
        Row("adherence_recompute_ms.p50", round(statistics.median(durations)), "ms", note),
        Row("adherence_recompute_ms.p99", round(_percentile(durations, 0.99)), "ms", note),
    ]
