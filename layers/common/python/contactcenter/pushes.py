"""What one WebSocket push may carry. API Gateway refuses a message over 128 KB (the management API's
413), so such a push would be lost; instead the client gets a short `refetch` notice naming what it
missed and where to read it over HTTP. Nothing is dropped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PUSH_BYTES_MAX = 128 * 1024
# What a notice keeps of the message it stands for: the identifiers a client needs to refetch.
_IDENTIFIERS = ("organizationId", "agentId", "sequence", "requestId", "messageId")


def encoded(message: Mapping[str, Any]) -> bytes:
    """The message as sent (compact JSON), or the `refetch` notice standing for it when it would not fit."""
    data = json.dumps(message, separators=(",", ":"), default=str).encode()
    if len(data) <= PUSH_BYTES_MAX:
        return data
    return json.dumps(refetch_notice(message, size=len(data)), separators=(",", ":"), default=str).encode()


def refetch_notice(message: Mapping[str, Any], *, size: int) -> dict[str, Any]:
    notice: dict[str, Any] = {"type": "refetch", "replaces": str(message.get("type", ""))[:64], "bytes": size}
    for name in _IDENTIFIERS:
        value = message.get(name)
        if isinstance(value, int | str) and len(str(value)) <= 128:
            notice[name] = value
    notice["refetch"] = _where_to_refetch(message)
    return notice


def _where_to_refetch(message: Mapping[str, Any]) -> str | None:
    """The HTTP route that answers what the message carried."""
    kind, agent_id = message.get("type"), message.get("agentId")
    if kind == "agent.changed" and isinstance(agent_id, str) and isinstance(message.get("sequence"), int):
        return f"/agents/{agent_id}/changes?after={message['sequence'] - 1}"
    assignment = message.get("assignment")
    assignment_id = assignment.get("assignmentId") if isinstance(assignment, Mapping) else None
    if kind == "assignment.changed" and isinstance(assignment_id, str):
        return f"/me/assignments/{assignment_id}"
    if kind == "assignment.progress" and isinstance(assignment_id, str):
        return f"/assignments/{assignment_id}/progress"
    return None
