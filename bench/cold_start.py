"""Cold starts: a fresh process's whole path to its first response, against `import boto3` plus creating one
client, in the same run (`python -m bench cold_start`).

Each sample is a new interpreter (bytecode written on a warm-up run, as the layer ships it compiled). The
handler path, timed from the start of the probe: import the handler module, build its first event, call
the handler, get the answer, with every AWS request it makes answered by bench/recorder.py in the same
process (items seeded: the organization and an agent, clocked in), so no network time is counted, only
the code's own: imports, client creation, validation set-up, the request's work. The baseline: `import
boto3; boto3.client("dynamodb")`. Median of RUNS samples each; the ratio is handler path / baseline.

- status: PUT /me/status UNAVAILABLE(BREAK) with an Idempotency-Key
- clock: POST /me/clock-out
- fanout: one AgentChange stream record (nobody subscribed: the lookups, no post)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.rows import Row

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
FUNCTIONS = ("status", "clock", "fanout")
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "contactcenter-cold",
    "TIMER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/timers",
    "WEBSOCKET_ENDPOINT": "https://socket.execute-api.us-east-1.amazonaws.com/live",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as the functions are deployed (infra/constructs/functions.py)
}


def _seed(path: Path) -> None:
    """The items a first request reads, written by the real code into a recorder, saved as JSON."""
    os.environ.update(ENVIRONMENT)
    from bench.hot_keys import _settings, unvalidated_clients
    from bench.recorder import Recorder
    from contactcenter.agents import Actor, ActorKind, AgentState
    from contactcenter.environment import environment
    from contactcenter.services.administration import create_organization
    from contactcenter.services.agent_changes import change_agent
    from contactcenter.status import ClockIn, LogIntoQueue
    from contactcenter.statuses import Platform
    from contactcenter.store import agents as agent_store
    from contactcenter.store import organizations

    environment.cache_clear()
    organizations.forget_cached_settings()
    agent_store.forget_known_states()
    recorder = Recorder()
    now = datetime.now(UTC) - timedelta(hours=1)
    with unvalidated_clients() as (dynamodb, sqs), recorder.attached(dynamodb, sqs):
        create_organization(_settings("acme"), actor_id="bench", now=now - timedelta(days=1))
        agent_store.create_profile(
            AgentState(
                organization_id="acme",
                agent_id="ana",
                display_name="Ana Agent",
                units=("u3",),
                groups=("agents",),
                assigned_queues=("q3",),
            )
        )
        actor = Actor(ActorKind.AGENT, "ana")
        change_agent("acme", "ana", ClockIn(Platform.WEB), actor=actor, now=now)
        change_agent("acme", "ana", LogIntoQueue("q3"), actor=actor, now=now + timedelta(seconds=1))
    agent_store.forget_known_states()
    path.write_text(json.dumps([[list(key), item] for key, item in recorder.items.items()]))


_PROBE = r"""
import json, sys, time
items = json.load(open(sys.argv[2]))
started = time.perf_counter()
function = sys.argv[1]
if function == "baseline":
    import boto3
    boto3.client("dynamodb")
else:
    import boto3
    from bench.recorder import Recorder
    recorder = Recorder(items={tuple(key): item for key, item in items})
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register_first("before-call.*.*", recorder._answer)
    from bench.cold_start import first_event
    event, handler_path = first_event(function)
    module_name, _, name = handler_path.rpartition(".")
    import importlib
    handler = getattr(importlib.import_module(module_name), name)
    answer = handler(event, Context())
    assert "batchItemFailures" in answer or answer.get("statusCode") == 200, answer
print(time.perf_counter() - started)
"""

_CONTEXT = """
class Context:
    function_name = "cold"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold"
    memory_limit_in_mb = 512
    aws_request_id = "request-1"
    log_group_name = "/aws/lambda/cold"
    log_stream_name = "stream"
    def get_remaining_time_in_millis(self):
        return 10_000
"""


def first_event(function: str) -> tuple[dict[str, Any], str]:
    """The function's first event and its handler path (read in the probe, after the clock started)."""
    from infra.wiring import WIRING
    from tests.support.events import claims_for, http_event, load

    row = WIRING.function(function)
    claims = claims_for("ana", "acme", "AGENT")
    if function == "status":
        event = http_event(
            "PUT",
            "/me/status",
            body={"status": "UNAVAILABLE", "reason": "BREAK"},
            claims=claims,
            headers={"Idempotency-Key": "cold-1"},
        )
    elif function == "clock":
        event = http_event("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"}, claims=claims)
    else:
        record = load("dynamodb-stream")["Records"][0]
        image = {
            "pk": {"S": "ORG#acme#AGENT#ana"},
            "sk": {"S": "HIST#0000000009"},
            "entity": {"S": "AgentChange"},
            "organizationId": {"S": "acme"},
            "agentId": {"S": "ana"},
            "sequence": {"N": "9"},
            "at": {"S": "2026-12-08T09:00:00.000+00:00"},
            "kind": {"S": "status"},
            "fromStatus": {"S": "AVAILABLE"},
            "toStatus": {"S": "UNAVAILABLE"},
            "reason": {"S": "BREAK"},
            "actorKind": {"S": "agent"},
            "actorId": {"S": "ana"},
            "unitId": {"S": "u3"},
            "agent": {
                "M": {
                    "units": {"L": [{"S": "u3"}]},
                    "queues": {"L": [{"S": "q3"}]},
                    "status": {"S": "UNAVAILABLE"},
                }
            },
        }
        record["dynamodb"] = {**record["dynamodb"], "NewImage": image, "Keys": {"pk": image["pk"], "sk": image["sk"]}}
        record["eventName"] = "INSERT"
        event = {"Records": [record]}
    return event, row.handler


def _sample(function: str, items: Path) -> float:
    environment = {**ENVIRONMENT, "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    environment["ROUTE_PERMISSIONS"] = _route_permissions()
    out = subprocess.run(
        [sys.executable, "-c", _CONTEXT + _PROBE, function, str(items)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
    ).stdout
    return float(out.strip().splitlines()[-1])


def _route_permissions() -> str:
    from infra.wiring import WIRING

    return json.dumps({r.route_key: r.permission for r in WIRING.http_routes})


def measure() -> list[Row]:
    """Rounds of (baseline, each function) one after the other, so that a busy moment of a shared machine
    weighs on both sides of a ratio alike; the median of each side and of the per-round ratios."""
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as directory:
        items = Path(directory) / "items.json"
        _seed(items)
        for name in ("baseline", *FUNCTIONS):
            _sample(name, items)  # warm-up: bytecode written, as the layer ships it compiled
        samples: dict[str, list[float]] = {name: [] for name in ("baseline", *FUNCTIONS)}
        ratios: dict[str, list[float]] = {name: [] for name in FUNCTIONS}
        for _ in range(RUNS):
            baseline = _sample("baseline", items)
            samples["baseline"].append(baseline)
            for function in FUNCTIONS:
                seconds = _sample(function, items)
                samples[function].append(seconds)
                ratios[function].append(seconds / baseline)
    baseline_ms = statistics.median(samples["baseline"]) * 1000
    rows = [Row("cold_start.baseline.ms", round(baseline_ms, 1), "ms", "import boto3 + one client")]
    for function in FUNCTIONS:
        rows.append(
            Row(
                f"cold_start.{function}.ms",
                round(statistics.median(samples[function]) * 1000, 1),
                "ms",
                "to the first answer",
            )
        )
        rows.append(
            Row(
                f"cold_start.{function}.ratio",
                round(statistics.median(ratios[function]), 2),
                "ratio",
                f"median of {RUNS} rounds' ratios to import boto3 + one client",
            )
        )
    return rows
