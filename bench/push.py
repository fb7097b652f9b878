"""Push latency and fan-out parallelism on the local stack (a subprocess, as `make dev` starts it).

- push_latency_ms.p50/.p99: a status change accepted over HTTP (its response received) until the
  subscribed supervisor's socket receives its push, over CHANGES changes.
- fanout_1000.speedup: the fan-out's posting to 1,000 live connections, sequential against the bounded
  pool, through the local gateway's @connections endpoint, in the same run. Each call there takes the
  stack's modelled round trip (20 ms, as a call to execute-api from inside the region): that wait is what
  the pool overlaps; what it cannot overlap is each post's CPU (botocore's request building and signing,
  about 1.7 ms here), so the figure is bounded by round trip / CPU. The 1,000 sockets are held by another
  process, as the supervisors' browsers are elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import time
from typing import Any

import httpx

from bench.rows import Row
from bench.stack import local_stack

CHANGES = 500
CONNECTIONS = 1000
# One change every 50 ms from one agent: 20 a second, while the local stack (one Python process: gateway,
# handlers, moto, poller) also serves the supervisor. The figures are for this pace.
PACE_SECONDS = 0.05


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _latencies(endpoints: dict[str, Any]) -> list[float]:
    from websockets.asyncio.client import connect

    tokens = endpoints["tokens"]
    headers = {"authorization": f"Bearer {tokens['alice']}"}
    received: dict[int, float] = {}
    accepted: dict[int, float] = {}
    async with (
        httpx.AsyncClient(base_url=endpoints["apiUrl"], headers=headers, timeout=30) as alice,
        connect(f"{endpoints['wsUrl']}?token={tokens['sofia']}", max_queue=None, ping_interval=None) as sofia,
    ):
        await sofia.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
        await sofia.recv()
        state = (await alice.get("/me/state")).json()
        if state["status"] == "AWAY":
            await alice.post("/me/clock-in", json={"platform": "web"})

        async def read() -> None:
            while True:
                message = json.loads(await sofia.recv())
                if message.get("type") == "agent.changed" and message["agentId"] == "agent-alice":
                    received.setdefault(message["sequence"], time.perf_counter())

        reader = asyncio.create_task(read())
        run = time.time_ns()
        for number in range(CHANGES):
            reason = ("BREAK", "MEETING")[number % 2]
            for _ in range(5):  # a client retries a 503 (a function timed out on this loaded machine)
                response = await alice.put(
                    "/me/status",
                    json={"status": "UNAVAILABLE", "reason": reason},
                    headers={"Idempotency-Key": f"bench-{run}-{number}"},
                )
                if response.status_code != 503:
                    break
                await asyncio.sleep(0.5)
            moment = time.perf_counter()
            assert response.status_code == 200, (number, response.text)
            accepted[response.json()["agent"]["sequence"]] = moment
            await asyncio.sleep(PACE_SECONDS)
        async with asyncio.timeout(60):
            while not accepted.keys() <= received.keys():
                await asyncio.sleep(0.05)
        reader.cancel()
    # A push may beat the HTTP response to the client: that counts as no wait at all.
    return [max(0.0, received[s] - accepted[s]) * 1000 for s in accepted]


def hold_connections(url: str, count: int, ready: Any, done: Any) -> None:
    """In a process of its own (as the supervisors' browsers are): open `count` subscribed connections,
    read everything pushed to them, close them when `done` is set."""
    from websockets.asyncio.client import connect

    async def hold() -> None:
        sockets = []
        for _ in range(count):
            socket = await connect(url, max_queue=None, ping_interval=None)
            await socket.send(json.dumps({"action": "subscribe", "units": ["support"]}))
            sockets.append(socket)
        for socket in sockets:
            await socket.recv()
        ready.set()

        async def drain(socket: Any) -> None:
            try:
                while True:
                    await socket.recv()
            except Exception:  # closed at the end of the run
                return

        readers = [asyncio.create_task(drain(s)) for s in sockets]
        while not done.is_set():
            await asyncio.sleep(0.05)
        for socket in sockets:
            await socket.close()
        await asyncio.gather(*readers)

    asyncio.run(hold())


def _fanout_speedup(endpoints: dict[str, Any]) -> tuple[float, float, float]:
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoints["motoUrl"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "TABLE_NAME": endpoints["tableName"],
            "WEBSOCKET_ENDPOINT": endpoints["managementUrl"],
        }
    )
    from contactcenter.environment import environment
    from contactcenter.services import fanout
    from contactcenter.store import clients
    from contactcenter.store import connections as connection_store

    environment.cache_clear()
    clients.reset()
    spawn = multiprocessing.get_context("spawn")
    ready, done = spawn.Event(), spawn.Event()
    url = f"{endpoints['wsUrl']}?token={endpoints['tokens']['ugo']}"
    holder = spawn.Process(target=hold_connections, args=(url, CONNECTIONS, ready, done), daemon=True)
    holder.start()
    try:
        if not ready.wait(300):
            raise RuntimeError("could not open the connections")
        ids = sorted(connection_store.subscribers("demo", [connection_store.unit_channel("support")]))
        assert len(ids) >= CONNECTIONS, len(ids)
        message = {"type": "bench", "payload": "x" * 200}
        fanout.post_all(ids[:50], message)  # warm the client and the pool
        start = time.perf_counter()
        sequential = fanout.post_all(ids, message, parallel=False)
        sequential_seconds = time.perf_counter() - start
        start = time.perf_counter()
        parallel = fanout.post_all(ids, message, parallel=True)
        parallel_seconds = time.perf_counter() - start
        assert sequential.delivered == parallel.delivered == len(ids)
    finally:
        done.set()
        holder.join(60)
    return sequential_seconds, parallel_seconds, sequential_seconds / parallel_seconds


def measure() -> list[Row]:
    with local_stack("bench-push-") as endpoints:
        latencies = asyncio.run(_latencies(endpoints))
        sequential, parallel, speedup = _fanout_speedup(endpoints)
    return [
        Row("push_latency_ms.p50", round(statistics.median(latencies), 1), "ms", f"{len(latencies)} changes"),
        Row("push_latency_ms.p99", round(_percentile(latencies, 0.99), 1), "ms", f"{len(latencies)} changes"),
        Row("fanout_1000.sequential_seconds", round(sequential, 3), "s"),
        Row("fanout_1000.parallel_seconds", round(parallel, 3), "s", "pool of 32 threads"),
        Row(
            "fanout_1000.speedup",
            round(speedup, 2),
            "ratio",
            "local @connections endpoint, 20 ms round trip a call as inside a region (docs/local-stack.md)",
        ),
    ]
