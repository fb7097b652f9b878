"""Status rules firing on the local stack (a subprocess, as `make dev` starts it).

- rule_fire_latency_ms.p50/.p99: a rule whose one tier warns after two seconds in UNAVAILABLE with a reason
  kept for the bench; agents of unit sales take that pause, staggered, round after round; from the tier's
  moment (the agent's `since` + 2 s) until supervisor sofia's socket receives the `rule.fired` push. The
  path is the product's: the change's stream record to the watch consumer, the timer sent on the SQS
  queue (moto) with its delay, the local queue mapping, the timers function waiting for the moment and
  firing (one transaction), the stream poller at four polls a second, the fan-out. Not measured: SQS's own
  delivery on AWS (the local mapping polls moto every 100 ms, where Lambda long-polls).
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
from bench.timers import _percentile

AGENTS = ("alice", "bruno", "franco", "gina", "hana")  # all in unit sales, which sofia supervises
ROUNDS = 6
AFTER_SECONDS = 2
REASON = "RULE_BENCH"
RULE = {
    "ruleId": "bench",
    "name": "Bench pause",
    "status": "UNAVAILABLE",
    "reason": REASON,
    "tiers": [{"afterSeconds": AFTER_SECONDS, "notice": "warning"}],
}


async def _configure(endpoints: dict[str, Any]) -> None:
    headers = {"authorization": f"Bearer {endpoints['tokens']['ada']}"}
    async with httpx.AsyncClient(base_url=endpoints["apiUrl"], headers=headers, timeout=30) as ada:

        async def version() -> dict[str, str]:
            return {"If-Match": str((await ada.get("/admin/settings")).json()["version"])}

        added = await ada.post(
            "/admin/reasons/unavailable", json={"code": REASON, "label": "Bench"}, headers=await version()
        )
        added.raise_for_status()
        (await ada.put("/admin/status-rules", json={"statusRules": [RULE]}, headers=await version())).raise_for_status()


async def _latencies(endpoints: dict[str, Any]) -> list[float]:
    from websockets.asyncio.client import connect

    tokens = endpoints["tokens"]
    due: dict[tuple[str, str], float] = {}  # (agent, stint since) -> the tier's moment, epoch seconds
    pushed: dict[tuple[str, str], float] = {}
    async with connect(f"{endpoints['wsUrl']}?token={tokens['sofia']}", max_queue=None, ping_interval=None) as sofia:
        await sofia.send(json.dumps({"action": "subscribe", "units": ["sales"]}))
        await sofia.recv()

        async def read() -> None:
            while True:
                message = json.loads(await sofia.recv())
                if message.get("type") == "rule.fired" and message.get("ruleId") == "bench":
                    key = (message["agentId"], datetime.fromisoformat(message["since"]).isoformat())
                    pushed.setdefault(key, time.time())

        async def agent(username: str, start_after: float) -> None:
            await asyncio.sleep(start_after)  # staggered, so the tiers come due at different moments
            headers = {"authorization": f"Bearer {tokens[username]}"}
            async with httpx.AsyncClient(base_url=endpoints["apiUrl"], headers=headers, timeout=30) as client:
                if (await client.get("/me/state")).json()["status"] == "AWAY":
                    (await client.post("/me/clock-in", json={"platform": "web"})).raise_for_status()
                for _ in range(ROUNDS):
                    paused = await client.put("/me/status", json={"status": "UNAVAILABLE", "reason": REASON})
                    paused.raise_for_status()
                    since = datetime.fromisoformat(paused.json()["agent"]["since"])
                    key = (f"agent-{username}", since.isoformat())
                    due[key] = since.timestamp() + AFTER_SECONDS
                    async with asyncio.timeout(30):
                        while key not in pushed:
                            await asyncio.sleep(0.01)
                    (await client.put("/me/status", json={"status": "AVAILABLE"})).raise_for_status()

        reader = asyncio.create_task(read())
        await asyncio.gather(*(agent(username, 0.41 * index) for index, username in enumerate(AGENTS)))
        reader.cancel()
    return [(pushed[key] - due[key]) * 1000 for key in due]


def measure() -> list[Row]:
    with local_stack("bench-rules-") as endpoints:
        asyncio.run(_configure(endpoints))
        latencies = asyncio.run(_latencies(endpoints))
    note = f"{len(latencies)} firings of a {AFTER_SECONDS} s tier: its moment to the supervisor's push (local stack)"
    return [
        Row("rule_fire_latency_ms.p50", round(statistics.median(latencies)), "ms", note),
        Row("rule_fire_latency_ms.p99", round(_percentile(latencies, 0.99)), "ms", note),
        Row("rule_fire_latency_ms.early", sum(1 for x in latencies if x < 0), "count", "pushed before the moment"),
    ]
