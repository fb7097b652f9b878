"""The web console in headless Chromium (Debian's, driven by Playwright), against the local stack.

- console_supervisor_1000_agents.frame_p95_ms: a supervisor's dashboard of 1,000 agents receiving 50
  pushes a second for 20 s; the 95th percentile of the intervals between the page's animation frames
  while it does (16.7 ms is every frame on time).
- console_supervisor_1000_agents.push_to_paint_p99_ms: from a push's arrival on the page's WebSocket
  to the first paint that shows it (the page records both: web/src/views/Supervisor.tsx).
- console_bundle_kib: the JavaScript the console's first load fetches, gzipped (as a CDN serves it).

The 1,000 agents are written into the demo unit `sales` as the admin API writes a new agent's item;
the pushes are agent.changed messages in the fan-out's shape, posted to the page's connection through
the gateway's @connections endpoint as the fan-out posts them, one sequence number more each time. What
is measured is the console's cost; the backend's path to a push is benched by bench/push.py.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx

from bench.rows import Row
from bench.stack import ROOT, local_stack

AGENTS = 1_000
PUSHES_PER_SECOND = 50
SECONDS = 20
UNIT = "sales"
SUPERVISOR = "sofia"
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATUSES = [("AVAILABLE", None), ("UNAVAILABLE", "BREAK"), ("OFFLINE_WORK", None), ("UNAVAILABLE", "MEETING")]

# Frame intervals, recorded by the page itself once the pushes start.
_FRAMES_SCRIPT = """() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => {
    window.__frames.push(now - last);
    last = now;
    if (!window.__stopFrames) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const m = window.__consoleMetrics; m.pushToPaint.length = 0; m.applied = 0; m.gaps = 0;
}"""


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _seed_agents(endpoints: dict[str, Any]) -> list[str]:
    from contactcenter.agents import AgentState
    from contactcenter.statuses import Platform, Status
    from contactcenter.store.agents import create_profile

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoints["motoUrl"],
        region_name=endpoints["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    previous = os.environ.get("TABLE_NAME")
    os.environ["TABLE_NAME"] = endpoints["tableName"]
    now = datetime.now(UTC)
    ids = [f"bench-agent-{n:04d}" for n in range(AGENTS)]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda agent_id: create_profile(
                        AgentState(
                            organization_id="demo",
                            agent_id=agent_id,
                            display_name=f"Agent {agent_id[-4:]}",
                            units=(UNIT,),
                            groups=("agents",),
                            status=Status.AVAILABLE,
                            since=now,
                            unit_id=UNIT,
                            platform=Platform.WEB,
                            sequence=1,
                        ),
                        client=client,
                    ),
                    ids,
                )
            )
    finally:
        if previous is None:
            os.environ.pop("TABLE_NAME", None)
        else:
            os.environ["TABLE_NAME"] = previous
    return ids


def _connection_of(endpoints: dict[str, Any], user_id: str) -> str:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoints["motoUrl"],
        region_name=endpoints["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    found = client.scan(
        TableName=endpoints["tableName"],
        FilterExpression="entity = :c AND userId = :u",
        ExpressionAttributeValues={":c": {"S": "Connection"}, ":u": {"S": user_id}},
    )["Items"]
    assert len(found) == 1, found
    return str(found[0]["pk"]["S"]).removeprefix("CONN#")


def _push(agent_id: str, sequence: int) -> dict[str, Any]:
    status, reason = STATUSES[sequence % len(STATUSES)]
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    change = {
        "sequence": sequence,
        "at": at,
        "kind": "status",
        "fromStatus": None,
        "toStatus": status,
        "reason": reason,
        "note": None,
        "actorKind": "agent",
        "actorId": agent_id,
        "platform": "web",
        "unitId": UNIT,
    }
    agent = {
        "organizationId": "demo",
        "agentId": agent_id,
        "displayName": f"Agent {agent_id[-4:]}",
        "units": [UNIT],
        "status": status,
        "since": at,
        "unitId": UNIT,
        "platform": "web",
        "queues": [],
        "workItems": [],
        "stopNew": False,
        "autoAssignment": True,
        "sequence": sequence,
        **({"reason": reason} if reason else {}),
    }
    return {
        "type": "agent.changed",
        "organizationId": "demo",
        "agentId": agent_id,
        "sequence": sequence,
        "change": change,
        "agent": agent,
    }


def _send_pushes(url: str, agents: list[str]) -> int:
    """50 a second for 20 s, paced from the start (a late one does not push the rest back)."""
    count = PUSHES_PER_SECOND * SECONDS
    # Each agent once per round, in a shuffled order: no agent's two pushes are ever in flight together.
    rounds = [random.Random(18 + n).sample(agents, len(agents)) for n in range(count // len(agents) + 1)]
    order = [agent for round_ in rounds for agent in round_][:count]
    sequences = dict.fromkeys(agents, 1)
    messages = []
    for agent_id in order:
        sequences[agent_id] += 1
        messages.append((agent_id, sequences[agent_id]))
    lock = threading.Lock()
    sent = 0
    start = time.monotonic()

    def post(index: int) -> None:
        nonlocal sent
        agent_id, sequence = messages[index]
        delay = start + index / PUSHES_PER_SECOND - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        response = client.post(url, json=_push(agent_id, sequence))
        response.raise_for_status()
        with lock:
            sent += 1

    with httpx.Client(timeout=10) as client, ThreadPoolExecutor(4) as pool:
        # Ordered per agent: an agent's later push is never submitted before its earlier one is sent.
        list(pool.map(post, range(len(messages))))
    return sent


def _sign_in(page: Any, api_url: str, username: str) -> None:
    page.goto(f"{api_url}/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.get_by_role("button", name=re.compile(rf"\({re.escape(username)};")).click()
    page.get_by_role("button", name="Sign out").wait_for()


def _first_load_scripts() -> list[str]:
    """The JavaScript index.html loads: its module script and what it preloads (the console has no
    lazy chunks; any would be fetched later and are not counted)."""
    index = (ROOT / "web" / "dist" / "index.html").read_text(encoding="utf-8")
    return sorted(set(re.findall(r'(?:src|href)="/(assets/[^"]+\.js)"', index)))


def _bundle_kib(paths: list[str]) -> float:
    dist = ROOT / "web" / "dist"
    return sum(len(gzip.compress((dist / path).read_bytes(), compresslevel=6)) for path in paths) / 1024


def measure() -> list[Row]:
    from playwright.sync_api import sync_playwright

    if not (ROOT / "web" / "dist" / "index.html").is_file():
        raise RuntimeError("build the console first: make console")
    with local_stack("bench-console-") as endpoints, sync_playwright() as playwright:
        agents = _seed_agents(endpoints)
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGUMENTS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            loaded: list[str] = []
            page.on("request", lambda r: loaded.append(r.url) if r.resource_type == "script" else None)
            _sign_in(page, endpoints["apiUrl"], SUPERVISOR)
            scripts = _first_load_scripts()
            assert {url.split("/", 3)[-1] for url in loaded} <= set(scripts), (loaded, scripts)
            bundle = _bundle_kib(scripts)
            page.get_by_label("Unit", exact=True).fill(UNIT)
            page.get_by_role("button", name="Show").click()
            page.locator('[data-testid="link"][data-state="open"]').wait_for()
            page.wait_for_function(f"Number(document.querySelector('[data-testid=shown]')?.dataset.count) > {AGENTS}")
            rows = int(page.get_by_test_id("shown").get_attribute("data-count") or 0)  # the demo agents and the 1,000
            connection = _connection_of(endpoints, "sup-sofia")
            page.evaluate(_FRAMES_SCRIPT)
            sent = _send_pushes(f"{endpoints['managementUrl']}/@connections/{connection}", agents)
            page.wait_for_function(f"window.__consoleMetrics.applied >= {sent}", timeout=30_000)
            page.evaluate("window.__stopFrames = true")
            frames = page.evaluate("window.__frames")
            metrics = page.evaluate("window.__consoleMetrics")
        finally:
            browser.close()
    paint = metrics["pushToPaint"]
    assert metrics["gaps"] == 0 and len(paint) == sent == PUSHES_PER_SECOND * SECONDS, (metrics["gaps"], len(paint))
    shape = (
        f"{rows:,} agents (the rows in view rendered) at 1280x720, {sent:,} pushes at {PUSHES_PER_SECOND}/s "
        f"for {SECONDS} s, headless Debian Chromium, --disable-gpu; local stack on the same 2 cores"
    )
    return [
        Row(
            "console_supervisor_1000_agents.frame_p95_ms",
            round(_percentile(frames, 0.95), 1),
            "ms",
            f"p95 of {len(frames):,} frame intervals (median {statistics.median(frames):.1f} ms); {shape}; goal <= 50",
        ),
        Row(
            "console_supervisor_1000_agents.push_to_paint_p99_ms",
            round(_percentile(paint, 0.99), 1),
            "ms",
            f"WebSocket message to the paint showing it (median {statistics.median(paint):.1f} ms); {shape}; "
            "goal <= 200",
        ),
        Row(
            "console_bundle_kib",
            round(bundle, 1),
            "KiB",
            f"gzip -6 of the {len(scripts)} JavaScript file(s) the first load fetches (web/dist); goal <= 150",
        ),
    ]
