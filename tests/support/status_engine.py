"""The agent the status engine's unit tests drive and who acts on her: ana of unit north, sam who
supervises north, and a router reporting work (the names of tests/support/organizations.py)."""

from __future__ import annotations

from contactcenter.agents import Actor, ActorKind, AgentState

AGENT = Actor(ActorKind.AGENT, "ana")
SUPERVISOR = Actor(ActorKind.SUPERVISOR, "sam")
SYSTEM = Actor(ActorKind.SYSTEM, "router")

PROFILE = AgentState(
    organization_id="acme",
    agent_id="ana",
    display_name="Ana",
    units=("north",),
    groups=("agents",),
    assigned_queues=("support-line", "web-chat"),
)
