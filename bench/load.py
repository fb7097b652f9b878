"""`make load`: a bounded load run on the local stack, then the checks that nothing was lost.

The stack runs as a subprocess, as `make dev` starts it (bench/stack.py). The administrator adds agents to the demo
organization through the admin API; the supervisors of both units and the manager of both connect over
WebSocket and subscribe; then a fixed number of operations runs with bounded concurrency: agents change
status (one request at a time per agent, as a person does), supervisors pause agents (racing the agents'
own changes), supervisors read dashboards, agents read their state and history. Every change carries an
Idempotency-Key; a 503 or a dropped connection is retried with the same key.

Then, with the stream drained:
- history: every accepted change is in its agent's history exactly once, and the history holds nothing
  no accepted request asked for (sequence numbers 1..n, no gap, no extra);
- pushes: each supervisor connection's stream per agent arrived in order, or its gap was detected by
  the sequence numbers and recovered with the `catchup` action; after a last catch-up (what a client
  does on reconnecting) every change is held exactly once and no gap went undetected;
- report: an on-demand attendance report for today (finance), cut at its request time, adds up per
  agent (statuses to clocked seconds, reasons to unavailable seconds) and equals the day's totals
  computed here from the history (each change booked at its whole second).

Figures (operations per second, responses by status, p50/p99 latencies) are printed, written to
bench/load-results.json and to the "Load run" section of docs/benchmarks.md. Exits non-zero if a check
fails. `LOAD_OPERATIONS` and `LOAD_CONCURRENCY` override the defaults (2,000 and 8).
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import os
import platform
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.stack import local_stack

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = int(os.environ.get("LOAD_OPERATIONS", "2000"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "8"))
EXTRA_AGENTS_PER_UNIT = 12
SEED = 9
REPORT_REQUESTS = 3
ATTEMPTS = 6  # per request: the first and five retries of a 503 or a dropped connection
# Demo agents working in one unit (dev works in both: which unit hears his changes depends on the
# unit he clocks into, so he is left out to keep the expected pushes exact).
DEMO_AGENTS = {
    "agent-alice": "sales",
    "agent-bruno": "sales",
    "agent-franco": "sales",
    "agent-gina": "sales",
    "agent-chiara": "support",
    "agent-elena": "support",
}
DEMO_USERNAMES = {"agent-alice": "alice", "agent-bruno": "bruno", "agent-franco": "franco", "agent-gina": "gina"}
DEMO_USERNAMES |= {"agent-chiara": "chiara", "agent-elena": "elena"}
# (user, units subscribed, lossy): each unit's supervisor, and the manager of both twice, once on a lossy line.
WATCHERS = (
    ("sofia", ("sales",), False),
    ("marco", ("support",), False),
    ("ugo", ("sales", "support"), False),
    ("ugo", ("sales", "support"), True),
)
UNAVAILABLE_REASONS = ("BREAK", "MEETING", "BACK_OFFICE")
WORKING = ("AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK")
TRACKED = ("available", "active", "wrap_up", "offline_work", "unavailable")
MIX = (("change", 70), ("pause", 5), ("dashboard", 10), ("state", 8), ("history", 7))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOAD_START = "<!-- load:start -->"
LOAD_END = "<!-- load:end -->"


# --- requests and what they answered -------------------------------------------------------------


@dataclass
class Figures:
    answers: Counter[str] = field(default_factory=Counter)  # final status per operation
    attempts: Counter[str] = field(default_factory=Counter)  # status per attempt (retries included)
    refusals: Counter[str] = field(default_factory=Counter)  # "409 concurrent_change" and the like
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    accepted: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # idempotency key -> entries
    operations: int = 0


class Api:
    def __init__(self, client: httpx.AsyncClient, figures: Figures) -> None:
        self.client, self.figures = client, figures

    async def call(
        self, kind: str, method: str, path: str, token: str, *, body: Any = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"authorization": f"Bearer {token}"} | ({"idempotency-key": key} if key else {})
        status, answer = 0, None
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            try:
                response = await self.client.request(method, path, json=body, headers=headers)
                status, answer = response.status_code, (response.json() if response.content else None)
            except httpx.TransportError:
                status, answer = 0, None  # the answer was lost: send the same request again
            self.figures.latencies[kind].append((time.perf_counter() - started) * 1000)
            self.figures.attempts[str(status or "transport")] += 1
            if status not in (0, 502, 503, 504) or (method != "GET" and key is None):
                break
            await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
        self.figures.answers[str(status or "transport")] += 1
        if status >= 400 and isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            self.figures.refusals[f"{status} {answer['error'].get('rule', answer['error'].get('code'))}"] += 1
        return status, answer


# --- agents and supervisors ----------------------------------------------------------------------


@dataclass
class Agent:
    user_id: str
    unit: str
    token: str
    status: str = "AWAY"
    reason: str | None = None
    allowed: tuple[str, ...] = ()
    sequence: int = 0
    stale: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def learn(self, view: dict[str, Any]) -> None:
        self.status, self.reason, self.sequence = view["status"], view.get("reason"), int(view.get("sequence", 0))
        self.allowed = tuple(view.get("allowedStatuses") or ())
        self.stale = False


async def _token(client: httpx.AsyncClient, username: str, **claims: Any) -> str:
    response = await client.post("/_local/tokens", json={"username": username, "claims": claims})
    response.raise_for_status()
    return str(response.json()["token"])


async def create_agents(client: httpx.AsyncClient, tokens: dict[str, str]) -> list[Agent]:
    """The demo agents of one unit, and new ones added by the administrator through the admin API."""
    agents = [Agent(user_id, unit, tokens[DEMO_USERNAMES[user_id]]) for user_id, unit in DEMO_AGENTS.items()]
    admin = {"authorization": f"Bearer {tokens['ada']}"}
    run = uuid.uuid4().hex[:6]
    for unit in ("sales", "support"):
        for number in range(EXTRA_AGENTS_PER_UNIT):
            email = f"load-{run}-{unit}-{number}@example.com"
            body = {"email": email, "displayName": f"Load {unit} {number}", "roles": ["AGENT"], "units": [unit]}
            body["groups"] = ["agents"]
            response = await client.post("/admin/people", json=body, headers=admin)
            if response.status_code != 201:
                raise RuntimeError(f"creating an agent: {response.status_code} {response.text}")
            user_id = response.json()["userId"]
            # The local issuer signs any claims: a Cognito ID token of the new person.
            token = await _token(
                client,
                "alice",
                sub=user_id,
                email=email,
                name=body["displayName"],
                **{"cognito:username": email, "cognito:groups": ["AGENT"]},
            )
            agents.append(Agent(user_id, unit, token))
    return agents


def _next_change(agent: Agent, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """The next thing this agent does, from what the API last said it may do."""
    if agent.status == "AWAY":
        return "POST", "/me/clock-in", {"platform": rng.choice(("web", "app"))}
    if rng.random() < 0.06:
        return "POST", "/me/clock-out", {"reason": rng.choice(("END_OF_SHIFT", "SICK"))}
    choices = [s for s in agent.allowed if s in WORKING and s != agent.status]
    if agent.status == "UNAVAILABLE" and "UNAVAILABLE" in agent.allowed:
        choices.append("UNAVAILABLE")  # another reason
    target = rng.choice(choices or ["AVAILABLE"])
    body: dict[str, Any] = {"status": target}
    if target == "UNAVAILABLE":
        body["reason"] = rng.choice([r for r in UNAVAILABLE_REASONS if r != agent.reason])
    return "PUT", "/me/status", body


class Load:
    def __init__(self, api: Api, agents: list[Agent], tokens: dict[str, str]) -> None:
        self.api, self.agents, self.tokens = api, agents, tokens
        self.rng = random.Random(SEED)

    async def refresh(self, agent: Agent) -> None:
        status, body = await self.api.call("state", "GET", "/me/state", agent.token)
        if status == 200:
            agent.learn(body)

    async def change(self, agent: Agent) -> None:
        async with agent.lock:
            if agent.stale:
                await self.refresh(agent)
            method, path, body = _next_change(agent, self.rng)
            key = uuid.uuid4().hex
            status, answer = await self.api.call("change", method, path, agent.token, body=body, key=key)
            if status == 200:
                agent.learn(answer["agent"])
                self._accept(key, answer)
            else:
                await self.refresh(agent)

    async def pause(self, agent: Agent) -> None:
        """A supervisor of the agent's unit pauses them, racing whatever the agent does meanwhile."""
        if agent.status not in ("AVAILABLE", "OFFLINE_WORK"):
            return await self.dashboard(agent.unit)
        supervisor = "sofia" if agent.unit == "sales" else "marco"
        key = uuid.uuid4().hex
        status, answer = await self.api.call(
            "change",
            "POST",
            f"/agents/{agent.user_id}/pause",
            self.tokens[supervisor],
            body={"reason": "MEETING"},
            key=key,
        )
        if status == 200:
            self._accept(key, answer)
        agent.stale = True
        return None

    def _accept(self, key: str, answer: dict[str, Any]) -> None:
        agent_id = answer["agent"]["agentId"]
        self.api.figures.accepted[key] = [(agent_id, int(c["sequence"])) for c in answer["changes"]]

    async def dashboard(self, unit: str) -> None:
        supervisor = "sofia" if unit == "sales" else "marco"
        await self.api.call("dashboard", "GET", f"/units/{unit}/dashboard?limit=200", self.tokens[supervisor])

    async def operation(self, kind: str, agent: Agent) -> None:
        self.api.figures.operations += 1
        if kind == "change":
            await self.change(agent)
        elif kind == "pause":
            await self.pause(agent)
        elif kind == "dashboard":
            await self.dashboard(agent.unit)
        elif kind == "state":
            await self.api.call("state", "GET", "/me/state", agent.token)
        else:
            await self.api.call("history", "GET", "/me/history?limit=20", agent.token)

    async def run(self, operations: int, concurrency: int) -> float:
        kinds, weights = zip(*MIX, strict=True)
        plan = [(self.rng.choices(kinds, weights)[0], self.rng.choice(self.agents)) for _ in range(operations)]
        queue: asyncio.Queue[tuple[str, Agent]] = asyncio.Queue()
        for item in plan:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                kind, agent = queue.get_nowait()
                await self.operation(kind, agent)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


# --- pushes --------------------------------------------------------------------------------------


@dataclass
class PushStream:
    """One supervisor connection's view of each agent's changes, by sequence number."""

    name: str
    baselines: dict[str, int]  # agent -> the sequence it was at when the connection subscribed
    high: dict[str, int] = field(default_factory=dict)  # agent -> the highest sequence received
    seen: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    flagged: set[tuple[str, int]] = field(default_factory=set)  # sequences a detected gap left out
    received: int = 0
    in_order: int = 0
    gaps: int = 0
    late: int = 0  # arrived after a later one: a detected gap filled (by catch-up or a late push)
    duplicates: int = 0
    foreign: int = 0  # changes of agents not in this load (dev)

    def __post_init__(self) -> None:
        self.high = dict(self.baselines)

    def take(self, agent_id: str, sequence: int) -> int | None:
        """Records a push; returns the sequence to catch up from when it reveals a gap."""
        self.received += 1
        if agent_id not in self.baselines:
            self.foreign += 1
            return None
        seen, high = self.seen[agent_id], self.high[agent_id]
        if sequence in seen or sequence <= self.baselines[agent_id]:
            self.duplicates += 1
            return None
        seen.add(sequence)
        if sequence <= high:
            self.late += 1
            return None
        self.high[agent_id] = sequence
        if sequence == high + 1:
            self.in_order += 1
            return None
        self.gaps += 1
        self.flagged.update((agent_id, s) for s in range(high + 1, sequence))
        return self.contiguous(agent_id)

    def contiguous(self, agent_id: str) -> int:
        """The last sequence up to which this connection holds every change: where a catch-up starts."""
        held, seen = self.baselines[agent_id], self.seen[agent_id]
        while held + 1 in seen:
            held += 1
        return held


class Watcher:
    """A supervisor's WebSocket session: subscribes, reads every message, catches up on gaps."""

    def __init__(self, url: str, stream: PushStream, units: tuple[str, ...], *, lossy: bool = False) -> None:
        self.url, self.stream, self.units = url, stream, units
        # A lossy client loses the first copy of some pushes, as a flaky network would: its gaps must be
        # detected and recovered like any other.
        self.lossy = lossy
        self.lost: set[tuple[str, int]] = set()
        self.caught_up: dict[str, asyncio.Event] = {}
        self.catchups = 0
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from websockets.asyncio.client import connect

        self._socket = await connect(self.url, max_queue=None, ping_interval=None, open_timeout=30)
        await self._socket.send(json.dumps({"action": "subscribe", "units": list(self.units), "requestId": "s"}))
        while json.loads(await self._socket.recv()).get("type") != "subscribed":
            pass
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._socket:
            message = json.loads(raw)
            if message.get("type") == "agent.changed":
                change = (message["agentId"], int(message["sequence"]))
                if self.lossy and change[1] % 7 == 3 and change not in self.lost:
                    self.lost.add(change)
                    continue
                after = self.stream.take(*change)
                if after is not None:
                    await self.catch_up({message["agentId"]: after})
            elif message.get("type") == "caughtup" and message.get("requestId") in self.caught_up:
                self.caught_up[message["requestId"]].set()

    async def catch_up(self, since: dict[str, int]) -> asyncio.Event:
        request_id = uuid.uuid4().hex[:16]
        self.caught_up[request_id] = asyncio.Event()
        self.catchups += 1
        await self._socket.send(json.dumps({"action": "catchup", "since": since, "requestId": request_id}))
        return self.caught_up[request_id]

    async def finish(self) -> None:
        """What a client does on reconnecting: ask for everything after the last sequence it holds."""
        done = await self.catch_up({agent: self.stream.contiguous(agent) for agent in self.stream.baselines})
        await asyncio.wait_for(done.wait(), timeout=60)
        await asyncio.sleep(0.5)
        await self._socket.close()
        if self._reader is not None:
            await self._reader


# --- checks --------------------------------------------------------------------------------------


async def read_history(client: httpx.AsyncClient, agent: Agent) -> list[dict[str, Any]]:
    """The agent's whole history, oldest first, through GET /me/history."""
    entries: list[dict[str, Any]] = []
    before: int | None = None
    headers = {"authorization": f"Bearer {agent.token}"}
    for _ in range(10_000):  # pages of 100; bounded by the history's length
        query = "?limit=100" + (f"&before={before}" if before else "")
        response = await client.get("/me/history" + query, headers=headers)
        response.raise_for_status()
        page = response.json()
        entries.extend(page["entries"])
        before = page.get("nextBefore")
        if not before:
            break
    return sorted(entries, key=lambda e: int(e["sequence"]))


def check_history(figures: Figures, histories: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    claimed = Counter(entry for entries in figures.accepted.values() for entry in entries)
    stored = Counter((agent_id, int(e["sequence"])) for agent_id, entries in histories.items() for e in entries)
    contiguous = all(
        [int(e["sequence"]) for e in entries] == list(range(1, len(entries) + 1)) for entries in histories.values()
    )
    return {
        "accepted_changes": sum(claimed.values()),
        "history_entries": sum(stored.values()),
        "lost": sum(1 for entry in claimed if entry not in stored),
        "claimed_twice": sum(1 for count in claimed.values() if count > 1),
        "unclaimed_entries": sum(1 for entry in stored if entry not in claimed),
        "sequence_gaps_in_history": 0 if contiguous else 1,
    }


def check_pushes(watchers: list[Watcher], finals: dict[str, int]) -> dict[str, int]:
    figures: Counter[str] = Counter()
    for watcher in watchers:
        stream = watcher.stream
        expected = {(a, s) for a, base in stream.baselines.items() for s in range(base + 1, finals[a] + 1)}
        held = {(a, s) for a, seen in stream.seen.items() for s in seen}
        figures["pushes_received"] += stream.received
        figures["in_order"] += stream.in_order
        figures["gaps_detected"] += stream.gaps
        figures["late_or_caught_up"] += stream.late
        figures["duplicates_dropped"] += stream.duplicates
        figures["catchup_requests"] += watcher.catchups
        figures["lost_on_purpose_by_the_lossy_client"] += len(watcher.lost)
        figures["missing_after_catchup"] += len(expected - held)
        figures["undetected_gaps"] += len({e for e in expected - held if e not in stream.flagged})
        figures["unexpected"] += len(held - expected)
    return dict(figures)


def _booked_totals(entries: list[dict[str, Any]], start: int, end: int) -> tuple[Counter[str], int]:
    """Seconds per status (and UNAVAILABLE reason) between start and end, each change booked at the whole
    second it happened in (never before the change before it); and the clock-ins in that time."""
    totals: Counter[str] = Counter()
    booked, clock_ins = 0, 0
    bounds: list[tuple[int, str, str | None]] = []
    for entry in entries:
        at = int(datetime.fromisoformat(entry["at"]).timestamp() * 1000) // 1000
        booked = max(booked, at)
        bounds.append((booked, entry["toStatus"], entry.get("reason")))
        if entry["fromStatus"] == "AWAY" and entry["toStatus"] != "AWAY" and start <= booked < end:
            clock_ins += 1
    for index, (moment, status, reason) in enumerate(bounds):
        until = bounds[index + 1][0] if index + 1 < len(bounds) else end
        seconds = max(0, min(until, end) - max(moment, start))
        if status != "AWAY" and seconds:
            totals[status.lower()] += seconds
            if status == "UNAVAILABLE" and reason:
                totals[f"unavailable_{reason.lower()}"] += seconds
    return totals, clock_ins


def _epoch_ms(text: str) -> int:
    return (datetime.fromisoformat(text) - EPOCH) // timedelta(milliseconds=1)


def _history_day_ms(entries: list[dict[str, Any]], midnight_ms: int) -> tuple[Counter[str], Counter[str]]:
    """Milliseconds per status and per UNAVAILABLE reason since local midnight, up to the last change."""
    per_status: Counter[str] = Counter()
    per_reason: Counter[str] = Counter()
    for entry, following in itertools.pairwise(entries):
        if entry["toStatus"] == "AWAY":
            continue
        spent = max(0, _epoch_ms(following["at"]) - max(_epoch_ms(entry["at"]), midnight_ms))
        per_status[entry["toStatus"]] += spent
        if entry["toStatus"] == "UNAVAILABLE" and entry.get("reason"):
            per_reason[entry["reason"]] += spent
    return per_status, per_reason


async def check_day_totals(
    client: httpx.AsyncClient, agents: list[Agent], histories: dict[str, list[dict[str, Any]]], zone: ZoneInfo
) -> dict[str, int]:
    """Each agent's `today` totals, which every change keeps up to date in the agent's state, against the
    same totals computed here from the history, to the millisecond."""
    today = datetime.now(UTC).astimezone(zone).date()
    midnight_ms = (datetime(today.year, today.month, today.day, tzinfo=zone) - EPOCH) // timedelta(milliseconds=1)
    result: Counter[str] = Counter()
    for agent in agents:
        response = await client.get("/me/state", headers={"authorization": f"Bearer {agent.token}"})
        response.raise_for_status()
        state = response.json()
        totals = state.get("today") or {}
        if totals.get("day") != today.isoformat():
            result["agents_without_today"] += 1
            continue
        per_status, per_reason = _history_day_ms(histories[agent.user_id], midnight_ms)
        result["state_totals_checked"] += 1
        result["statuses_differing"] += {k: v for k, v in totals["perStatusMs"].items() if v} != dict(+per_status)
        result["reasons_differing"] += {k: v for k, v in totals["perReasonMs"].items() if v} != dict(+per_reason)
    return dict(result)


async def _finished_job(client: httpx.AsyncClient, headers: dict[str, str], day: str) -> dict[str, Any]:
    """A finished report job of `day`. The stream retries a failed run twice, then parks it; then the
    report is asked for again, as a person would (the local stack's moto slows down as the table grows,
    and the functions' 5-second AWS timeouts can run out while this machine is busy)."""
    polled: dict[str, Any] = {}
    for request in range(REPORT_REQUESTS):
        job = await client.post("/reports/jobs", json={"from": day, "to": day}, headers=headers)
        job.raise_for_status()
        job_id = job.json()["jobId"]
        for _ in range(480):  # half a second each: four minutes at most
            polled = (await client.get(f"/reports/jobs/{job_id}", headers=headers)).json()
            if polled["state"] == "done":
                polled["requests"] = request + 1
                return polled
            await asyncio.sleep(0.5)  # a failed run is retried by the stream: wait for it
    raise RuntimeError(f"no report job finished: {polled}")


async def check_report(
    client: httpx.AsyncClient, tokens: dict[str, str], histories: dict[str, list[dict[str, Any]]], zone: ZoneInfo
) -> dict[str, int]:
    """Finance's on-demand report of today against the day computed here from the history."""
    headers = {"authorization": f"Bearer {tokens['fabio']}"}
    today = datetime.now(UTC).astimezone(zone).date()
    try:
        polled = await _finished_job(client, headers, today.isoformat())
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return {"report_job_unfinished": 1}
    url = next(f["url"] for f in polled["files"] if f["name"] == "attendance.csv")
    rows = {row["agent_id"]: row for row in csv.DictReader(io.StringIO((await client.get(url)).text))}
    start = int(datetime(today.year, today.month, today.day, tzinfo=zone).timestamp())
    # A job covers up to the end of the second it was asked for in (docs/reports.md).
    until = int(datetime.fromisoformat(polled["requestedAt"]).timestamp()) + 1
    result: Counter[str] = Counter({"job_requests": polled["requests"]})
    for agent_id, entries in histories.items():
        totals, clock_ins = _booked_totals(entries, start, until)
        row = rows.get(agent_id)
        if row is None:
            result["agents_missing" if sum(totals.values()) else "agents_idle"] += 1
            continue
        result["agents"] += 1
        clocked = int(row["clocked_seconds"])
        result["rows_not_adding_up"] += clocked != sum(int(row[f"{s}_seconds"]) for s in TRACKED)
        reasons = sum(int(v) for k, v in row.items() if k.startswith("unavailable_") and k != "unavailable_seconds")
        result["reasons_not_adding_up"] += reasons != int(row["unavailable_seconds"])
        differs = any(int(row.get(f"{name}_seconds") or 0) != seconds for name, seconds in totals.items())
        result["rows_differing_from_history"] += differs or clocked != sum(totals[s] for s in TRACKED)
        result["clocked_seconds"] += clocked
        result["sessions_differing"] += int(row["sessions"]) < clock_ins
    return dict(result)


# --- the run -------------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1) if ordered else 0.0


async def _drain(client: httpx.AsyncClient) -> None:
    response = await client.post("/_local/streams/drain", json={"timeout": 120}, timeout=180)
    if response.status_code != 200:
        raise RuntimeError("the stream did not drain in two minutes")


async def run(endpoints: dict[str, Any]) -> dict[str, Any]:
    tokens = dict(endpoints["tokens"])
    figures = Figures()
    limits = httpx.Limits(max_connections=CONCURRENCY + 4, max_keepalive_connections=CONCURRENCY + 4)
    async with httpx.AsyncClient(base_url=endpoints["apiUrl"], timeout=60, limits=limits) as client:
        agents = await create_agents(client, tokens)
        settings = (await client.get("/admin/settings", headers={"authorization": f"Bearer {tokens['ada']}"})).json()
        zone = ZoneInfo(settings.get("timeZone") or settings.get("settings", {}).get("timeZone", "Europe/Rome"))
        await _drain(client)
        load = Load(Api(client, figures), agents, tokens)
        watchers = []
        for supervisor, units, lossy in WATCHERS:
            stream = PushStream(supervisor, {})
            watchers.append(Watcher(f"{endpoints['wsUrl']}?token={tokens[supervisor]}", stream, units, lossy=lossy))
            await watchers[-1].start()
        for agent in agents:  # after subscribing: every later change must reach the connections
            await load.refresh(agent)
        for watcher in watchers:
            heard = {a.user_id: a.sequence for a in agents if a.unit in watcher.units}
            watcher.stream.baselines = heard
            watcher.stream.high = dict(heard)
        figures.latencies.clear()
        figures.attempts.clear()
        figures.answers.clear()
        seconds = await load.run(OPERATIONS, CONCURRENCY)
        await _drain(client)
        histories = {agent.user_id: await read_history(client, agent) for agent in agents}
        finals = {agent_id: len(entries) for agent_id, entries in histories.items()}
        await asyncio.sleep(1.0)  # pushes already posted reach the sockets
        for watcher in watchers:
            await watcher.finish()
        report = await check_day_totals(client, agents, histories, zone)
        report |= await check_report(client, tokens, histories, zone)
    return _summary(figures, seconds, agents, watchers, histories, finals, report)


def _summary(
    figures: Figures,
    seconds: float,
    agents: list[Agent],
    watchers: list[Watcher],
    histories: dict[str, list[dict[str, Any]]],
    finals: dict[str, int],
    report: dict[str, int],
) -> dict[str, Any]:
    every = [value for values in figures.latencies.values() for value in values]
    latency = {"all": {"p50": _percentile(every, 0.5), "p99": _percentile(every, 0.99), "count": len(every)}}
    for kind, values in sorted(figures.latencies.items()):
        latency[kind] = {"p50": _percentile(values, 0.5), "p99": _percentile(values, 0.99), "count": len(values)}
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}",
        "operations": figures.operations,
        "concurrency": CONCURRENCY,
        "agents": len(agents),
        "supervisor_connections": len(watchers),
        "seconds": round(seconds, 2),
        "operations_per_second": round(figures.operations / seconds, 1),
        "requests_per_second": round(sum(figures.attempts.values()) / seconds, 1),
        "answers_by_status": dict(sorted(figures.answers.items())),
        "attempts_by_status": dict(sorted(figures.attempts.items())),
        "refusals": dict(sorted(figures.refusals.items())),
        "latency_ms": latency,
        "history": check_history(figures, histories),
        "pushes": check_pushes(watchers, finals),
        "report": report,
    }


def failures(summary: dict[str, Any]) -> list[str]:
    history, pushes, report = summary["history"], summary["pushes"], summary["report"]
    problems = [f"history.{k} = {history[k]}" for k in ("lost", "claimed_twice", "unclaimed_entries") if history[k]]
    problems += [f"history.sequence_gaps_in_history = {history['sequence_gaps_in_history']}"] * bool(
        history["sequence_gaps_in_history"]
    )
    problems += [
        f"pushes.{k} = {pushes[k]}" for k in ("missing_after_catchup", "undetected_gaps", "unexpected") if pushes[k]
    ]
    keys = ("rows_not_adding_up", "reasons_not_adding_up", "rows_differing_from_history", "agents_missing")
    keys += ("statuses_differing", "reasons_differing", "report_job_unfinished", "agents_without_today")
    problems += [f"report.{k} = {report[k]}" for k in keys if report.get(k)]
    if summary["answers_by_status"].get("500") or summary["answers_by_status"].get("transport"):
        problems.append(f"answers: {summary['answers_by_status']}")
    return problems


def write_section(summary: dict[str, Any]) -> None:
    """The "Load run" section of docs/benchmarks.md, after the generated table (which `make bench` owns)."""
    latency = summary["latency_ms"]
    lines = [
        LOAD_START,
        f"Measured {summary['date']} on {summary['machine']} by `make load` "
        f"({summary['operations']} operations, {summary['concurrency']} at a time, {summary['agents']} agents, "
        f"{summary['supervisor_connections']} supervisor connections).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| operations per second | {summary['operations_per_second']} |",
        f"| HTTP requests per second (retries included) | {summary['requests_per_second']} |",
        f"| wall time of the operations | {summary['seconds']} s |",
    ]
    for kind, values in latency.items():
        lines.append(
            f"| latency `{kind}` p50 / p99 ({values['count']} requests) | {values['p50']} / {values['p99']} ms |"
        )
    lines.append(f"| answers by status | {_inline(summary['answers_by_status'])} |")
    lines.append(f"| attempts by status | {_inline(summary['attempts_by_status'])} |")
    lines.append(f"| refusals (status and rule) | {_inline(summary['refusals']) or 'none'} |")
    for section in ("history", "pushes", "report"):
        lines.append(f"| {section} | {_inline(summary[section])} |")
    lines.append(LOAD_END)
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if LOAD_START in text:
        start, end = text.index(LOAD_START), text.index(LOAD_END) + len(LOAD_END)
        text = text[:start] + "\n".join(lines) + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n## Load run\n\n" + "\n".join(lines) + "\n"
    path.write_text(text)


def _inline(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items())


def main() -> int:
    with local_stack("load-") as endpoints:
        summary = asyncio.run(run(endpoints))
    (ROOT / "bench" / "load-results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    problems = failures(summary)
    if problems:
        print("LOAD RUN FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    write_section(summary)
    print("every accepted change in the history once; no undetected push gap; the report adds up", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
