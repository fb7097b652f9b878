"""Exact timers on the local stack (a subprocess, as `make dev` starts it).

- wrap_up_end_push_seconds.p50/.p99: agents end work into a two-second wrap-up; from the moment the
  wrap-up ends (its `wrapUpEndsAt`) until the subscribed supervisor's socket receives the push recording
  it (WRAP_UP -> AVAILABLE). The path measured is the product's: the timer sent on the SQS queue (moto)
  with its delay, the local queue mapping, the timers function waiting for the moment, the change written,
  the stream poller at four polls a second, the fan-out. Not measured: SQS's own delivery on AWS (the
  local mapping polls moto every 100 ms, where Lambda long-polls).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import datetime
from typing import Any

import httpx

from bench.rows import Row
from bench.stack import local_stack

AGENTS = ("alice", "bruno", "franco", "gina", "hana")  # all in unit sales, which sofia supervises
ROUNDS = 8
WRAP_UP_SECONDS = 2


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _set_wrap_up(endpoints: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {endpoints['tokens']['ada']}"}
    async with httpx.AsyncClient(base_url=endpoints["apiUrl"], headers=headers, timeout=30) as ada:
        version = (await ada.get("/admin/settings")).json()["version"]
        response = await ada.patch(
            "/admin/routing", json={"wrapUpSeconds": WRAP_UP_SECONDS}, headers={"If-Match": str(version)}
        )
        response.raise_for_status()


async def _delays(endpoints: dict[str, Any]) -> list[float]:
    from websockets.asyncio.client import connect

    tokens = endpoints["tokens"]
    ends: dict[tuple[str, int], float] = {}  # (agent, sequence of the wrap-up's end) -> epoch seconds
    pushed: dict[tuple[str, int], float] = {}
    async with connect(f"{endpoints['wsUrl']}?token={tokens['sofia']}", max_queue=None, ping_interval=None) as sofia:
        await sofia.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
        await sofia.recv()

        async def read() -> None:
            while True:
                message = json.loads(await sofia.recv())
                change = message.get("change") or {}
                if message.get("type") == "agent.changed" and change.get("fromStatus") == "WRAP_UP":
                    pushed.setdefault((message["agentId"], message["sequence"]), time.time())

        async def agent(username: str, start_after: float) -> None:
            await asyncio.sleep(start_after)  # staggered, so the wrap-ups end at different moments
            headers = {"authorization": f"Bearer {tokens[username]}"}
            async with httpx.AsyncClient(base_url=endpoints["apiUrl"], headers=headers, timeout=30) as client:
                if (await client.get("/me/state")).json()["status"] == "AWAY":
                    (await client.post("/me/clock-in", json={"platform": "web"})).raise_for_status()
                for number in range(ROUNDS):
                    item = f"bench-{username}-{number}"
                    path = f"/me/work-items/{item}/events"
                    (await client.post(path, json={"type": "accepted", "channel": "voice"})).raise_for_status()
                    ended = (await client.post(path, json={"type": "ended"})).json()["agent"]
                    key = (f"agent-{username}", ended["sequence"] + 1)
                    ends[key] = datetime.fromisoformat(ended["wrapUpEndsAt"]).timestamp()
                    async with asyncio.timeout(30):
                        while key not in pushed:
                            await asyncio.sleep(0.01)

        reader = asyncio.create_task(read())
        await asyncio.gather(*(agent(username, 0.37 * index) for index, username in enumerate(AGENTS)))
        reader.cancel()
    return [pushed[key] - ends[key] for key in ends]


def measure() -> list[Row]:
    with local_stack("bench-timers-") as endpoints:
        asyncio.run(_set_wrap_up(endpoints))
        delays = asyncio.run(_delays(endpoints))
    note = f"{len(delays)} wrap-ups of {WRAP_UP_SECONDS} s: wrapUpEndsAt to the supervisor's push (local stack)"
    return [
        Row("wrap_up_end_push_seconds.p50", round(statistics.median(delays), 3), "s", note),
        Row("wrap_up_end_push_seconds.p99", round(_percentile(delays, 0.99), 3), "s", note),
        Row("wrap_up_end_push_seconds.early", sum(1 for d in delays if d < 0), "count", "pushed before the moment"),
    ]
