"""Many concurrent changes to one agent on the local stack: each accepted change is in the history exactly
once, every other request got 409, and nothing is lost or duplicated.

The agent's own status changes and a supervisor's pauses go through different functions, which the local
stack runs side by side (each function one invocation at a time, like one execution environment each), so
the writes really race on the agent's item."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack

REQUESTS = 40


def test_racing_changes_one_winner_each_time_rest_409(local_stack: LocalStack) -> None:
    gina = Api(local_stack, "gina")
    gina.ensure_clocked_out()
    gina.call("POST", "/me/clock-in", body={"platform": "app"})
    start = gina.state()["sequence"]
    # Alternate targets so that most requests would be valid on their own: only the race refuses them.
    bodies = [
        {"status": "UNAVAILABLE", "reason": reason}
        for reason in ("BREAK", "MEETING", "BACK_OFFICE", "BREAK", "MEETING") * (REQUESTS // 5)
    ]

    sofia = Api(local_stack, "sofia")

    def send(numbered: tuple[int, dict[str, str]]) -> tuple[int, dict[str, object]]:
        number, body = numbered
        if number % 2:
            response = sofia.raw("POST", "/agents/agent-gina/pause", json={"reason": body["reason"]})
        else:
            response = gina.raw("PUT", "/me/status", json=body)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, enumerate(bodies)))

    codes = [code for code, _ in results]
    assert set(codes) <= {200, 409}, [r for r in results if r[0] not in (200, 409)]
    accepted = [body for code, body in results if code == 200]
    assert accepted, "at least one change wins"
    refused = [body for code, body in results if code == 409]
    assert all(body["error"]["rule"] in {"concurrent_change", "no_change"} for body in refused)

    history = gina.call("GET", "/me/history?limit=100")["entries"]
    new_entries = [entry for entry in history if entry["sequence"] > start]
    accepted_sequences = sorted(change["sequence"] for body in accepted for change in body["changes"])
    assert sorted(entry["sequence"] for entry in new_entries) == accepted_sequences
    assert accepted_sequences == list(range(start + 1, start + 1 + len(accepted_sequences)))
    assert gina.state()["sequence"] == start + len(accepted_sequences)
