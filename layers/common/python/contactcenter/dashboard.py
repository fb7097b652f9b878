"""The supervisor's dashboard rows, computed from agents' states at one instant (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from contactcenter.agents import AgentState, accumulate
from contactcenter.organization import OrganizationSettings
from contactcenter.status import settled
from contactcenter.statuses import CLOCKED_IN, Status


def _seconds(milliseconds: int) -> int:
    return milliseconds // 1000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def row(state: AgentState, *, settings: OrganizationSettings, now: datetime) -> dict[str, Any]:
    """Every field the spec lists for one agent, as of `now` (an elapsed wrap-up is already over)."""
    state = settled(state, settings=settings, now=now)
    today = accumulate(state, settings=settings, now=now)
    per_status = {status: _seconds(ms) for status, ms in today.per_status_ms.items()}
    averages = {
        status: _seconds(ms // today.entered[status])
        for status, ms in today.per_status_ms.items()
        if today.entered.get(status)
    }
    connected_ms = sum(ms for status, ms in today.per_status_ms.items() if Status(status) in CLOCKED_IN)
    return {
        "agentId": state.agent_id,
        "displayName": state.display_name,
        "status": state.status.value,
        "reason": state.reason,
        "note": state.note,
        "since": _iso(state.since),
        "secondsInStatus": _seconds((now - state.since) // timedelta(milliseconds=1)) if state.since else None,
        "unitId": state.unit_id,
        "units": list(state.units),
        "queues": list(state.queues),
        "workItems": [
            {
                "itemId": i.item_id,
                "channel": i.channel.value,
                "state": i.state.value,
                "reference": i.reference,
                "queueId": i.queue_id,
                "since": _iso(i.since),
            }
            for i in state.work_items
        ],
        "platform": state.platform.value if state.platform else None,
        "autoAssignment": state.auto_assignment,
        "stopNew": state.stop_new,
        "nextStatus": state.next_status.status.value if state.next_status else None,
        "wrapUpEndsAt": _iso(state.wrap_up_ends_at),
        "today": {
            "secondsPerStatus": per_status,
            "averageSecondsPerStatus": averages,
            "pauseSecondsPerReason": {reason: _seconds(ms) for reason, ms in today.per_reason_ms.items()},
            "connectedSeconds": _seconds(connected_ms),
            "lastLogin": _iso(today.last_clock_in),
            "lastLogout": _iso(today.last_clock_out),
        },
        "sequence": state.sequence,
    }


def page(states: Iterable[AgentState], *, settings: OrganizationSettings, now: datetime) -> dict[str, Any]:
    rows = [row(state, settings=settings, now=now) for state in states]
    counts = Counter(r["status"] for r in rows)
    return {"agents": rows, "countsPerStatus": {status.value: counts.get(status.value, 0) for status in Status}}
