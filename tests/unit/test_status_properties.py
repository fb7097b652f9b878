"""Properties of the status engine over random sequences of actions, by random actors, at random times
that cross local midnight and the daylight-saving changes of Europe/Rome (2026-03-29, 2026-10-25), under
the built-in and random valid policies:

(a) replaying the recorded history from the agent's profile gives the live state;
(b) today's totals kept on the state match the time per status computed from the history for that local
    day, and the time per status adds up to the clocked time exactly (integer milliseconds);
(c) whatever the sequence, the agent can get back to AWAY by allowed actions;
(d) the history is a chain: consecutive sequence numbers, each entry starting where the previous ended,
    in time order; and the state's invariants hold (ACTIVE iff work in hand, AWAY holds nothing...);
(e) a refused action changes nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contactcenter.agents import Actor, AgentState, HistoryEntry, WorkState, accumulate, local_day
from contactcenter.errors import DomainError
from contactcenter.organization import Channel, OrganizationSettings, Queue, QueueKind, Unit, WrapUpMode
from contactcenter.replay import day_time, replay
from contactcenter.status import (
    AcceptWork,
    Action,
    CancelNextStatus,
    ClockIn,
    ClockOut,
    EndWork,
    EndWrapUp,
    LogIntoQueue,
    LogOutOfQueue,
    OfferWork,
    RejectWork,
    Resume,
    SetAutoAssignment,
    SetNextStatus,
    SetStatus,
    Settle,
    StopNew,
    decide,
)
from contactcenter.statuses import Platform, Status
from contactcenter.transitions import DEFAULT_POLICY, STRICT_POLICY, TransitionPolicy
from tests.support.status_engine import AGENT, PROFILE, SUPERVISOR, SYSTEM

S = Status
MS = timedelta(milliseconds=1)

# 22:00 local on the eve of each clock change, and of a plain summer midnight.
STARTS = (
    datetime(2026, 10, 24, 20, 0, tzinfo=UTC),  # CEST; clocks go back at 03:00 on the 25th (01:00 UTC)
    datetime(2026, 3, 28, 21, 0, tzinfo=UTC),  # CET; clocks go forward at 02:00 on the 29th (01:00 UTC)
    datetime(2026, 6, 10, 20, 0, tzinfo=UTC),
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies ----------------------------------------------------------------------------------


def _policy_or_none(rows: dict[Status, frozenset[Status]]) -> TransitionPolicy | None:
    try:
        return TransitionPolicy(name="random", manual=rows)
    except ValidationError:
        return None


MANUAL = [S.AVAILABLE, S.UNAVAILABLE, S.OFFLINE_WORK, S.AWAY]
random_policies = (
    st.fixed_dictionaries(
        {
            S.AWAY: st.just(frozenset({S.AVAILABLE})),
            S.AVAILABLE: st.frozensets(st.sampled_from(MANUAL)),
            S.UNAVAILABLE: st.frozensets(st.sampled_from(MANUAL)),
            S.OFFLINE_WORK: st.frozensets(st.sampled_from(MANUAL)),
            S.ACTIVE: st.frozensets(st.just(S.AWAY)),
            S.WRAP_UP: st.frozensets(st.just(S.AWAY)),
        }
    )
    .map(_policy_or_none)
    .filter(lambda policy: policy is not None)
)
policies = st.one_of(st.sampled_from([DEFAULT_POLICY, STRICT_POLICY]), random_policies)

organizations = st.builds(
    lambda policy, wrap_up, mode, break_on_reject, clock_out_while_active, restrict: OrganizationSettings(
        organization_id="acme",
        time_zone="Europe/Rome",
        units=(Unit(unit_id="north", name="North"), Unit(unit_id="south", name="South")),
        queues=(
            Queue(queue_id="support-line", name="Support line", kind=QueueKind.QUEUE),
            Queue(queue_id="web-chat", name="Web chat", kind=QueueKind.CHAT, wrap_up_seconds=0),
            Queue(queue_id="renewals", name="Renewals", kind=QueueKind.CAMPAIGN, wrap_up_mode=WrapUpMode.TIMEBOXED),
        ),
        policy=policy,
        wrap_up_seconds=wrap_up,
        wrap_up_mode=mode,
        break_on_reject=break_on_reject,
        clock_out_while_active=clock_out_while_active,
        restrict_unassigned_queues=restrict,
    ),
    policies,
    st.sampled_from([0, 30, 600]),
    st.sampled_from(WrapUpMode),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)

profiles = st.builds(lambda units: replace(PROFILE, units=units), st.sampled_from([("north",), ("north", "south")]))


@dataclass(frozen=True)
class OnHeldItem:
    """Accept, reject or end one of the items the agent holds (else i1): random ids would mostly miss."""

    kind: type[AcceptWork] | type[RejectWork] | type[EndWork]
    index: int

    def resolve(self, state: AgentState) -> Action:
        wanted = WorkState.ACTIVE if self.kind is EndWork else WorkState.OFFERED
        held = [item for item in state.work_items if item.state is wanted]
        item = held[self.index % len(held)] if held else None
        item_id = item.item_id if item else "i1"
        if self.kind is AcceptWork:
            return AcceptWork(item_id, item.channel if item else Channel.CASE)
        return RejectWork(item_id) if self.kind is RejectWork else EndWork(item_id)


Step = Action | OnHeldItem

# Concrete actions, valid and not, listed up front: drawing one is a single choice (cheap), and a failing
# example prints as plain actions.
ITEMS = ("i1", "i2", "i3")
NOTES = (None, "dentist", "  ")
CLOCK_OUT_REASONS = ("END_OF_SHIFT", "SICK", "OTHER", "BREAK")
REASONS: dict[Status, tuple[str | None, ...]] = {
    S.UNAVAILABLE: ("BREAK", "MEETING", "BACK_OFFICE", "OTHER", "NAP", None),
    S.AWAY: CLOCK_OUT_REASONS,
}
STATUS_CHANGES = [
    (status, reason, note) for status in S for reason in REASONS.get(status, (None, "BREAK")) for note in NOTES
]
WORK = [
    (item, channel, reference, queue)
    for item in ITEMS
    for channel in Channel
    for reference in (None, "T-1")
    for queue in (None, "support-line", "web-chat", "renewals")
]
QUEUE_IDS = ("support-line", "web-chat", "renewals", "nowhere")

# Each group of actions with the actors who usually take them (now and then anyone else tries) and a
# weight: work and status changes come more often than flags and queues, so the agent gets busy.
# Hypothesis favours the first entries, so the productive ones lead.
GROUPS: list[tuple[list[Step], list[Actor], int]] = [
    ([OnHeldItem(kind, n) for kind in (AcceptWork, RejectWork, EndWork) for n in range(3)], [SYSTEM, AGENT], 5),
    ([AcceptWork(*work) for work in WORK], [SYSTEM, AGENT], 3),
    ([OfferWork(*work) for work in WORK], [SYSTEM], 3),
    ([SetStatus(*change) for change in STATUS_CHANGES], [AGENT, SUPERVISOR], 3),
    ([ClockOut(reason, note) for reason in CLOCK_OUT_REASONS for note in NOTES], [AGENT, SUPERVISOR], 2),
    ([SetNextStatus(*change) for change in STATUS_CHANGES], [AGENT, SUPERVISOR], 2),
    ([EndWrapUp()], [AGENT, SUPERVISOR], 2),
    ([Settle()], [SYSTEM], 1),
    ([LogIntoQueue(queue) for queue in QUEUE_IDS], [AGENT, SUPERVISOR], 1),
    ([LogOutOfQueue(queue) for queue in QUEUE_IDS], [AGENT, SUPERVISOR], 1),
    ([StopNew(), Resume()], [AGENT], 2),
    ([CancelNextStatus()], [AGENT, SUPERVISOR], 1),
    ([SetAutoAssignment(enabled=False), SetAutoAssignment(enabled=True)], [SUPERVISOR], 1),
    ([*(RejectWork(item) for item in ITEMS), *(EndWork(item) for item in ITEMS)], [SYSTEM, AGENT], 1),
    ([ClockIn(platform, unit) for platform in Platform for unit in (None, "north", "south")], [AGENT], 3),
]
WEIGHTED = [(group, usual) for group, usual, weight in GROUPS for _ in range(weight)]
# Mostly seconds to minutes (work and wrap-up), sometimes hours (across midnight and the clock change).
DELAY_LIMITS_MS = (20_000, 120_000, 90 * 60_000, 4 * 3_600_000)


def decode(number: int) -> tuple[Step, Actor, timedelta]:
    """One step from one drawn number (one draw per step keeps generation cheap; 0 is the simplest step:
    accept an offer, by the usual actor, at once). `run` notes the decoded steps of a failing example."""
    number, choice = divmod(number, len(WEIGHTED))
    group, usual = WEIGHTED[choice]
    number, element = divmod(number, len(group))
    number, who = divmod(number, 12)
    actor = usual[who % len(usual)] if who < 9 else (AGENT, SUPERVISOR, SYSTEM)[who - 9]
    number, scale = divmod(number, len(DELAY_LIMITS_MS))
    return group[element], actor, (number % (DELAY_LIMITS_MS[scale] + 1)) * MS


@dataclass(frozen=True)
class Scenario:
    organization: OrganizationSettings
    profile: AgentState
    start: datetime
    steps: list[tuple[Step, Actor, timedelta]]


scenarios = st.builds(
    Scenario,
    organizations,
    profiles,
    st.sampled_from(STARTS),
    # The agent clocks in first (never clocked in is the matrix's business); the rest is random.
    st.lists(st.integers(0, 2**63), min_size=15, max_size=40).map(
        lambda drawn: [(ClockIn(Platform.WEB, "north"), AGENT, timedelta(0)), *map(decode, drawn)]
    ),
)


# --- running a scenario --------------------------------------------------------------------------


@dataclass
class Run:
    scenario: Scenario
    state: AgentState
    now: datetime
    history: list[HistoryEntry] = field(default_factory=list)
    # The last step: the state it started from (and a deep copy taken before deciding), and its refusal.
    before: AgentState | None = None
    snapshot: AgentState | None = None
    refusal: DomainError | None = None
    entries: int = 0

    @property
    def settings(self) -> OrganizationSettings:
        return self.scenario.organization


def run(scenario: Scenario, *, snapshots: bool = False) -> Iterator[Run]:
    """Apply the steps one by one (a refused one changes nothing); yield the run after each step."""
    current = Run(scenario, scenario.profile, scenario.start)
    for step, actor, delay in scenario.steps:
        current.now += delay
        current.before = before = current.state
        current.snapshot = copy.deepcopy(before) if snapshots else None
        action = step.resolve(before) if isinstance(step, OnHeldItem) else step
        note(f"{current.now.isoformat()} {actor.kind}: {action!r}")
        try:
            change = decide(before, action, settings=current.settings, actor=actor, now=current.now)
        except DomainError as refusal:
            current.refusal, current.entries = refusal, 0
        else:
            current.state, current.refusal, current.entries = change.state, None, len(change.entries)
            current.history.extend(change.entries)
        yield current


# --- (a) replay ----------------------------------------------------------------------------------


def _live(state: AgentState) -> AgentState:
    """Everything but today's totals (a cache of the history; see (b))."""
    return replace(state, today=None)


@PROPERTY
@given(scenarios)
def test_replaying_the_history_gives_the_live_state(scenario: Scenario) -> None:
    seen, replayed = 0, scenario.profile
    for current in run(scenario):
        # Step by step: the new entries replayed over the state replayed so far...
        replayed = replay(replayed, current.history[seen:])
        assert _live(replayed) == _live(current.state)
        seen = len(current.history)
    # ...and the whole history from the profile.
    assert _live(replay(scenario.profile, current.history)) == _live(current.state)


# --- (b) time per status -------------------------------------------------------------------------


def _nonzero(totals: dict[str, int]) -> dict[str, int]:
    return {str(key): value for key, value in totals.items() if value}


@PROPERTY
@given(scenarios)
def test_todays_totals_match_the_history_and_add_up_to_the_clocked_time(scenario: Scenario) -> None:
    zone = scenario.organization.zone
    for current in run(scenario):
        today = accumulate(current.state, settings=current.settings, now=current.now)
        booked = day_time(current.history, day=today.day, zone=zone, until=current.now)
        assert booked.day == today.day == local_day(current.now, current.settings)
        assert booked.per_status_ms == _nonzero(today.per_status_ms)
        assert booked.per_reason_ms == _nonzero(today.per_reason_ms)
        assert sum(booked.per_status_ms.values()) == booked.clocked_ms
    # Every local day the run touched, the 23- and 25-hour ones included, adds up exactly.
    first = date.fromisoformat(local_day(scenario.start, current.settings))
    last = date.fromisoformat(local_day(current.now, current.settings))
    for offset in range((last - first).days + 1):
        booked = day_time(current.history, day=first + timedelta(days=offset), zone=zone, until=current.now)
        assert sum(booked.per_status_ms.values()) == booked.clocked_ms
        assert booked.clocked_ms <= 25 * 3_600_000


def _clocked_in_at(now: datetime) -> tuple[HistoryEntry, ...]:
    organization = OrganizationSettings(organization_id="acme", time_zone="Europe/Rome")
    profile = AgentState("acme", "ana", "Ana", units=("north",), groups=("agents",))
    return decide(profile, ClockIn(Platform.WEB), settings=organization, actor=AGENT, now=now).entries


def test_the_autumn_clock_change_day_has_25_hours_and_the_spring_one_23() -> None:
    zone = OrganizationSettings(organization_id="acme", time_zone="Europe/Rome").zone
    # Clocked in the evening before each change, still in the evening after it.
    autumn = day_time(
        _clocked_in_at(datetime(2026, 10, 24, 21, 0, tzinfo=UTC)),
        day="2026-10-25",
        zone=zone,
        until=datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
    )
    assert (autumn.per_status_ms, autumn.clocked_ms) == ({"AVAILABLE": 25 * 3_600_000}, 25 * 3_600_000)
    spring = day_time(
        _clocked_in_at(datetime(2026, 3, 28, 21, 0, tzinfo=UTC)),
        day=date(2026, 3, 29),
        zone=zone,
        until=datetime(2026, 3, 30, 12, 0, tzinfo=UTC),
    )
    assert (spring.per_status_ms, spring.clocked_ms) == ({"AVAILABLE": 23 * 3_600_000}, 23 * 3_600_000)
    # Before the day is over: up to `until` only.
    partial = day_time(
        _clocked_in_at(datetime(2026, 3, 28, 21, 0, tzinfo=UTC)),
        day="2026-03-29",
        zone=zone,
        until=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST: 02:00-03:00 never happened
    )
    assert partial.clocked_ms == 150 * 60_000


# --- (c) a way back to AWAY ----------------------------------------------------------------------


def _agent_moves(state: AgentState) -> list[tuple[Action, Actor]]:
    """What the agent may try, with the system ending the work in hand and the wrap-up timer."""
    moves: list[tuple[Action, Actor]] = [
        (ClockOut("END_OF_SHIFT"), AGENT),
        (SetStatus(S.AVAILABLE), AGENT),
        (SetStatus(S.OFFLINE_WORK), AGENT),
        (SetStatus(S.UNAVAILABLE, "BREAK"), AGENT),
        (EndWrapUp(), AGENT),
        (Settle(), SYSTEM),
    ]
    return moves + [(EndWork(item.item_id), SYSTEM) for item in state.active_items()]


def _supervisor_moves(state: AgentState) -> list[tuple[Action, Actor]]:
    """What a supervisor may force, with the system ending the work in hand and the wrap-up timer."""
    moves: list[tuple[Action, Actor]] = [
        (ClockOut("END_OF_SHIFT"), SUPERVISOR),
        (SetStatus(S.AVAILABLE), SUPERVISOR),
        (SetStatus(S.OFFLINE_WORK), SUPERVISOR),
        (SetStatus(S.UNAVAILABLE, "BREAK"), SUPERVISOR),
        (EndWrapUp(), SUPERVISOR),
        (Settle(), SYSTEM),
    ]
    return moves + [(EndWork(item.item_id), SYSTEM) for item in state.active_items()]


def _way_back(
    state: AgentState,
    organization: OrganizationSettings,
    now: datetime,
    moves: Callable[[AgentState], list[tuple[Action, Actor]]],
) -> list[str] | None:
    """The shortest sequence of allowed actions back to AWAY (breadth first), or None."""
    frontier: list[tuple[AgentState, datetime, list[str]]] = [(state, now, [])]
    seen: set[tuple[object, ...]] = set()
    for _ in range(8):
        following: list[tuple[AgentState, datetime, list[str]]] = []
        for agent, at, path in frontier:
            if agent.status is S.AWAY:
                return path
            key = (agent.status, agent.reason, agent.active_items(), agent.next_status, agent.stop_new)
            if key in seen:
                continue
            seen.add(key)
            for action, actor in moves(agent):
                # The timer acts when the wrap-up elapses; everyone else a moment later.
                when = max(at, agent.wrap_up_ends_at) if isinstance(action, Settle) and agent.wrap_up_ends_at else at
                try:
                    change = decide(agent, action, settings=organization, actor=actor, now=when + MS)
                except DomainError:
                    continue
                following.append((change.state, when + MS, [*path, type(action).__name__]))
        frontier = following
    return None


@PROPERTY
@given(scenarios)
def test_every_reached_state_has_a_way_back_to_away(scenario: Scenario) -> None:
    checked: set[tuple[object, ...]] = set()
    for current in run(scenario):
        state = current.state
        key = (state.status, state.reason, state.active_items(), state.next_status, state.stop_new)
        if key in checked:
            continue
        checked.add(key)
        for moves in (_agent_moves, _supervisor_moves):
            path = _way_back(state, current.settings, current.now, moves)
            assert path is not None, (moves.__name__, state.status, state.next_status, current.settings.policy)


# --- (d) the history is a chain, and the state's invariants hold -----------------------------------


def _assert_invariants(state: AgentState) -> None:
    active = state.active_items()
    assert (state.status is S.ACTIVE) == bool(active)
    assert (state.status is S.WRAP_UP) == (state.wrap_up_ends_at is not None)
    assert state.stop_new is False or state.status is S.ACTIVE
    assert state.next_status is None or state.status in (S.ACTIVE, S.WRAP_UP)
    if state.status is S.UNAVAILABLE:
        assert state.reason is not None  # a pause always has a reason
    elif state.status is not S.AWAY:
        assert state.reason is None  # a note, though, may come with any change
    if state.status is S.AWAY:
        assert (state.unit_id, state.queues, state.work_items, state.next_status) == (None, (), (), None)
    else:
        assert state.unit_id in state.units
        assert state.platform is not None
    assert len({item.item_id for item in state.work_items}) == len(state.work_items)
    assert len(set(state.queues)) == len(state.queues)


@PROPERTY
@given(scenarios)
def test_the_history_is_a_chain_and_the_state_stays_sound(scenario: Scenario) -> None:
    for current in run(scenario):
        _assert_invariants(current.state)
    previous_status, previous_at = scenario.profile.status, scenario.start
    for number, entry in enumerate(current.history, start=1):
        assert entry.sequence == number
        assert entry.from_status is previous_status
        assert entry.at >= previous_at
        previous_status, previous_at = entry.to_status, entry.at
    assert current.state.sequence == len(current.history)
    assert current.state.status is previous_status


# --- (e) refusals ----------------------------------------------------------------------------------


RULE = re.compile(r"^[a-z][a-z_]*[a-z]$")


@PROPERTY
@given(scenarios)
def test_a_refused_action_changes_nothing(scenario: Scenario) -> None:
    recorded = 0
    for current in run(scenario, snapshots=True):
        if current.refusal is not None:
            # A domain error naming a stable rule; the state handed in is untouched (no partial change: the
            # entries of an elapsed wrap-up settled on the way are dropped too), and nothing was recorded.
            assert RULE.match(current.refusal.rule), current.refusal
            assert current.before == current.snapshot
            assert current.state is current.before
            assert len(current.history) == recorded
        else:
            # An accepted action always records something, numbered on from the state it started from.
            assert current.entries > 0
            assert current.before is not None
            assert current.state.sequence == current.before.sequence + current.entries
        recorded = len(current.history)


# --- replay on a broken or older history ----------------------------------------------------------


def _history() -> tuple[AgentState, list[HistoryEntry]]:
    organization = OrganizationSettings(
        organization_id="acme", queues=(Queue(queue_id="web-chat", name="Chat", kind=QueueKind.CHAT),)
    )
    profile = AgentState("acme", "ana", "Ana", units=("north",), groups=("agents",))
    steps: list[tuple[Action, Actor]] = [
        (ClockIn(Platform.APP), AGENT),
        (OfferWork("c1", Channel.CHAT, "T-9", "web-chat"), SYSTEM),
        (AcceptWork("c1", Channel.VOICE), AGENT),  # the offer's channel wins
    ]
    state, history, now = profile, list[HistoryEntry](), STARTS[2]
    for action, actor in steps:
        now += timedelta(seconds=5)
        change = decide(state, action, settings=organization, actor=actor, now=now)
        state, history = change.state, [*history, *change.entries]
    return profile, history


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda h: h[1:], "does not follow 0"),  # the clock-in is missing
        (lambda h: [h[0], h[2]], "does not follow 1"),
        (lambda h: [replace(h[0], from_status=S.AVAILABLE)], "starts from AVAILABLE, not AWAY"),
        (lambda h: [h[0], replace(h[1], to_status=S.UNAVAILABLE)], "changes the status"),
    ],
)
def test_replay_refuses_a_broken_history(
    broken: Callable[[list[HistoryEntry]], list[HistoryEntry]], message: str
) -> None:
    profile, history = _history()
    with pytest.raises(ValueError, match=message):
        replay(profile, broken(history))


def test_replay_of_entries_written_before_items_carried_their_channel() -> None:
    profile, history = _history()
    older = [
        replace(entry, detail={k: v for k, v in entry.detail.items() if k in {"item", "workAction"}})
        for entry in history
    ]
    replayed = replay(profile, older)
    (item,) = replayed.work_items
    # The accepted item keeps what the offer said; an offer with no channel on record counts as a case.
    assert (item.item_id, item.state, item.channel, item.reference) == ("c1", WorkState.ACTIVE, Channel.CASE, None)
    assert (replayed.status, replayed.platform, replayed.sequence) == (S.ACTIVE, Platform.APP, 3)
