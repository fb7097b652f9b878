"""Schedule expressions and the scheduler's movable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from infra.wiring import WIRING, Schedule
from local.runtime import LambdaRuntime
from local.schedule_expressions import InvalidExpression, parse
from local.scheduler import ClockError, Scheduler, schedule_arn
from tests.local.support import LocalGateway, Recorder, recording_wiring


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expression: str, after: str, until: str) -> list[str]:
    return [f"{moment:%Y-%m-%dT%H:%M}" for moment in parse(expression).occurrences(at(after), at(until))]


def test_rate_fires_on_whole_multiples_of_its_period() -> None:
    assert fires("rate(1 hour)", "2026-03-01T09:30", "2026-03-01T12:00") == [
        "2026-03-01T10:00",
        "2026-03-01T11:00",
        "2026-03-01T12:00",
    ]
    assert fires("rate(15 minutes)", "2026-03-01T09:00", "2026-03-01T09:40") == ["2026-03-01T09:15", "2026-03-01T09:30"]
    assert fires("rate(1 day)", "2026-03-01T00:00", "2026-03-02T00:00") == ["2026-03-02T00:00"]


def test_cron_follows_eventbridge_fields() -> None:
    # 2026-03-02 is a Monday.
    assert fires("cron(0 8 ? * MON-FRI *)", "2026-03-01T00:00", "2026-03-08T00:00") == [
        f"2026-03-0{day}T08:00" for day in range(2, 7)
    ]
    assert fires("cron(30 1 L * ? *)", "2026-02-01T00:00", "2026-03-31T23:59") == [
        "2026-02-28T01:30",
        "2026-03-31T01:30",
    ]
    assert fires("cron(0/20 12 1,15 JAN,MAR ? 2026)", "2026-01-01T00:00", "2026-12-31T00:00") == [
        f"2026-{month}-{day}T12:{minute}"
        for month in ("01", "03")
        for day in ("01", "15")
        for minute in ("00", "20", "40")
    ]
    assert fires("cron(0 0 ? * 1 *)", "2026-03-01T00:00", "2026-03-15T00:00") == [
        "2026-03-08T00:00",
        "2026-03-15T00:00",
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 hours)",
        "rate(1 week)",
        "cron(0 8 * * * *)",
        "cron(0 8 ? * ? *)",
        "cron(0 8 * *)",
        "cron(0 8 ? * 2#1 *)",
        "every hour",
    ],
)
def test_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(InvalidExpression):
        parse(expression)


def test_at_fires_once() -> None:
    assert fires("at(2026-05-01T10:00:00)", "2026-05-01T00:00", "2026-05-02T00:00") == ["2026-05-01T10:00"]
    assert fires("at(2026-05-01T10:00:00)", "2026-05-01T10:00", "2026-05-02T00:00") == []


def test_every_wiring_schedule_parses() -> None:
    for schedule in WIRING.schedules:
        parse(schedule.expression)


@pytest.fixture
def scheduler(recorder: Recorder) -> Any:
    wiring = recording_wiring(
        schedules=(Schedule("compile", "job", "rate(1 hour)"), Schedule("noon", "job", "cron(0 12 * * ? *)"))
    )
    runtime = LambdaRuntime(wiring, resolve=recorder.resolve)
    made = Scheduler(wiring.schedules, invoker=runtime, max_firings_per_move=30)
    yield made
    runtime.close()


def _days_ahead(days: int, hour: int, minute: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_moving_the_clock_fires_every_occurrence_crossed_in_order(scheduler: Scheduler, recorder: Recorder) -> None:
    start = _days_ahead(2, 9, 10)
    assert scheduler.advance_to(start, fire=False) == []
    assert recorder.events["job"] == []

    firings = scheduler.advance_to(start.replace(hour=12, minute=30))

    assert [(f.schedule, f"{f.time:%H:%M}") for f in firings] == [
        ("compile", "10:00"),
        ("compile", "11:00"),
        ("compile", "12:00"),
        ("noon", "12:00"),
    ]
    events = recorder.events["job"]
    day = f"{start:%Y-%m-%d}"
    assert [event["time"] for event in events] == [
        f"{day}T10:00:00Z",
        f"{day}T11:00:00Z",
        f"{day}T12:00:00Z",
        f"{day}T12:00:00Z",
    ]
    assert events[0]["resources"] == [schedule_arn("compile")]
    assert events[-1]["resources"] == ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/noon"]
    assert abs(scheduler.clock.now() - start.replace(hour=12, minute=30)) < timedelta(seconds=5)


def test_the_clock_does_not_go_back_nor_jump_past_too_many_firings(scheduler: Scheduler, recorder: Recorder) -> None:
    start = _days_ahead(2, 0, 30)
    scheduler.advance_to(start, fire=False)
    with pytest.raises(ClockError):
        scheduler.advance_to(start - timedelta(minutes=1))
    with pytest.raises(ClockError):
        scheduler.advance_to(start + timedelta(days=2))  # 48 hourly firings, more than 30
    assert scheduler.clock.now() < start + timedelta(minutes=5)
    assert recorder.events["job"] == []


def test_a_failing_function_is_reported_not_retried(scheduler: Scheduler, recorder: Recorder) -> None:
    def fail(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("no reports today")

    recorder.behaviours["job"] = fail
    (firing,) = [f for f in scheduler.advance_to(scheduler.clock.now() + timedelta(hours=1)) if f.schedule == "compile"]
    assert not firing.ok
    assert firing.error == "RuntimeError: no reports today"


def test_the_clock_and_fire_endpoints(start_gateway) -> None:
    wiring = recording_wiring(schedules=(Schedule("compile", "job", "rate(1 hour)"),))
    stack: LocalGateway = start_gateway(wiring=wiring, with_scheduler=True)

    moved = httpx.post(f"{stack.api_url}/_local/clock", json={"now": "2030-01-01T00:30:00Z", "fire": False})
    assert moved.json() == {"now": "2030-01-01T00:30:00Z", "fired": []}
    moved = httpx.post(f"{stack.api_url}/_local/clock", json={"now": "2030-01-01T02:30:00Z"}, timeout=10)
    assert moved.json()["fired"] == [
        {"schedule": "compile", "time": "2030-01-01T01:00:00Z", "ok": True, "error": None},
        {"schedule": "compile", "time": "2030-01-01T02:00:00Z", "ok": True, "error": None},
    ]
    assert httpx.get(f"{stack.api_url}/_local/clock").json()["now"].startswith("2030-01-01T02:30")
    assert httpx.post(f"{stack.api_url}/_local/clock", json={"now": "2029-01-01T00:00:00Z"}).status_code == 409
    assert httpx.post(f"{stack.api_url}/_local/clock", json={"now": "soon"}).status_code == 400

    fired = httpx.post(f"{stack.api_url}/_local/schedules/compile/fire", timeout=10)
    assert fired.status_code == 200
    assert stack.recorder.events["job"][-1]["time"].startswith("2030-01-01T02:30")
    assert httpx.post(f"{stack.api_url}/_local/schedules/nope/fire").status_code == 404
