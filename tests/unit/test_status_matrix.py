"""The whole transition matrix of the status engine: every status x every action x the actors who take it
x the default and the strict policy, against a table written from SPEC "Agent statuses" / "Transitions"
(not from the code). Each state is reached by driving a fresh agent through `decide`.

Reading of the spec the table encodes (where it is silent or open, the choice is written here):
- clock-in is the agent's own (it opens the agent's session, with a platform and a unit): a supervisor
  cannot clock an agent in.
- clock-out is refused to an ACTIVE agent (the organization's default); a supervisor forcing AWAY closes
  the agent's sessions whatever the agent is doing (seed 003: forced change to DISCONNECTED).
- a supervisor forcing AVAILABLE releases the work in hand; that also ends a wrap-up early. Any other
  manual change out of ACTIVE/WRAP_UP is refused: a next status is set instead.
- offers are recorded for any clocked-in agent (routing, not the engine, keeps work from OFFLINE_WORK
  or UNAVAILABLE agents); work accepted makes any clocked-in agent ACTIVE.
- an offer rejected while other work is in hand or in wrap-up leaves UNAVAILABLE(BREAK) as the next
  status (unless one is pending already): the break starts when the work is over.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.agents import Actor, AgentState, Change, EntryKind, WorkState
from contactcenter.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from contactcenter.organization import Channel, OrganizationSettings, Queue, QueueKind, Unit, WrapUpMode
from contactcenter.replay import replay
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
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WRAP_UP_SECONDS = 30

ACTORS = {"agent": AGENT, "supervisor": SUPERVISOR, "system": SYSTEM}


def settings_for(policy: TransitionPolicy, **overrides: object) -> OrganizationSettings:
    values: dict[str, object] = {
        "organization_id": "acme",
        "time_zone": "Europe/Rome",
        "units": (Unit(unit_id="north", name="North"), Unit(unit_id="south", name="South")),
        "queues": (
            Queue(queue_id="support-line", name="Support line", kind=QueueKind.QUEUE),
            Queue(queue_id="web-chat", name="Web chat", kind=QueueKind.CHAT, wrap_up_seconds=0),
            Queue(queue_id="renewals", name="Renewals", kind=QueueKind.CAMPAIGN),
        ),
        "wrap_up_seconds": WRAP_UP_SECONDS,
        "policy": policy,
    }
    return OrganizationSettings.model_validate(values | overrides)


POLICIES = {"default": DEFAULT_POLICY, "strict": STRICT_POLICY}

# --- driving a fresh agent into each state -------------------------------------------------------


@dataclass
class Driver:
    settings: OrganizationSettings
    state: AgentState = PROFILE
    now: datetime = T0

    def do(self, action: Action, actor: Actor = AGENT) -> Driver:
        self.now += timedelta(seconds=1)
        self.state = decide(self.state, action, settings=self.settings, actor=actor, now=self.now).state
        return self


def _clocked_in(settings: OrganizationSettings) -> Driver:
    return Driver(settings).do(ClockIn(Platform.WEB)).do(LogIntoQueue("support-line"))


def _active(settings: OrganizationSettings) -> Driver:
    return _clocked_in(settings).do(AcceptWork("call-1", Channel.VOICE, "T-100", "support-line"), SYSTEM)


def _wrap_up(settings: OrganizationSettings) -> Driver:
    return _active(settings).do(EndWork("call-1"), SYSTEM)


def _with_offer(build: Callable[[OrganizationSettings], Driver]) -> Callable[[OrganizationSettings], Driver]:
    """Every clocked-in state also holds an outstanding chat offer, so rejecting/accepting it is testable."""

    def built(settings: OrganizationSettings) -> Driver:
        return build(settings).do(OfferWork("offer-1", Channel.CHAT, "C-7", "web-chat"), SYSTEM)

    return built


STATES: dict[str, Callable[[OrganizationSettings], Driver]] = {
    "AWAY": Driver,
    "AVAILABLE": _with_offer(_clocked_in),
    "UNAVAILABLE": _with_offer(lambda s: _clocked_in(s).do(SetStatus(S.UNAVAILABLE, "BREAK"))),
    "OFFLINE_WORK": _with_offer(lambda s: _clocked_in(s).do(SetStatus(S.OFFLINE_WORK))),
    "ACTIVE": _with_offer(_active),
    "WRAP_UP": _with_offer(_wrap_up),
    # Variants of the working statuses: stop-new on, a next status pending.
    "ACTIVE_STOP_NEW": _with_offer(lambda s: _active(s).do(StopNew())),
    "ACTIVE_NEXT": _with_offer(lambda s: _active(s).do(SetNextStatus(S.UNAVAILABLE, "MEETING"))),
    "WRAP_UP_NEXT": _with_offer(lambda s: _wrap_up(s).do(SetNextStatus(S.OFFLINE_WORK))),
}
STATUS_OF = {name: S(name) for name in STATES if name in S.__members__} | {
    "ACTIVE_STOP_NEW": S.ACTIVE,
    "ACTIVE_NEXT": S.ACTIVE,
    "WRAP_UP_NEXT": S.WRAP_UP,
}
STATE_REASON = {"UNAVAILABLE": "BREAK"}


# --- the actions ---------------------------------------------------------------------------------

# label -> (action, seconds after the state was reached)
ACTIONS: dict[str, tuple[Action, int]] = {
    "ClockIn": (ClockIn(Platform.WEB), 1),
    "ClockOut": (ClockOut("END_OF_SHIFT"), 1),
    "SetStatus(AVAILABLE)": (SetStatus(S.AVAILABLE), 1),
    "SetStatus(OFFLINE_WORK)": (SetStatus(S.OFFLINE_WORK), 1),
    "SetStatus(UNAVAILABLE,BREAK)": (SetStatus(S.UNAVAILABLE, "BREAK"), 1),
    "SetStatus(UNAVAILABLE,MEETING)": (SetStatus(S.UNAVAILABLE, "MEETING"), 1),
    "SetStatus(UNAVAILABLE,OTHER)": (SetStatus(S.UNAVAILABLE, "OTHER", "dentist"), 1),
    "SetStatus(AWAY,SICK)": (SetStatus(S.AWAY, "SICK"), 1),
    "SetStatus(ACTIVE)": (SetStatus(S.ACTIVE), 1),
    "SetStatus(WRAP_UP)": (SetStatus(S.WRAP_UP), 1),
    "SetNextStatus(AVAILABLE)": (SetNextStatus(S.AVAILABLE), 1),
    "SetNextStatus(OFFLINE_WORK)": (SetNextStatus(S.OFFLINE_WORK), 1),
    "SetNextStatus(UNAVAILABLE,BACK_OFFICE)": (SetNextStatus(S.UNAVAILABLE, "BACK_OFFICE"), 1),
    "SetNextStatus(AWAY,END_OF_SHIFT)": (SetNextStatus(S.AWAY, "END_OF_SHIFT"), 1),
    "SetNextStatus(WRAP_UP)": (SetNextStatus(S.WRAP_UP), 1),
    "CancelNextStatus": (CancelNextStatus(), 1),
    "StopNew": (StopNew(), 1),
    "Resume": (Resume(), 1),
    "SetAutoAssignment(off)": (SetAutoAssignment(enabled=False), 1),
    "SetAutoAssignment(on)": (SetAutoAssignment(enabled=True), 1),
    "LogIntoQueue(web-chat)": (LogIntoQueue("web-chat"), 1),
    "LogOutOfQueue(support-line)": (LogOutOfQueue("support-line"), 1),
    "OfferWork(chat-9)": (OfferWork("chat-9", Channel.CHAT, "C-9", "web-chat"), 1),
    "AcceptWork(chat-9)": (AcceptWork("chat-9", Channel.CHAT, "C-9", "web-chat"), 1),
    "AcceptWork(offer-1)": (AcceptWork("offer-1", Channel.CHAT), 1),
    "RejectWork(offer-1)": (RejectWork("offer-1"), 1),
    "EndWork(call-1)": (EndWork("call-1"), 1),
    "EndWrapUp": (EndWrapUp(), 1),
    "Settle": (Settle(), 1),
    "Settle(wrap-up elapsed)": (Settle(), WRAP_UP_SECONDS + 5),
}


# --- the expected outcomes (from the spec) -------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    status: Status
    reason: str | None = None


@dataclass(frozen=True)
class Err:
    error: type[DomainError]
    rule: str


Outcome = Ok | Err

NON_WORKING = ("AWAY", "AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK")
WORKING = ("ACTIVE", "WRAP_UP", "ACTIVE_STOP_NEW", "ACTIVE_NEXT", "WRAP_UP_NEXT")
ACTIVES = ("ACTIVE", "ACTIVE_STOP_NEW", "ACTIVE_NEXT")
WRAP_UPS = ("WRAP_UP", "WRAP_UP_NEXT")
CLOCKED_IN = tuple(name for name in STATES if name != "AWAY")


def unchanged() -> dict[str, Outcome]:
    """The action succeeds and leaves the status (and reason) as they were."""
    return {name: Ok(STATUS_OF[name], STATE_REASON.get(name)) for name in STATES}


def every(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(STATES, outcome)


def _but(base: dict[str, Outcome], **cells: Outcome) -> dict[str, Outcome]:
    return base | cells


NOT_CLOCKED_IN = Err(Conflict, "not_clocked_in")
NO_CHANGE = Err(Conflict, "no_change")
SET_AUTOMATICALLY = Err(Conflict, "status_set_automatically")
NOT_ALLOWED = Err(Conflict, "transition_not_allowed")


def _clock_out(reason: str, *, forced: bool) -> dict[str, Outcome]:
    table = dict.fromkeys(CLOCKED_IN, Ok(S.AWAY, reason)) | {"AWAY": NOT_CLOCKED_IN}
    if not forced:
        table |= dict.fromkeys(ACTIVES, Err(Conflict, "clock_out_while_active"))
    return table


def _set_status(target: Status, reason: str | None, *, forced: bool) -> dict[str, Outcome]:
    """Manual change in the default policy; the strict policy's differences are in STRICT below."""
    table: dict[str, Outcome] = {"AWAY": NOT_CLOCKED_IN}
    for name in ("AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK"):
        same = STATUS_OF[name] is target and STATE_REASON.get(name) == reason
        table[name] = NO_CHANGE if same else Ok(target, reason)
    for name in WORKING:
        table[name] = Ok(target, reason) if forced and target is S.AVAILABLE else SET_AUTOMATICALLY
    return table


def _next_status(*, automatic: bool = False) -> dict[str, Outcome]:
    on_work = Err(Invalid, "automatic_status") if automatic else None
    table: dict[str, Outcome] = dict.fromkeys(NON_WORKING, Err(Conflict, "not_working"))
    for name in WORKING:
        table[name] = on_work or Ok(STATUS_OF[name])
    return table


BREAK = Ok(S.UNAVAILABLE, "BREAK")

# (action, actor) -> state -> outcome, for the default policy.
EXPECTED: dict[tuple[str, str], dict[str, Outcome]] = {
    ("ClockIn", "agent"): _but(every(Err(Conflict, "already_clocked_in")), AWAY=Ok(S.AVAILABLE)),
    ("ClockIn", "supervisor"): every(Err(Forbidden, "agent_clocks_in")),
    ("ClockOut", "agent"): _clock_out("END_OF_SHIFT", forced=False),
    ("ClockOut", "supervisor"): _clock_out("END_OF_SHIFT", forced=True),
    ("SetStatus(AWAY,SICK)", "agent"): _clock_out("SICK", forced=False),
    ("SetStatus(AWAY,SICK)", "supervisor"): _clock_out("SICK", forced=True),
    ("SetStatus(AVAILABLE)", "agent"): _set_status(S.AVAILABLE, None, forced=False),
    ("SetStatus(AVAILABLE)", "supervisor"): _set_status(S.AVAILABLE, None, forced=True),
    ("SetStatus(OFFLINE_WORK)", "agent"): _set_status(S.OFFLINE_WORK, None, forced=False),
    ("SetStatus(OFFLINE_WORK)", "supervisor"): _set_status(S.OFFLINE_WORK, None, forced=True),
    ("SetStatus(UNAVAILABLE,BREAK)", "agent"): _set_status(S.UNAVAILABLE, "BREAK", forced=False),
    ("SetStatus(UNAVAILABLE,BREAK)", "supervisor"): _set_status(S.UNAVAILABLE, "BREAK", forced=True),
    ("SetStatus(UNAVAILABLE,MEETING)", "agent"): _set_status(S.UNAVAILABLE, "MEETING", forced=False),
    ("SetStatus(UNAVAILABLE,MEETING)", "supervisor"): _set_status(S.UNAVAILABLE, "MEETING", forced=True),
    ("SetStatus(UNAVAILABLE,OTHER)", "agent"): _set_status(S.UNAVAILABLE, "OTHER", forced=False),
    ("SetStatus(UNAVAILABLE,OTHER)", "supervisor"): _set_status(S.UNAVAILABLE, "OTHER", forced=True),
    ("SetStatus(ACTIVE)", "agent"): every(Err(Invalid, "automatic_status")),
    ("SetStatus(ACTIVE)", "supervisor"): every(Err(Invalid, "automatic_status")),
    ("SetStatus(WRAP_UP)", "agent"): every(Err(Invalid, "automatic_status")),
    ("SetStatus(WRAP_UP)", "supervisor"): every(Err(Invalid, "automatic_status")),
    **{
        (label, actor): _next_status()
        for label in (
            "SetNextStatus(AVAILABLE)",
            "SetNextStatus(OFFLINE_WORK)",
            "SetNextStatus(UNAVAILABLE,BACK_OFFICE)",
            "SetNextStatus(AWAY,END_OF_SHIFT)",
        )
        for actor in ("agent", "supervisor")
    },
    ("SetNextStatus(WRAP_UP)", "agent"): _next_status(automatic=True),
    ("SetNextStatus(WRAP_UP)", "supervisor"): _next_status(automatic=True),
    **{
        ("CancelNextStatus", actor): _but(
            every(Err(Conflict, "no_next_status")), ACTIVE_NEXT=Ok(S.ACTIVE), WRAP_UP_NEXT=Ok(S.WRAP_UP)
        )
        for actor in ("agent", "supervisor")
    },
    ("StopNew", "agent"): _but(
        every(Err(Conflict, "not_active")), ACTIVE=Ok(S.ACTIVE), ACTIVE_NEXT=Ok(S.ACTIVE), ACTIVE_STOP_NEW=NO_CHANGE
    ),
    ("Resume", "agent"): _but(every(NO_CHANGE), ACTIVE_STOP_NEW=Ok(S.ACTIVE)),
    ("SetAutoAssignment(off)", "agent"): every(Err(Forbidden, "supervisor_only")),
    ("SetAutoAssignment(off)", "supervisor"): unchanged(),
    ("SetAutoAssignment(on)", "agent"): every(Err(Forbidden, "supervisor_only")),
    ("SetAutoAssignment(on)", "supervisor"): every(NO_CHANGE),
    ("LogIntoQueue(web-chat)", "agent"): _but(unchanged(), AWAY=NOT_CLOCKED_IN),
    ("LogIntoQueue(web-chat)", "supervisor"): _but(unchanged(), AWAY=NOT_CLOCKED_IN),
    ("LogOutOfQueue(support-line)", "agent"): _but(unchanged(), AWAY=Err(Conflict, "not_logged_in")),
    ("LogOutOfQueue(support-line)", "supervisor"): _but(unchanged(), AWAY=Err(Conflict, "not_logged_in")),
    ("OfferWork(chat-9)", "system"): _but(unchanged(), AWAY=NOT_CLOCKED_IN),
    **{
        (label, actor): _but(every(Ok(S.ACTIVE)), AWAY=NOT_CLOCKED_IN)
        for label in ("AcceptWork(chat-9)", "AcceptWork(offer-1)")
        for actor in ("agent", "system")
    },
    **{
        ("RejectWork(offer-1)", actor): _but(
            unchanged(), AWAY=Err(Conflict, "not_offered"), AVAILABLE=BREAK, UNAVAILABLE=BREAK, OFFLINE_WORK=BREAK
        )
        for actor in ("agent", "system")
    },
    **{
        ("EndWork(call-1)", actor): _but(every(Err(Conflict, "not_in_hand")), **dict.fromkeys(ACTIVES, Ok(S.WRAP_UP)))
        for actor in ("agent", "system")
    },
    **{
        ("EndWrapUp", actor): _but(
            every(Err(Conflict, "not_in_wrap_up")), WRAP_UP=Ok(S.AVAILABLE), WRAP_UP_NEXT=Ok(S.OFFLINE_WORK)
        )
        for actor in ("agent", "supervisor")
    },
    ("Settle", "system"): every(Err(Conflict, "nothing_to_settle")),
    ("Settle(wrap-up elapsed)", "system"): _but(
        every(Err(Conflict, "nothing_to_settle")), WRAP_UP=Ok(S.AVAILABLE), WRAP_UP_NEXT=Ok(S.OFFLINE_WORK)
    ),
}

# Where the strict policy differs: UNAVAILABLE only to OFFLINE_WORK or AWAY, OFFLINE_WORK only to
# AVAILABLE or AWAY. Automatic changes (a rejected offer's break) are not the policy's business.
STRICT: dict[tuple[str, str, str], Outcome] = {
    **{
        (label, actor, "UNAVAILABLE"): NOT_ALLOWED
        for label in ("SetStatus(AVAILABLE)", "SetStatus(UNAVAILABLE,MEETING)", "SetStatus(UNAVAILABLE,OTHER)")
        for actor in ("agent", "supervisor")
    },
    **{
        (label, actor, "OFFLINE_WORK"): NOT_ALLOWED
        for label in (
            "SetStatus(UNAVAILABLE,BREAK)",
            "SetStatus(UNAVAILABLE,MEETING)",
            "SetStatus(UNAVAILABLE,OTHER)",
        )
        for actor in ("agent", "supervisor")
    },
}

CASES = [
    pytest.param(policy, label, actor, state, id=f"{policy}-{state}-{label}-{actor}")
    for (label, actor), row in EXPECTED.items()
    for state in row
    for policy in POLICIES
]


def test_the_table_covers_every_state_and_action() -> None:
    assert {label for label, _ in EXPECTED} == set(ACTIONS)
    for key, row in EXPECTED.items():
        assert set(row) == set(STATES), key
    assert {key[:2] for key in STRICT} <= set(EXPECTED)


def expected(policy: str, label: str, actor: str, state: str) -> Outcome:
    if policy == "strict" and (label, actor, state) in STRICT:
        return STRICT[(label, actor, state)]
    return EXPECTED[(label, actor)][state]


# --- the matrix ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reached() -> dict[tuple[str, str], Driver]:
    """Each state of each policy, reached once."""
    return {
        (policy, name): build(settings_for(POLICIES[policy])) for policy in POLICIES for name, build in STATES.items()
    }


@pytest.mark.parametrize(("policy", "label", "actor", "state"), CASES)
def test_matrix(reached: dict[tuple[str, str], Driver], policy: str, label: str, actor: str, state: str) -> None:
    driver = reached[(policy, state)]
    before = driver.state
    assert before.status is STATUS_OF[state]
    snapshot = copy.deepcopy(before)
    action, delay = ACTIONS[label]
    now = driver.now + timedelta(seconds=delay)
    outcome = expected(policy, label, actor, state)

    if isinstance(outcome, Err):
        with pytest.raises(DomainError) as caught:
            decide(before, action, settings=driver.settings, actor=ACTORS[actor], now=now)
        assert type(caught.value) is outcome.error, caught.value
        assert caught.value.rule == outcome.rule, caught.value
        assert before == snapshot  # nothing changed
        return

    change = decide(before, action, settings=driver.settings, actor=ACTORS[actor], now=now)
    after = change.state
    assert (after.status, after.reason) == (outcome.status, outcome.reason)
    # Time alone ends a wrap-up: at the moment it elapsed, not when it was noticed.
    _assert_recorded(before, change, at=before.wrap_up_ends_at if isinstance(action, Settle) else now)
    EFFECTS.get(label.split("(", maxsplit=1)[0], _no_effect)(before, after, label)
    # The history alone rebuilds the agent (everything but today's totals, which replay.day_time covers).
    assert replace(replay(before, change.entries), today=None) == replace(after, today=None)


def _assert_recorded(before: AgentState, change: Change, *, at: datetime | None) -> None:
    """Every change is recorded, in order, from where the agent was to where the agent is."""
    assert change.entries
    previous_status, sequence = before.status, before.sequence
    for entry in change.entries:
        sequence += 1
        assert (entry.sequence, entry.from_status) == (sequence, previous_status)
        previous_status = entry.to_status
    assert change.state.sequence == sequence
    last = change.entries[-1]
    assert (last.to_status, last.reason, last.at) == (change.state.status, change.state.reason, at)
    if change.state.status is not before.status or change.state.reason != before.reason:
        assert last.kind is EntryKind.STATUS


# --- what each action does beside the status (checked on every success) --------------------------


def _no_effect(before: AgentState, after: AgentState, label: str) -> None:
    pass


def _changed_by_hand(before: AgentState, after: AgentState, label: str) -> None:
    """A manual or forced change releases what the agent holds (forced ACTIVE -> AVAILABLE: the work in
    hand; otherwise an outstanding offer) and drops a pending next status: the newer choice wins."""
    assert (after.work_items, after.next_status, after.stop_new) == ((), None, False)
    if after.status is S.AWAY:
        assert (after.unit_id, after.queues) == (None, ())
    else:
        assert (after.unit_id, after.queues) == (before.unit_id, before.queues)


def _clocked_in_for_a_unit(before: AgentState, after: AgentState, label: str) -> None:
    assert (after.unit_id, after.platform, after.queues) == ("north", Platform.WEB, ())


def _next_set(before: AgentState, after: AgentState, label: str) -> None:
    action = ACTIONS[label][0]
    assert isinstance(action, SetNextStatus)
    assert after.next_status is not None
    assert (after.next_status.status, after.next_status.reason) == (action.status, action.reason)
    assert after.work_items == before.work_items


def _next_cancelled(before: AgentState, after: AgentState, label: str) -> None:
    assert before.next_status is not None
    assert after.next_status is None


def _stopped(before: AgentState, after: AgentState, label: str) -> None:
    assert after.stop_new is (label == "StopNew")


def _auto_assignment(before: AgentState, after: AgentState, label: str) -> None:
    assert after.auto_assignment is (label == "SetAutoAssignment(on)")


def _queues(before: AgentState, after: AgentState, label: str) -> None:
    if label.startswith("LogInto"):
        assert after.queues == (*before.queues, "web-chat")
    else:
        assert "support-line" not in after.queues


def _offered(before: AgentState, after: AgentState, label: str) -> None:
    item = after.item("chat-9")
    assert item is not None
    assert (item.state, item.channel, item.queue_id) == (WorkState.OFFERED, Channel.CHAT, "web-chat")


def _accepted(before: AgentState, after: AgentState, label: str) -> None:
    item_id = "chat-9" if "chat-9" in label else "offer-1"
    item = after.item(item_id)
    assert item is not None
    assert (item.state, item.channel) == (WorkState.ACTIVE, Channel.CHAT)
    assert after.next_status == before.next_status  # work does not drop a pending choice


def _rejected(before: AgentState, after: AgentState, label: str) -> None:
    assert after.item("offer-1") is None
    if before.status in (S.ACTIVE, S.WRAP_UP):
        # The break waits for the work to be over; an earlier choice is kept (a newer one is not overridden).
        assert after.next_status is not None
        if before.next_status is not None:
            assert after.next_status == before.next_status
        else:
            assert (after.next_status.status, after.next_status.reason) == (S.UNAVAILABLE, "BREAK")


def _ended(before: AgentState, after: AgentState, label: str) -> None:
    assert after.item("call-1") is None
    assert after.wrap_up_ends_at is not None
    assert after.next_status == before.next_status


def _work_over(before: AgentState, after: AgentState, label: str) -> None:
    assert after.next_status is None
    assert after.wrap_up_ends_at is None
    if label == "Settle(wrap-up elapsed)":
        # Recorded at the moment the wrap-up elapsed, not when the system noticed.
        assert after.since == before.wrap_up_ends_at


EFFECTS: dict[str, Callable[[AgentState, AgentState, str], None]] = {
    "ClockIn": _clocked_in_for_a_unit,
    "ClockOut": _changed_by_hand,
    "SetStatus": _changed_by_hand,
    "SetNextStatus": _next_set,
    "CancelNextStatus": _next_cancelled,
    "StopNew": _stopped,
    "Resume": _stopped,
    "SetAutoAssignment": _auto_assignment,
    "LogIntoQueue": _queues,
    "LogOutOfQueue": _queues,
    "OfferWork": _offered,
    "AcceptWork": _accepted,
    "RejectWork": _rejected,
    "EndWork": _ended,
    "EndWrapUp": _work_over,
    "Settle": _work_over,
}


# --- settings the matrix holds fixed -------------------------------------------------------------


def _reach(name: str, **overrides: object) -> Driver:
    return STATES[name](settings_for(DEFAULT_POLICY, **overrides))


def _refused(driver: Driver, action: Action, actor: Actor, error: type[DomainError], rule: str) -> DomainError:
    before = copy.deepcopy(driver.state)
    with pytest.raises(error) as caught:
        decide(driver.state, action, settings=driver.settings, actor=actor, now=driver.now + timedelta(seconds=1))
    assert caught.value.rule == rule
    assert driver.state == before
    return caught.value


def test_clock_out_while_active_when_the_organization_allows_it() -> None:
    driver = _reach("ACTIVE", clock_out_while_active=True).do(ClockOut("END_OF_SHIFT"))
    assert (driver.state.status, driver.state.reason, driver.state.work_items) == (S.AWAY, "END_OF_SHIFT", ())


def test_timeboxed_wrap_up_has_no_early_exit_for_the_agent_but_a_supervisor_can_end_it() -> None:
    driver = _reach("WRAP_UP", wrap_up_mode=WrapUpMode.TIMEBOXED)
    _refused(driver, EndWrapUp(), AGENT, Forbidden, "wrap_up_timeboxed")
    assert driver.do(EndWrapUp(), SUPERVISOR).state.status is S.AVAILABLE


def test_a_queue_may_be_timeboxed_in_an_optional_organization() -> None:
    timeboxed = (
        Queue(queue_id="support-line", name="Support", wrap_up_mode=WrapUpMode.TIMEBOXED, wrap_up_seconds=90),
        Queue(queue_id="web-chat", name="Chat", kind=QueueKind.CHAT),
    )
    driver = _wrap_up(settings_for(DEFAULT_POLICY, queues=timeboxed))
    assert driver.state.wrap_up_ends_at == driver.now + timedelta(seconds=90)
    _refused(driver, EndWrapUp(), AGENT, Forbidden, "wrap_up_timeboxed")


def test_no_wrap_up_time_means_straight_back_to_available() -> None:
    driver = _clocked_in(settings_for(DEFAULT_POLICY, wrap_up_seconds=0))
    driver.do(AcceptWork("call-1", Channel.VOICE, queue_id="support-line"), SYSTEM).do(EndWork("call-1"), SYSTEM)
    assert driver.state.status is S.AVAILABLE


def test_wrap_up_time_of_the_queue_wins() -> None:
    driver = _clocked_in(settings_for(DEFAULT_POLICY))
    driver.do(AcceptWork("chat-1", Channel.CHAT, queue_id="web-chat"), SYSTEM).do(EndWork("chat-1"), SYSTEM)
    assert driver.state.status is S.AVAILABLE  # web-chat has no wrap-up


def test_next_status_applies_when_work_ends_without_wrap_up() -> None:
    driver = _clocked_in(settings_for(DEFAULT_POLICY, wrap_up_seconds=0))
    driver.do(AcceptWork("call-1", Channel.VOICE), SYSTEM).do(SetNextStatus(S.UNAVAILABLE, "OTHER", "training"))
    driver.do(EndWork("call-1"), SYSTEM)
    assert (driver.state.status, driver.state.reason, driver.state.note) == (S.UNAVAILABLE, "OTHER", "training")


def test_only_the_last_item_ending_ends_the_work() -> None:
    driver = _active(settings_for(DEFAULT_POLICY)).do(AcceptWork("chat-1", Channel.CHAT), SYSTEM)
    driver.do(EndWork("call-1"), SYSTEM)
    assert driver.state.status is S.ACTIVE
    driver.do(EndWork("chat-1"), SYSTEM)
    # The last item's wrap-up applies: chat-1 came from no queue, so the organization's 30 s.
    assert driver.state.status is S.WRAP_UP
    assert driver.state.wrap_up_ends_at == driver.now + timedelta(seconds=WRAP_UP_SECONDS)


def test_setting_a_next_status_again_replaces_it_and_the_last_choice_applies() -> None:
    driver = _active(settings_for(DEFAULT_POLICY))
    driver.do(SetNextStatus(S.UNAVAILABLE, "MEETING")).do(SetNextStatus(S.OFFLINE_WORK), SUPERVISOR)
    assert driver.state.next_status is not None
    assert driver.state.next_status.requested_by == SUPERVISOR
    driver.do(EndWork("call-1"), SYSTEM).do(EndWrapUp())
    assert driver.state.status is S.OFFLINE_WORK


def test_a_rejected_offer_does_not_override_a_pending_choice() -> None:
    driver = _with_offer(_active)(settings_for(DEFAULT_POLICY)).do(SetNextStatus(S.OFFLINE_WORK))
    driver.do(RejectWork("offer-1"), SYSTEM).do(EndWork("call-1"), SYSTEM).do(EndWrapUp())
    assert driver.state.status is S.OFFLINE_WORK


def test_a_rejected_offer_while_working_breaks_after_the_work() -> None:
    driver = _with_offer(_active)(settings_for(DEFAULT_POLICY)).do(RejectWork("offer-1"), SYSTEM)
    driver.do(EndWork("call-1"), SYSTEM).do(EndWrapUp())
    assert (driver.state.status, driver.state.reason) == (S.UNAVAILABLE, "BREAK")


@pytest.mark.parametrize("state", ["AVAILABLE", "OFFLINE_WORK", "ACTIVE", "WRAP_UP"])
def test_no_break_on_reject_when_the_organization_turns_it_off(state: str) -> None:
    driver = _reach(state, break_on_reject=False)
    before = driver.state
    driver.do(RejectWork("offer-1"), SYSTEM)
    assert (driver.state.status, driver.state.reason, driver.state.next_status) == (
        before.status,
        before.reason,
        before.next_status,
    )


def test_the_break_on_reject_is_recorded_as_the_systems_change() -> None:
    driver = _reach("AVAILABLE")
    change = decide(driver.state, RejectWork("offer-1"), settings=driver.settings, actor=AGENT, now=driver.now)
    assert change.entry.actor == Actor.system()
    assert change.entry.detail == {"item": "offer-1", "workAction": "rejected"}


def test_an_elapsed_wrap_up_is_recorded_before_the_next_action_at_the_moment_it_elapsed() -> None:
    driver = _reach("WRAP_UP")
    ends_at = driver.state.wrap_up_ends_at
    later = driver.now + timedelta(minutes=5)
    change = decide(driver.state, SetStatus(S.UNAVAILABLE, "BREAK"), settings=driver.settings, actor=AGENT, now=later)
    assert [(e.from_status, e.to_status, e.at, e.actor) for e in change.entries] == [
        (S.WRAP_UP, S.AVAILABLE, ends_at, Actor.system()),
        (S.AVAILABLE, S.UNAVAILABLE, later, AGENT),
    ]


def test_a_refused_action_after_an_elapsed_wrap_up_records_nothing() -> None:
    driver = _reach("WRAP_UP")
    driver.now += timedelta(minutes=5)
    _refused(driver, SetStatus(S.ACTIVE), AGENT, Invalid, "automatic_status")


# --- reasons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "error", "rule", "field"),
    [
        (SetStatus(S.UNAVAILABLE), Invalid, "reason_required", "reason"),
        (SetStatus(S.UNAVAILABLE, "NAP"), Invalid, "unknown_reason", "reason"),
        (SetStatus(S.UNAVAILABLE, "END_OF_SHIFT"), Invalid, "unknown_reason", "reason"),
        (SetStatus(S.UNAVAILABLE, "OTHER"), Invalid, "description_required", "description"),
        (SetStatus(S.UNAVAILABLE, "OTHER", "   "), Invalid, "description_required", "description"),
        (SetStatus(S.OFFLINE_WORK, "BREAK"), Invalid, "reason_not_allowed", "reason"),
        (ClockOut(""), Invalid, "reason_required", "reason"),
        (ClockOut("BREAK"), Invalid, "unknown_reason", "reason"),
        (ClockOut("OTHER"), Invalid, "description_required", "description"),
        (SetNextStatus(S.UNAVAILABLE), Invalid, "reason_required", "reason"),
        (SetNextStatus(S.AWAY, "MEETING"), Invalid, "unknown_reason", "reason"),
    ],
)
def test_reasons_are_validated(action: Action, error: type[DomainError], rule: str, field: str) -> None:
    state = "ACTIVE" if isinstance(action, SetNextStatus) else "AVAILABLE"
    refused = _refused(_reach(state), action, AGENT, error, rule)
    assert refused.field == field


def test_an_inactive_reason_is_unknown() -> None:
    from contactcenter.organization import DEFAULT_UNAVAILABLE_REASONS, Reason

    reasons = (*DEFAULT_UNAVAILABLE_REASONS, Reason(code="LUNCH", label="Lunch", active=False))
    _refused(
        _reach("AVAILABLE", unavailable_reasons=reasons),
        SetStatus(S.UNAVAILABLE, "LUNCH"),
        AGENT,
        Invalid,
        "unknown_reason",
    )


def test_a_description_is_kept_as_the_note() -> None:
    driver = _reach("AVAILABLE").do(SetStatus(S.UNAVAILABLE, "OTHER", "  dentist "))
    assert (driver.state.reason, driver.state.note) == ("OTHER", "dentist")
    driver.do(ClockOut("OTHER", "family"))
    assert (driver.state.reason, driver.state.note) == ("OTHER", "family")


# --- clock-in ------------------------------------------------------------------------------------


def test_clock_in_needs_a_tracked_agent() -> None:
    untracked = Driver(settings_for(DEFAULT_POLICY))
    untracked.state = AgentState("acme", "una", "Una", units=("north",), groups=("back-office",))
    refused = _refused(untracked, ClockIn(Platform.WEB), AGENT, Forbidden, "agent_not_tracked")
    assert "tracked" in refused.message


def test_clock_in_needs_tracking_on() -> None:
    _refused(_reach("AWAY", tracking_enabled=False), ClockIn(Platform.WEB), AGENT, Forbidden, "tracking_disabled")


def test_clock_in_from_a_platform_the_organization_does_not_allow() -> None:
    driver = _reach("AWAY", clock_in_platforms=frozenset({Platform.WEB}))
    assert _refused(driver, ClockIn(Platform.APP), AGENT, Forbidden, "platform_not_allowed").field == "platform"


def test_an_agent_in_several_units_picks_one() -> None:
    driver = _reach("AWAY")
    driver.state = AgentState("acme", "cy", "Cy", units=("north", "south"), groups=("agents",))
    assert _refused(driver, ClockIn(Platform.APP), AGENT, Invalid, "unit_required").field == "unitId"
    _refused(driver, ClockIn(Platform.APP, "east"), AGENT, Invalid, "unknown_unit")
    driver.do(ClockIn(Platform.APP, "south"))
    assert (driver.state.status, driver.state.unit_id, driver.state.platform) == (S.AVAILABLE, "south", Platform.APP)


def test_an_agent_picks_only_their_own_unit() -> None:
    _refused(_reach("AWAY"), ClockIn(Platform.WEB, "south"), AGENT, Invalid, "unknown_unit")


# --- queues --------------------------------------------------------------------------------------


def test_an_unknown_queue_is_not_found() -> None:
    refused = _refused(_reach("AVAILABLE"), LogIntoQueue("nowhere"), AGENT, NotFound, "unknown_queue")
    assert refused.field == "queueId"


def test_restricted_unassigned_queues() -> None:
    driver = _reach("AVAILABLE", restrict_unassigned_queues=True)
    _refused(driver, LogIntoQueue("renewals"), AGENT, Forbidden, "unassigned_queue")
    driver.do(LogIntoQueue("web-chat"))  # assigned: fine
    driver.do(LogIntoQueue("renewals"), SUPERVISOR)  # a supervisor may, and it is no membership
    assert driver.state.queues == ("support-line", "web-chat", "renewals")
    assert driver.state.assigned_queues == PROFILE.assigned_queues
    _refused(driver, LogIntoQueue("renewals"), SUPERVISOR, Conflict, "no_change")
    driver.do(LogOutOfQueue("renewals"))  # the agent may always leave
    assert "renewals" not in driver.state.queues


def test_clock_out_logs_out_of_every_queue() -> None:
    driver = _reach("AVAILABLE").do(LogIntoQueue("web-chat")).do(ClockOut("END_OF_SHIFT"))
    assert driver.state.queues == ()
    driver.do(ClockIn(Platform.WEB))
    assert driver.state.queues == ()


# --- work ----------------------------------------------------------------------------------------


def test_work_items_are_not_duplicated() -> None:
    driver = _reach("ACTIVE")
    _refused(driver, AcceptWork("call-1", Channel.VOICE), SYSTEM, Conflict, "duplicate_item")
    _refused(driver, OfferWork("offer-1", Channel.CHAT), SYSTEM, Conflict, "duplicate_item")
    _refused(driver, RejectWork("call-1"), SYSTEM, Conflict, "not_offered")
    _refused(driver, EndWork("offer-1"), SYSTEM, Conflict, "not_in_hand")


def test_an_accepted_offer_keeps_what_the_offer_said() -> None:
    driver = _reach("AVAILABLE").do(AcceptWork("offer-1", Channel.VOICE), SYSTEM)
    item = driver.state.item("offer-1")
    assert item is not None
    assert (item.channel, item.reference, item.queue_id) == (Channel.CHAT, "C-7", "web-chat")


def test_a_clocked_out_agent_holds_no_offer() -> None:
    """Clocking out through a next status drops outstanding offers; rejecting one later must not
    put an AWAY agent back in a clocked-in status (status.py fix: AWAY holds no work items)."""
    driver = _with_offer(_wrap_up)(settings_for(DEFAULT_POLICY)).do(SetNextStatus(S.AWAY, "END_OF_SHIFT"))
    driver.do(EndWrapUp())
    assert (driver.state.status, driver.state.work_items) == (S.AWAY, ())
    _refused(driver, RejectWork("offer-1"), SYSTEM, Conflict, "not_offered")


# --- a replaced policy governs the working statuses too -------------------------------------------


def _no_exit_from_work() -> TransitionPolicy:
    """Valid (work ends by itself into AVAILABLE), but no clock-out straight from ACTIVE or WRAP_UP."""
    manual = dict(DEFAULT_POLICY.manual) | {S.ACTIVE: frozenset(), S.WRAP_UP: frozenset()}
    return TransitionPolicy(name="no-exit-from-work", manual=manual)


@pytest.mark.parametrize("state", ["ACTIVE", "WRAP_UP"])
@pytest.mark.parametrize("actor", [AGENT, SUPERVISOR], ids=["agent", "supervisor"])
def test_a_policy_without_clock_out_from_work_refuses_it(state: str, actor: Actor) -> None:
    """SPEC: manual changes, and forced ones, follow the organization's policy, which is data."""
    driver = STATES[state](settings_for(_no_exit_from_work(), clock_out_while_active=True))
    _refused(driver, ClockOut("END_OF_SHIFT"), actor, Conflict, "transition_not_allowed")


def test_under_such_a_policy_the_way_out_is_through_the_end_of_the_work() -> None:
    driver = _active(settings_for(_no_exit_from_work())).do(SetNextStatus(S.AWAY, "END_OF_SHIFT"))
    driver.do(EndWork("call-1"), SYSTEM).do(EndWrapUp())
    assert (driver.state.status, driver.state.reason) == (S.AWAY, "END_OF_SHIFT")
