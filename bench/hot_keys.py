"""Hot keys: the peak of a simulated peak hour of two 10,000-agent organizations, replayed through the real
service and store code into bench/recorder.py, which counts the writes each table and index partition
receives in each second and which organizations wrote it.

Per organization (seeded, the same every run): 20 units of 500 agents, each unit with its own queue
(wrap-up 30 s). The window opens on every agent clocked in and logged into their unit's queue, three in
four in a call (their state decided by the pure rules and placed in the recorder, not counted: clocking
20,000 agents in through the real requests would cost more than the window). The window is a minute of
the peak hour, when every second is alike: each agent ends the call they are in, then handles calls back
to back, accepted, ended 4 to 10 minutes later, the wrap-up recorded by its timer 30 s after (through
services/timers.py, as the timers function does), the next call 10 s to 3 minutes after that: about 55
changes a second in each organization (the issue's peak is 35-50). Every change carries an idempotency
key. At second 20 an assignment goes to all 10,000 agents (the real store's batches back to back, each
modelled as taking 5 ms, the fastest DynamoDB answers) and 1,000 of them save it in the seconds after.

- hot_keys.max_partition_writes_per_second_10k_agents: the most writes any partition (table or index)
  received in any one second of the window.
- hot_keys.shared_between_organizations: partitions written by both organizations in the window.

Botocore's parameter validation is off for the replay's clients (the requests are the store's own, and
validating the transactions' agent views costs minutes on a busy machine); serialization is on.
"""

from __future__ import annotations

import heapq
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.recorder import Recorder
from bench.rows import Row

ORGANIZATIONS = ("acme10k", "globex10k")
UNITS = 20
AGENTS_PER_UNIT = 500
WINDOW_SECONDS = 60
WRAP_UP_SECONDS = 30
ASSIGNMENT_AT = 20
SAVES = 1000
START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _environment() -> None:
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "TABLE_NAME": "contactcenter-hot-keys",
            "TIMER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/timers",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _settings(organization_id: str) -> Any:
    from contactcenter.organization import OrganizationSettings, Queue, QueueKind, Unit

    return OrganizationSettings(
        organization_id=organization_id,
        name=organization_id,
        time_zone="Europe/Rome",
        units=tuple(Unit(unit_id=f"u{n}", name=f"Unit {n}") for n in range(UNITS)),
        queues=tuple(Queue(queue_id=f"q{n}", name=f"Queue {n}", kind=QueueKind.QUEUE) for n in range(UNITS)),
        wrap_up_seconds=WRAP_UP_SECONDS,
    )


def _agents(organization_id: str) -> list[tuple[str, str, str]]:
    return [(f"a{unit:02d}-{n:03d}", f"u{unit}", f"q{unit}") for unit in range(UNITS) for n in range(AGENTS_PER_UNIT)]


Event = tuple[float, int, Callable[[], None]]


def _seed_agents(organization_id: str, recorder: Recorder, rng: random.Random) -> dict[str, float | None]:
    """Every agent as the window finds them: clocked in, logged into their unit's queue, three in four in
    a call. Decided by the pure rules and placed in the recorder as the store would write them (the state
    item and its queue login), not sent through botocore: only the window is measured, and writing 20,000
    agents' mornings through the real requests would cost more than the window itself. Returns, per agent,
    when their current call ends (None: not in a call)."""
    from contactcenter.agents import Actor, ActorKind
    from contactcenter.organization import Channel
    from contactcenter.status import AcceptWork, ClockIn, LogIntoQueue, decide
    from contactcenter.statuses import Platform
    from contactcenter.store import agents as agent_store
    from contactcenter.store import organizations
    from contactcenter.store.items import to_item

    settings = organizations.get_settings(organization_id)
    ends: dict[str, float | None] = {}
    for agent_id, _, queue in _agents(organization_id):
        key = ("ORG#" + organization_id + "#AGENT#" + agent_id, "STATE")
        known = agent_store.state_from_item(_plain(recorder.items[key]))
        actor = Actor(ActorKind.AGENT, agent_id)
        moment = START - timedelta(seconds=rng.uniform(900, 1800))
        state = decide(known, ClockIn(Platform.WEB), settings=settings, actor=actor, now=moment).state
        logged = decide(state, LogIntoQueue(queue), settings=settings, actor=actor, now=moment + timedelta(seconds=1))
        state, revision = logged.state, 3
        ends[agent_id] = None
        if rng.random() < 0.75:
            accepted = moment + timedelta(seconds=rng.uniform(2, 600))
            item = AcceptWork(f"{agent_id}-call", Channel.VOICE, queue_id=queue)
            state = decide(state, item, settings=settings, actor=actor, now=accepted).state
            revision += 1
            ends[agent_id] = round(rng.uniform(0, 600), 3)
        stored = agent_store.state_to_item(state) | {"revision": revision}
        recorder.items[key] = to_item(stored)
        for write in agent_store._queue_login_writes(known, state, settings, "seed"):
            put = write["Put"]["Item"]
            recorder.items[(put["pk"]["S"], put["sk"]["S"])] = put
    return ends


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from contactcenter.store.items import from_item

    return from_item(item)


def _plan(organization_id: str, ends: dict[str, float | None], rng: random.Random) -> list[Event]:
    """The window's calls: each agent ends the call they are in (if any), then takes calls back to back."""
    from contactcenter.agents import Actor, ActorKind
    from contactcenter.organization import Channel
    from contactcenter.services import timers as timer_service
    from contactcenter.services.agent_changes import change_agent
    from contactcenter.status import AcceptWork, EndWork
    from contactcenter.timers import Timer, TimerKind

    events: list[Event] = []
    counter = 0

    def at(seconds: float, action: Callable[[], None]) -> None:
        nonlocal counter
        if seconds >= WINDOW_SECONDS:
            return  # past the window: not replayed
        counter += 1
        events.append((seconds, counter, action))

    def change(agent_id: str, action: Any, seconds: float) -> Callable[[], None]:
        def run() -> None:
            change_agent(
                organization_id,
                agent_id,
                action,
                actor=Actor(ActorKind.AGENT, agent_id),
                now=START + timedelta(seconds=seconds),
                idempotency_key=f"k-{agent_id}-{seconds:.3f}",
            )

        return run

    def settle(agent_id: str, seconds: float) -> Callable[[], None]:
        due = START + timedelta(seconds=seconds)
        return lambda: timer_service.apply_due(Timer(TimerKind.WRAP_UP_END, organization_id, agent_id, due))

    for agent_id, _, queue in _agents(organization_id):
        end = ends[agent_id]
        if end is None:
            t = round(rng.uniform(0, 180), 3)
        else:
            at(end, change(agent_id, EndWork(f"{agent_id}-call"), end))
            at(end + WRAP_UP_SECONDS, settle(agent_id, end + WRAP_UP_SECONDS))
            t = round(end + WRAP_UP_SECONDS + rng.uniform(10, 180), 3)
        call = 0
        while t < WINDOW_SECONDS:
            item = f"{agent_id}-call{call}"
            at(t, change(agent_id, AcceptWork(item, Channel.VOICE, queue_id=queue), t))
            t = round(t + rng.uniform(240, 600), 3)
            at(t, change(agent_id, EndWork(item), t))
            at(t + WRAP_UP_SECONDS, settle(agent_id, t + WRAP_UP_SECONDS))
            t += WRAP_UP_SECONDS + rng.uniform(10, 180)
            call += 1
    return events


def _assignment_events(organization_id: str, recorder: Recorder, rng: random.Random) -> list[Event]:
    from contactcenter.assignments import AgentAssignment, Assignment, AssignmentType
    from contactcenter.store import assignments as assignment_store

    created = START + timedelta(seconds=ASSIGNMENT_AT)
    assignment = Assignment(
        organization_id=organization_id,
        assignment_id="asg-everyone",
        type=AssignmentType.ELEARNING,
        title="Security refresher",
        instructions="Watch it",
        content_link=None,
        confirmation_statement="I watched it",
        comments_allowed=False,
        due_at=created + timedelta(days=7),
        created_by="admin",
        created_at=created,
        agent_count=UNITS * AGENTS_PER_UNIT,
    )
    agents = _agents(organization_id)
    copies = [
        AgentAssignment(
            organization_id=organization_id,
            assignment_id=assignment.assignment_id,
            agent_id=agent_id,
            unit_ids=(unit,),
            type=assignment.type,
            title=assignment.title,
            due_at=assignment.due_at,
            created_by=assignment.created_by,
            created_at=created,
            has_confirmation=True,
            comments_allowed=False,
        )
        for agent_id, unit, _ in agents
    ]

    def create() -> None:
        recorder.seconds_per_request = 0.005  # back-to-back batches, as fast as DynamoDB answers
        try:
            assignment_store.create(assignment, copies)
        finally:
            recorder.seconds_per_request = 0.0

    def save(agent_id: str, seconds: float) -> Callable[[], None]:
        return lambda: (
            assignment_store.save(
                organization_id,
                agent_id,
                assignment.assignment_id,
                expected_version=1,
                confirmed=True,
                comments=None,
                visible=frozenset({AssignmentType.ELEARNING}),
                now=START + timedelta(seconds=seconds),
            )
            and None
        )

    events: list[Event] = [(float(ASSIGNMENT_AT), -1, create)]
    for number, (agent_id, _, _) in enumerate(rng.sample(agents, SAVES)):
        seconds = round(rng.uniform(ASSIGNMENT_AT + 10, WINDOW_SECONDS), 3)
        events.append((seconds, -2 - number, save(agent_id, seconds)))
    return events


def replay() -> Recorder:
    _environment()
    from contactcenter.agents import AgentState
    from contactcenter.environment import environment
    from contactcenter.services.administration import create_organization
    from contactcenter.store import agents as agent_store
    from contactcenter.store import clients, organizations

    environment.cache_clear()
    clients.reset()
    organizations.forget_cached_settings()
    agent_store.forget_known_states()
    recorder = Recorder(counting=False)
    rng = random.Random(19)
    with unvalidated_clients() as (dynamodb, sqs), recorder.attached(dynamodb, sqs):
        for organization_id in ORGANIZATIONS:  # before the hour: the organizations and their agents
            create_organization(_settings(organization_id), actor_id="bench", now=START - timedelta(days=1))
            for agent_id, unit, queue in _agents(organization_id):
                agent_store.create_profile(
                    AgentState(
                        organization_id=organization_id,
                        agent_id=agent_id,
                        display_name=f"Agent {agent_id}",
                        units=(unit,),
                        groups=("agents",),
                        assigned_queues=(queue,),
                    )
                )
        events: list[tuple[float, int, str, Callable[[], None]]] = []
        for organization_id in ORGANIZATIONS:
            planned = _plan(organization_id, _seed_agents(organization_id, recorder, rng), rng)
            planned += _assignment_events(organization_id, recorder, rng)
            events += [(seconds, order, organization_id, action) for seconds, order, action in planned]
        heapq.heapify(events)
        recorder.counting = True
        while events:
            seconds, _, organization_id, action = heapq.heappop(events)
            recorder.now = START.timestamp() + seconds
            recorder.organization = organization_id
            action()
            recorder.changes += 1
    return recorder


@contextmanager
def unvalidated_clients() -> Iterator[tuple[Any, Any]]:
    """The store's DynamoDB and SQS clients, made without botocore's parameter validation, for a while."""
    import boto3
    from botocore.config import Config

    from contactcenter.store import clients

    config = Config(parameter_validation=False)
    dynamodb, sqs = boto3.client("dynamodb", config=config), boto3.client("sqs", config=config)
    factories = clients.dynamodb, clients.sqs
    clients.dynamodb, clients.sqs = (lambda: dynamodb), (lambda: sqs)  # type: ignore[assignment]
    try:
        yield dynamodb, sqs
    finally:
        clients.dynamodb, clients.sqs = factories


def measure() -> list[Row]:
    recorder = replay()
    hottest, most = max(recorder.per_second.items(), key=lambda entry: entry[1])
    (partition, second) = hottest
    shared = [p for p, writers in recorder.writers.items() if len(writers) > 1]
    per_kind: Counter[str] = Counter()
    for (kind, _), count in recorder.per_second.items():
        per_kind[kind] = max(per_kind[kind], count)
    where = f"{partition[0]} {partition[1]!r} at second {int(second - START.timestamp())} of the hour"
    rate = recorder.changes / len(ORGANIZATIONS) / WINDOW_SECONDS
    return [
        Row(
            "hot_keys.max_partition_writes_per_second_10k_agents",
            most,
            "writes/s",
            f"{where}; {rate:.0f} changes a second in each of two organizations, a minute of a peak hour",
        ),
        Row("hot_keys.shared_between_organizations", len(shared), "partitions", ", ".join(p[1] for p in shared)[:200]),
        Row("hot_keys.partitions_written", len(recorder.writers), "partitions", "table and index partitions"),
    ]
