"""Two functions' resolvers in one process (as in the local stack) each read their own event, even when
one resolves while the other is in the middle of a route."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from contactcenter.edge.http import build_resolver
from tests.support.events import claims_for, http_event


class Pause(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str


def test_a_resolver_keeps_its_own_event_while_another_resolves() -> None:
    supervision, status = build_resolver(), build_resolver()

    @supervision.post("/agents/<agent_id>/pause")
    def pause(agent_id: str, request: Pause) -> dict[str, Any]:
        return {"agent": agent_id, "reason": request.reason}

    @status.put("/me/status")
    def choose(request: Choice) -> dict[str, Any]:
        # Another function resolves an event of its own in the middle of this one's route.
        nested = supervision.resolve(
            http_event(
                "POST",
                "/agents/agent-ana/pause",
                route="/agents/{agent_id}/pause",
                body={"reason": "BREAK"},
                claims=claims_for("sam", "acme", "SUPERVISOR"),
            ),
            None,
        )
        assert nested["statusCode"] == 200, nested
        return {"status": request.status, "caller": status.current_event.request_context.authorizer.jwt_claim["sub"]}

    answer = status.resolve(
        http_event("PUT", "/me/status", body={"status": "AVAILABLE"}, claims=claims_for("ana", "acme", "AGENT")),
        None,
    )
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"status": "AVAILABLE", "caller": "ana"}
