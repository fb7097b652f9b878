"""Routing and the status menu, exhaustively (SPEC "Agent statuses": routable for a queue = clocked in,
logged into that queue, `autoAssignment` on, and either AVAILABLE, or ACTIVE with fewer items than the
organization's concurrency limit for that channel and `stopNew` off; and "Transitions" for the menu)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contactcenter.agents import Actor, ActorKind, AgentState, WorkItem, WorkState
from contactcenter.errors import DomainError
from contactcenter.organization import Channel, OrganizationSettings, Queue, QueueKind, Unit
from contactcenter.status import (
    AcceptWork,
    Action,
    ClockIn,
    ClockOut,
    LogIntoQueue,
    SetAutoAssignment,
    SetStatus,
    StopNew,
    allowed_statuses,
    decide,
    is_routable,
)
from contactcenter.statuses import Platform, Status
from contactcenter.transitions import DEFAULT_POLICY, STRICT_POLICY, TransitionPolicy

S = Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(ActorKind.AGENT, "ana")
SYSTEM = Actor(ActorKind.SYSTEM, "router")
SUPERVISOR = Actor(ActorKind.SUPERVISOR, "sam")

QUEUES = (
    Queue(queue_id="support-line", name="Support line", kind=QueueKind.QUEUE),  # voice
    Queue(queue_id="web-chat", name="Web chat", kind=QueueKind.CHAT),  # chat
    Queue(queue_id="renewals", name="Renewals", kind=QueueKind.CAMPAIGN),  # voice too
)
CHANNEL_OF_QUEUE = {"support-line": Channel.VOICE, "web-chat": Channel.CHAT, "renewals": Channel.VOICE}
LIMITS = {Channel.VOICE: 1, Channel.CHAT: 3, Channel.CASE: 5}  # the organization's default


def settings_for(**overrides: object) -> OrganizationSettings:
    values: dict[str, object] = {
        "organization_id": "acme",
        "units": (Unit(unit_id="north", name="North"),),
        "queues": QUEUES,
    }
    return OrganizationSettings.model_validate(values | overrides)


SETTINGS = settings_for()
PROFILE = AgentState("acme", "ana", "Ana", units=("north",), groups=("agents",), assigned_queues=("support-line",))


def _items(voice: int = 0, chat: int = 0, case: int = 0, *, offered: int = 0) -> tuple[WorkItem, ...]:
    """Items in hand per channel (ACTIVE), and `offered` chat offers on top."""
    counts = {Channel.VOICE: voice, Channel.CHAT: chat, Channel.CASE: case}
    held = tuple(
        WorkItem(f"{channel}-{n}", channel, WorkState.ACTIVE, NOW)
        for channel, count in counts.items()
        for n in range(count)
    )
    return held + tuple(WorkItem(f"offer-{n}", Channel.CHAT, WorkState.OFFERED, NOW) for n in range(offered))


ALL_QUEUES = ("support-line", "web-chat", "renewals")


def _agent(status: Status, *, queues: tuple[str, ...] = ALL_QUEUES, **fields: object) -> AgentState:
    return replace(PROFILE, status=status, since=NOW, queues=queues, unit_id="north", **fields)  # type: ignore[arg-type]


# --- is_routable: the spec's definition, case by case ---------------------------------------------


def test_an_available_agent_logged_into_the_queue_is_routable() -> None:
    assert is_routable(_agent(S.AVAILABLE), "support-line", SETTINGS)


def test_an_away_agent_is_never_routable() -> None:
    # Even with stale queue logins on the record, AWAY means not clocked in.
    assert not is_routable(_agent(S.AWAY), "support-line", SETTINGS)


@pytest.mark.parametrize("status", [S.OFFLINE_WORK, S.UNAVAILABLE, S.WRAP_UP])
def test_offline_work_unavailable_and_wrap_up_are_not_routable(status: Status) -> None:
    assert not is_routable(_agent(status, reason="BREAK" if status is S.UNAVAILABLE else None), "web-chat", SETTINGS)


def test_only_for_the_queues_the_agent_is_logged_into() -> None:
    agent = _agent(S.AVAILABLE, queues=("web-chat",))
    assert is_routable(agent, "web-chat", SETTINGS)
    assert not is_routable(agent, "support-line", SETTINGS)  # assigned, but not logged in
    assert not is_routable(agent, "renewals", SETTINGS)


def test_automatic_assignment_off_means_nothing_new() -> None:
    assert not is_routable(_agent(S.AVAILABLE, auto_assignment=False), "support-line", SETTINGS)
    assert not is_routable(_agent(S.ACTIVE, auto_assignment=False, work_items=_items(chat=1)), "web-chat", SETTINGS)


def test_stop_new_blocks_new_offers_while_active() -> None:
    agent = _agent(S.ACTIVE, work_items=_items(chat=1))
    assert is_routable(agent, "web-chat", SETTINGS)
    assert not is_routable(replace(agent, stop_new=True), "web-chat", SETTINGS)


@pytest.mark.parametrize(
    ("queue", "items", "routable"),
    [
        # voice: one call at a time
        ("support-line", _items(voice=1), False),
        ("support-line", _items(chat=2), True),  # chats do not use the voice limit
        ("renewals", _items(voice=1), False),  # a campaign is voice
        ("renewals", _items(chat=3, case=5), True),
        # chat: up to three
        ("web-chat", _items(chat=1), True),
        ("web-chat", _items(chat=2), True),
        ("web-chat", _items(chat=3), False),
        ("web-chat", _items(voice=1), True),  # on a call, a chat may still come
        ("web-chat", _items(voice=1, chat=2), True),
        ("web-chat", _items(chat=2, offered=1), False),  # an outstanding offer takes a place
        ("web-chat", _items(chat=4), False),
    ],
)
def test_concurrency_per_channel(queue: str, items: tuple[WorkItem, ...], routable: bool) -> None:
    assert is_routable(_agent(S.ACTIVE, work_items=items), queue, SETTINGS) is routable


def test_the_organizations_concurrency_limits_apply() -> None:
    settings = settings_for(concurrency={Channel.VOICE: 2, Channel.CHAT: 1})
    assert is_routable(_agent(S.ACTIVE, work_items=_items(voice=1)), "support-line", settings)
    assert not is_routable(_agent(S.ACTIVE, work_items=_items(voice=2)), "support-line", settings)
    assert not is_routable(_agent(S.ACTIVE, work_items=_items(chat=1)), "web-chat", settings)


def test_a_channel_without_a_limit_takes_one_item() -> None:
    settings = settings_for(concurrency={Channel.VOICE: 1})
    assert is_routable(_agent(S.ACTIVE, work_items=_items(voice=1)), "web-chat", settings)
    assert not is_routable(_agent(S.ACTIVE, work_items=_items(chat=1)), "web-chat", settings)


def test_an_active_agent_is_not_routable_for_a_queue_the_organization_no_longer_has() -> None:
    agent = _agent(S.ACTIVE, queues=("gone",), work_items=_items(case=1))
    assert not is_routable(agent, "gone", SETTINGS)


def _spec_routable(status: Status, logged_in: bool, auto: bool, stop_new: bool, in_channel: int, limit: int) -> bool:
    """The spec's sentence, restated as a predicate (the oracle for the exhaustive test)."""
    clocked_in = status is not S.AWAY
    ready = status is S.AVAILABLE or (status is S.ACTIVE and in_channel < limit and not stop_new)
    return clocked_in and logged_in and auto and ready


EXHAUSTIVE = list(
    itertools.product(
        list(S),
        [True, False],  # logged into the queue
        [True, False],  # autoAssignment
        [True, False],  # stopNew (meaningful while ACTIVE; must not matter when AVAILABLE)
        ["support-line", "web-chat", "renewals"],
        range(5),  # items in hand on the queue's channel
    )
)


@pytest.mark.parametrize(("status", "logged_in", "auto", "stop_new", "queue", "in_channel"), EXHAUSTIVE)
def test_routable_exhaustively(
    status: Status, logged_in: bool, auto: bool, stop_new: bool, queue: str, in_channel: int
) -> None:
    channel = CHANNEL_OF_QUEUE[queue]
    items = _items(**{channel.value: in_channel}) + _items(case=1)  # a case on the side never counts
    agent = _agent(
        status,
        queues=(queue,) if logged_in else tuple(q for q in CHANNEL_OF_QUEUE if q != queue),
        auto_assignment=auto,
        stop_new=stop_new and status is S.ACTIVE,
        work_items=items if status is S.ACTIVE else (),
    )
    expected = _spec_routable(status, logged_in, auto, stop_new, in_channel, LIMITS[channel])
    assert is_routable(agent, queue, SETTINGS) is expected


# --- is_routable on states reached through decide -------------------------------------------------


def _drive(*steps: tuple[Action, Actor]) -> AgentState:
    state = PROFILE
    for n, (action, actor) in enumerate(steps):
        state = decide(state, action, settings=SETTINGS, actor=actor, now=NOW.replace(second=n)).state
    return state


def test_routing_follows_the_agents_changes() -> None:
    clocked_in = _drive((ClockIn(Platform.WEB), AGENT))
    assert not is_routable(clocked_in, "web-chat", SETTINGS)  # not logged into any queue yet
    logged = _drive((ClockIn(Platform.WEB), AGENT), (LogIntoQueue("web-chat"), AGENT))
    assert is_routable(logged, "web-chat", SETTINGS)
    working = decide(logged, AcceptWork("c1", Channel.CHAT), settings=SETTINGS, actor=SYSTEM, now=NOW).state
    assert is_routable(working, "web-chat", SETTINGS)
    stopped = decide(working, StopNew(), settings=SETTINGS, actor=AGENT, now=NOW).state
    assert not is_routable(stopped, "web-chat", SETTINGS)
    off = decide(logged, SetAutoAssignment(enabled=False), settings=SETTINGS, actor=SUPERVISOR, now=NOW).state
    assert not is_routable(off, "web-chat", SETTINGS)
    paused = decide(logged, SetStatus(S.UNAVAILABLE, "BREAK"), settings=SETTINGS, actor=AGENT, now=NOW).state
    assert not is_routable(paused, "web-chat", SETTINGS)
    gone = decide(logged, ClockOut("END_OF_SHIFT"), settings=SETTINGS, actor=AGENT, now=NOW).state
    assert not is_routable(gone, "web-chat", SETTINGS)


# --- allowed_statuses: what the console offers -----------------------------------------------------

# status -> (default policy, strict policy); AVAILABLE from AWAY is clock-in, AWAY is clock-out.
MENU: dict[Status, tuple[list[str], list[str]]] = {
    S.AWAY: (["AVAILABLE"], ["AVAILABLE"]),
    S.AVAILABLE: (["AWAY", "OFFLINE_WORK", "UNAVAILABLE"], ["AWAY", "OFFLINE_WORK", "UNAVAILABLE"]),
    S.UNAVAILABLE: (["AVAILABLE", "AWAY", "OFFLINE_WORK", "UNAVAILABLE"], ["AWAY", "OFFLINE_WORK"]),
    S.OFFLINE_WORK: (["AVAILABLE", "AWAY", "UNAVAILABLE"], ["AVAILABLE", "AWAY"]),
    S.ACTIVE: ([], []),  # clock-out while working is not allowed by default
    S.WRAP_UP: (["AWAY"], ["AWAY"]),
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY], ids=lambda p: p.name)
def test_allowed_statuses(status: Status, policy: TransitionPolicy) -> None:
    default, strict = MENU[status]
    reason = "BREAK" if status is S.UNAVAILABLE else None
    assert allowed_statuses(_agent(status, reason=reason), settings_for(policy=policy)) == (
        default if policy is DEFAULT_POLICY else strict
    )


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY], ids=lambda p: p.name)
def test_an_active_agent_may_clock_out_where_the_organization_allows_it(policy: TransitionPolicy) -> None:
    settings = settings_for(policy=policy, clock_out_while_active=True)
    assert allowed_statuses(_agent(S.ACTIVE, work_items=_items(voice=1)), settings) == ["AWAY"]


def test_a_policy_without_clock_out_from_wrap_up_offers_none() -> None:
    """The policy is data: where it has no WRAP_UP -> AWAY, the menu does not offer clock-out."""
    manual = dict(DEFAULT_POLICY.manual) | {S.WRAP_UP: frozenset(), S.ACTIVE: frozenset()}
    settings = settings_for(
        policy=TransitionPolicy(name="no-exit-from-work", manual=manual), clock_out_while_active=True
    )
    assert allowed_statuses(_agent(S.WRAP_UP), settings) == []
    assert allowed_statuses(_agent(S.ACTIVE, work_items=_items(voice=1)), settings) == []


ALL_MOVES: dict[Status, Action] = {
    S.AVAILABLE: SetStatus(S.AVAILABLE),
    S.OFFLINE_WORK: SetStatus(S.OFFLINE_WORK),
    S.UNAVAILABLE: SetStatus(S.UNAVAILABLE, "MEETING"),
    S.AWAY: ClockOut("END_OF_SHIFT"),
}


@pytest.mark.parametrize("status", [S.AVAILABLE, S.UNAVAILABLE, S.OFFLINE_WORK, S.ACTIVE, S.WRAP_UP])
@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY], ids=lambda p: p.name)
def test_the_menu_lists_exactly_what_the_agent_may_do(status: Status, policy: TransitionPolicy) -> None:
    """Every status on the menu is accepted from the agent; every other one is refused."""
    settings = settings_for(policy=policy)
    reason = "BREAK" if status is S.UNAVAILABLE else None
    agent = _agent(status, reason=reason, work_items=_items(voice=1) if status is S.ACTIVE else ())
    menu = allowed_statuses(agent, settings)
    for target, action in ALL_MOVES.items():
        try:
            decide(agent, action, settings=settings, actor=AGENT, now=NOW)
        except DomainError:
            assert target not in menu, (status, target)
        else:
            assert target in menu, (status, target)
