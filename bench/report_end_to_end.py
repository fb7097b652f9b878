"""The daily attendance files end to end on the local stack: 1,000 agents, 50,000 changes, from the table
to the files in S3.

Row:
  report_1k_agents.seconds  from moving the scheduler's clock to the hourly run that finds the day over
                            (30 minutes after the organization's local midnight, on the next whole hour)
                            until the day's manifest.json is in S3

The stack is the one `make dev` starts (local.stack.LocalStack in this process, moto in a process of its
own), seeded before its stream poller starts, so nothing seeded is pushed: one organization in Europe/Rome
with 10 units of 100 agents and a supervisor each, created through the administration service as the
admin API creates them; the days before the measured one compiled (before any history exists, as the
hourly runs did back then), so the measured run compiles the one day, as it does once the earlier days
are done; then the day's history, bench/reports.py's shifts (one agent in ten on a night shift from the
evening before), each entry the item write_change writes, 25 a BatchWriteItem (store/agents.load_history).
Seeding is not timed.

The day measured is tomorrow's local date: the scheduler's clock only moves forward, and the clock's own
hourly runs in real time (which compile days already over) never reach it. The files are checked before
the figure is reported: every file against the manifest (bytes, SHA-256, rows), one attendance and one
session row per agent, the supervisor actions of the day, and every agent's seconds per status and reason
equal to what attend() computes from the same history in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import reports as report_bench
from bench.rows import Row
from contactcenter.attendance import COMPILE_GRACE, AgentHistory, Day, day_of, local_date

AGENTS = 1_000
CHANGES = 50_000
UNITS = 10
ORGANIZATION_ID = "bench-reports"
TIME_ZONE = "Europe/Rome"  # bench/reports.py's zone
SCHEDULE = "compile-daily-attendance"
SEED_ACTOR = "bench-seed"
DEADLINE_SECONDS = 900.0  # the reports function's timeout
POLL_SECONDS = 0.05
# The clock is set this long before the run, then moved past it: the stack's own ticker never gets there first.
SCENE_LEAD = timedelta(seconds=30)
_STATUS_COLUMNS = ("available", "active", "wrap_up", "offline_work")


def _unit(number: int) -> str:
    return f"unit-{number * UNITS // AGENTS:02d}"


def _supervisor(unit: str) -> str:
    return f"sup-{unit}"


def _moment(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms // 1000, UTC) + timedelta(milliseconds=at_ms % 1000)


def _first_run_after(day: Day) -> datetime:
    """The hourly run (rate(1 hour): on the hour, UTC) that first finds the day over by the grace."""
    due = day.end + int(COMPILE_GRACE.total_seconds())
    return datetime.fromtimestamp(-(-due // 3600) * 3600, UTC)


# --- seeding -------------------------------------------------------------------------------------


def _settings() -> Any:
    from contactcenter.organization import OrganizationSettings, Unit

    units = tuple(Unit(unit_id=_unit(n), name=f"Unit {_unit(n)[-2:]}") for n in range(0, AGENTS, AGENTS // UNITS))
    return OrganizationSettings(organization_id=ORGANIZATION_ID, name="Report bench", time_zone=TIME_ZONE, units=units)


def _people(histories: Sequence[AgentHistory], now: datetime) -> None:
    from contactcenter.administration import PersonDraft
    from contactcenter.services.administration import create_organization, create_person
    from contactcenter.store.identity_local import LocalIdentity, LocalIdentityDirectory

    settings = _settings()
    create_organization(settings, actor_id=SEED_ACTOR, now=now)
    # A directory of this run's own: the identities keep the history's agent ids (adopted, as a retried
    # creation adopts them).
    directory = LocalIdentityDirectory()
    drafts = [
        (
            _supervisor(unit.unit_id),
            PersonDraft(
                f"Supervisor {unit.unit_id}",
                f"{_supervisor(unit.unit_id)}@example.com",
                frozenset({"SUPERVISOR"}),
                supervised_units=frozenset({unit.unit_id}),
            ),
        )
        for unit in settings.units
    ]
    drafts += [
        (
            agent.agent_id,
            PersonDraft(
                agent.display_name,
                f"{agent.agent_id}@example.com",
                frozenset({"AGENT"}),
                units=(_unit(number),),
                groups=("agents",),
            ),
        )
        for number, agent in enumerate(histories)
    ]
    for user_id, draft in drafts:
        directory.register(
            LocalIdentity(
                user_id, draft.email, ORGANIZATION_ID, tuple(sorted(draft.roles)), draft.display_name, draft.email
            )
        )
        create_person(ORGANIZATION_ID, draft, actor_id=SEED_ACTOR, now=now, directory=directory)


def _changes(histories: Sequence[AgentHistory]) -> Iterator[tuple[Any, Any]]:
    """Each entry as the product records it, with the agent as it is after the entry."""
    from contactcenter.agents import Actor, ActorKind, AgentState, EntryKind, HistoryEntry
    from contactcenter.statuses import Platform, Status

    for number, history in enumerate(histories):
        unit = _unit(number)
        state = AgentState(
            organization_id=ORGANIZATION_ID,
            agent_id=history.agent_id,
            display_name=history.display_name,
            units=(unit,),
            groups=("agents",),
        )
        for entry in history.entries:
            at = _moment(entry.at_ms)
            status = Status(entry.to_status)
            clocked_in = status is not Status.AWAY
            actor = ActorKind(entry.actor_kind)
            recorded = HistoryEntry(
                sequence=entry.sequence,
                at=at,
                kind=EntryKind(entry.kind),
                from_status=Status(entry.from_status),
                to_status=status,
                reason=entry.reason,
                note=None,
                actor=Actor(actor, history.agent_id if actor is ActorKind.AGENT else _supervisor(unit)),
                platform=Platform.WEB,
                unit_id=unit,
            )
            state = replace(
                state,
                status=status,
                since=at,
                reason=entry.reason,
                unit_id=unit if clocked_in else None,
                platform=Platform.WEB if clocked_in else None,
                idle_since=at if status is Status.AVAILABLE else state.idle_since,
                sequence=entry.sequence,
            )
            yield state, recorded


def _seeder(histories: Sequence[AgentHistory], day: Day) -> Any:
    def seed(table_name: str) -> None:
        del table_name  # the services read it from the environment, as every handler does
        from contactcenter.services.reports import compile_day
        from contactcenter.store.agents import load_history
        from contactcenter.store.organizations import forget_cached_settings

        now = datetime.now(UTC)
        _people(histories, now)
        # The days the stack's real-time hourly runs could look at, and the one before the measured day.
        for back in (3, 2, 1):
            compile_day(ORGANIZATION_ID, day.date - timedelta(days=back), now=now)
        written = load_history(_changes(histories))
        assert written == CHANGES, written
        forget_cached_settings()  # the functions share this process: their environments start cold

    return seed


# --- measuring -----------------------------------------------------------------------------------


class _Requests:
    """DynamoDB requests per operation made by the reports function (its threads and its pool's)."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.counting = False
        client.meta.events.register("before-call.dynamodb.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        # The runtime runs each function on threads named after it; the report's readers are its own pool's.
        thread = threading.current_thread().name
        if self.counting and (thread.startswith("lambda-reports") or not thread.startswith("lambda-")):
            self.counts[model.name] += 1


def _compile_day(stack: Any, day: Day) -> tuple[float, Counter[str], list[Any]]:
    """Seconds from the clock's move until the manifest is in S3; the requests made meanwhile."""
    from contactcenter.store import clients
    from contactcenter.store import reports as report_store

    scheduler = stack.scheduler
    run = _first_run_after(day)
    scheduler.advance_to(run - SCENE_LEAD, fire=False)
    prefix = report_store.daily_prefix(ORGANIZATION_ID, day.date)
    assert not report_store.manifest_exists(prefix)
    requests = _Requests(clients.dynamodb())
    firings: list[Any] = []
    mover = threading.Thread(target=lambda: firings.extend(scheduler.advance_to(run)), name="bench-clock")
    requests.counting = True
    started = time.perf_counter()
    mover.start()
    while not report_store.manifest_exists(prefix):
        if time.perf_counter() - started > DEADLINE_SECONDS:
            raise AssertionError(f"no manifest after {DEADLINE_SECONDS} s")
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    requests.counting = False
    mover.join(DEADLINE_SECONDS)
    return seconds, requests.counts, firings


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def _verify(day: Day, histories: Sequence[AgentHistory], firings: Sequence[Any]) -> dict[str, list[dict[str, str]]]:
    """Every file against the manifest, and the day's figures against attend() over the same history."""
    from contactcenter.store import reports as report_store

    compiled = [f for f in firings if f.schedule == SCHEDULE]
    assert len(compiled) == 1 and compiled[0].ok, firings
    prefix = report_store.daily_prefix(ORGANIZATION_ID, day.date)
    manifest = json.loads(report_store.read_object(prefix + "manifest.json") or b"null")
    assert manifest["kind"] == "daily" and manifest["timeZone"] == TIME_ZONE, manifest
    assert manifest["period"]["from"] == manifest["period"]["to"] == day.date.isoformat(), manifest
    names = [f["name"] for f in manifest["files"]]
    assert sorted(names) == ["attendance.csv", "sessions.csv", "supervisor-actions.csv"], names
    tables: dict[str, list[dict[str, str]]] = {}
    for listed in manifest["files"]:
        content = report_store.read_object(prefix + listed["name"])
        assert content is not None, listed
        assert (len(content), hashlib.sha256(content).hexdigest()) == (listed["bytes"], listed["sha256"]), listed
        tables[listed["name"]] = rows = _csv(content)
        assert len(rows) == listed["rows"] == content.count(b"\n") - 1, listed
    assert len(tables["attendance.csv"]) == AGENTS
    assert len(tables["sessions.csv"]) == AGENTS  # one shift each; a night shift's part after midnight
    in_day = range(day.start * 1000, day.end * 1000)
    by_supervisors = sum(e.actor_kind == "supervisor" and e.at_ms in in_day for h in histories for e in h.entries)
    assert len(tables["supervisor-actions.csv"]) == by_supervisors
    expected = report_bench.compute(day, histories)
    found = {row["agent_id"]: _seconds(row) for row in tables["attendance.csv"]}
    assert found == {agent: {k: v for k, v in seconds.items() if v} for agent, seconds in expected.items()}
    return tables


def _seconds(row: dict[str, str]) -> dict[tuple[str, str], int]:
    seconds = {(status.upper(), ""): int(row[f"{status}_seconds"]) for status in _STATUS_COLUMNS}
    for column, value in row.items():
        if column.startswith("unavailable_") and column != "unavailable_seconds":
            seconds[("UNAVAILABLE", column.removeprefix("unavailable_").removesuffix("_seconds").upper())] = int(value)
    return {key: value for key, value in seconds.items() if value}


def _forget_process_state() -> None:
    from contactcenter.environment import environment
    from contactcenter.store import agents, clients, organizations

    environment.cache_clear()
    clients.reset()
    organizations.forget_cached_settings()
    agents.forget_known_states()


def measure() -> list[Row]:
    from local.stack import LocalStack

    on = local_date(datetime.now(UTC), report_bench.ZONE) + timedelta(days=1)
    day, histories = report_bench.history(AGENTS, CHANGES, on=on)
    assert day == day_of(on, report_bench.ZONE) and sum(len(h.entries) for h in histories) == CHANGES
    saved = dict(os.environ)
    os.environ.update({"LOG_LEVEL": "WARNING", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    _forget_process_state()
    stack = LocalStack(seed=_seeder(histories, day))
    try:
        started = time.perf_counter()
        stack.start()
        seeded = time.perf_counter() - started
        seconds, requests, firings = _compile_day(stack, day)
        _verify(day, histories, firings)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        _forget_process_state()
    queries = requests.get("Query", 0)
    # One history query per agent, plus the people, the organizations and the supervision log; never a scan.
    assert queries <= AGENTS + 10 and "Scan" not in requests, requests
    note = (
        f"{AGENTS:,} agents, {CHANGES:,} changes in one Europe/Rome day; local stack, moto in its own process; "
        f"{sum(requests.values()):,} DynamoDB requests ({queries:,} queries, no scan); "
        f"seeding {seeded:.0f} s, untimed"
    )
    return [Row("report_1k_agents.seconds", round(seconds, 1), "s", note)]


if __name__ == "__main__":
    for row in measure():
        print(row.as_json())
