"""Timers through the real handlers on moto: a wrap-up's end is sent as a delayed SQS message when the
wrap-up starts, and the timers function records it at its exact moment (the sweep is only the backstop)."""

from __future__ import annotations

import copy
import json
import time
from datetime import datetime
from typing import Any

import boto3
import pytest

from contactcenter.environment import environment
from contactcenter.timers import MAX_DELAY_SECONDS, Timer, TimerKind
from functions.status import timers
from tests.handlers.conftest import body_of
from tests.handlers.test_status import Client
from tests.support import organizations
from tests.support.events import load


@pytest.fixture
def quick(aws: None, context: Any) -> Client:
    """An agent of an organization whose wrap-up lasts one second."""
    organizations.register(organizations.build("quick", wrap_up_seconds=1))
    return Client(context, "ana", org="quick")


def _queue() -> tuple[Any, str]:
    return boto3.client("sqs"), environment().require_timer_queue_url()


def _counts() -> tuple[int, int]:
    sqs, url = _queue()
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesDelayed"])


def _event(*bodies: str) -> dict[str, Any]:
    sample = load("sqs")["Records"][0]
    return {"Records": [copy.deepcopy(sample) | {"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}


def _receive(wait_seconds: int = 3) -> list[str]:
    sqs, url = _queue()
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds).get(
        "Messages", []
    )
    return [m["Body"] for m in messages]


def _wrap_up(agent: Client) -> datetime:
    agent.clock_in()
    agent.work("call-1", "accepted", channel="voice")
    wrap = body_of(agent.work("call-1", "ended"))["agent"]
    assert wrap["status"] == "WRAP_UP"
    return datetime.fromisoformat(wrap["wrapUpEndsAt"])


def test_a_wrap_up_sends_its_end_as_a_delayed_timer(quick: Client) -> None:
    ends_at = _wrap_up(quick)
    assert _counts() == (0, 1)  # delayed: not receivable before its moment (rounded down to the second)
    (body,) = _receive()
    timer = Timer.from_message(body)
    assert (timer.kind, timer.organization_id, timer.agent_id, timer.due_at) == (
        TimerKind.WRAP_UP_END,
        "quick",
        "ana",
        ends_at,
    )


def test_the_timer_records_the_end_at_its_exact_moment_once(quick: Client, context: Any) -> None:
    ends_at = _wrap_up(quick)
    (body,) = _receive()
    assert timers.handler(_event(body), context) == {"batchItemFailures": []}
    assert datetime.now(ends_at.tzinfo) >= ends_at  # it waited for the moment, never recorded it early
    entries = body_of(quick.call("GET", "/me/history"))["entries"]
    assert (entries[0]["fromStatus"], entries[0]["toStatus"], entries[0]["actorKind"]) == (
        "WRAP_UP",
        "AVAILABLE",
        "system",
    )
    assert datetime.fromisoformat(entries[0]["at"]) == ends_at
    # Delivered again (SQS delivers at least once): nothing more is recorded.
    assert timers.handler(_event(body), context) == {"batchItemFailures": []}
    assert body_of(quick.call("GET", "/me/history"))["entries"] == entries


def test_a_timer_after_the_agent_moved_on_does_nothing(quick: Client, context: Any) -> None:
    _wrap_up(quick)
    assert quick.call("POST", "/me/wrap-up/end")["statusCode"] == 200
    before = body_of(quick.call("GET", "/me/history"))["entries"]
    (body,) = _receive()
    assert timers.handler(_event(body), context) == {"batchItemFailures": []}
    assert body_of(quick.call("GET", "/me/history"))["entries"] == before


def test_a_timer_further_off_than_sqs_delays_goes_round_again(quick: Client, context: Any) -> None:
    due = datetime.fromisoformat("2030-01-01T00:00:00.000+00:00")
    far = Timer(TimerKind.WRAP_UP_END, "quick", "ana", due)
    started = time.monotonic()
    assert timers.handler(_event(far.to_message()), context) == {"batchItemFailures": []}
    assert time.monotonic() - started < MAX_DELAY_SECONDS  # carried over, not waited for
    assert _counts() == (0, 1)  # sent again, with SQS's longest delay


def test_a_body_it_did_not_write_fails_alone(quick: Client, context: Any) -> None:
    ends_at = _wrap_up(quick)
    (body,) = _receive()
    answer = timers.handler(_event("not a timer", body), context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    entries = body_of(quick.call("GET", "/me/history"))["entries"]
    assert datetime.fromisoformat(entries[0]["at"]) == ends_at


def test_a_wrap_up_ended_early_still_sends_one_timer_per_wrap_up(quick: Client) -> None:
    _wrap_up(quick)
    quick.call("POST", "/me/wrap-up/end")
    quick.work("call-2", "accepted", channel="voice")
    quick.work("call-2", "ended")
    assert sum(_counts()) == 2
    bodies = _receive() + _receive()
    assert len({json.loads(b)["dueAt"] for b in bodies}) == 2
