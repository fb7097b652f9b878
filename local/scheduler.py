"""EventBridge Scheduler for the wiring's schedules, on a clock that tests and developers can move.

The clock runs in real time from wherever it was last set. Moving it forward (POST /_local/clock) fires,
in order, every occurrence it crosses, each with the event EventBridge Scheduler would have sent at that
moment (`time` is the scheduled time, `resources` the schedule's ARN); /_local/schedules/{name}/fire
fires one schedule now. Scheduler invokes its target asynchronously; here the invocation is waited for,
so a caller knows the work is done, and a failure is logged and reported, not retried.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.wiring import Schedule
from local.apigw import ACCOUNT_ID, REGION, iso_seconds
from local.runtime import FunctionError, Invoker
from local.schedule_expressions import Expression, parse

logger = logging.getLogger("local.scheduler")


class ClockError(ValueError):
    """The clock cannot move there: backwards, or past more firings than allowed at once."""


class Clock:
    """Real time plus an offset; thread-safe."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._offset = moment.astimezone(UTC) - datetime.now(UTC)


@dataclass(frozen=True)
class Firing:
    schedule: str
    time: datetime
    ok: bool
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "time": iso_seconds(self.time), "ok": self.ok, "error": self.error}


def schedule_arn(name: str) -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{name}"


def scheduled_event(name: str, moment: datetime, detail: str = "{}") -> dict[str, Any]:
    """The event of tests/events/eventbridge-scheduler.json for one firing."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": iso_seconds(moment),
        "region": REGION,
        "resources": [schedule_arn(name)],
        "detail": detail,
    }


class Scheduler:
    def __init__(
        self,
        schedules: Sequence[Schedule],
        *,
        invoker: Invoker,
        clock: Clock | None = None,
        tick_seconds: float = 1.0,
        max_firings_per_move: int = 1000,
    ) -> None:
        self._schedules = {schedule.name: schedule for schedule in schedules}
        self._expressions: dict[str, Expression] = {schedule.name: parse(schedule.expression) for schedule in schedules}
        self._invoker = invoker
        self.clock = clock or Clock()
        self._tick = tick_seconds
        self._max_firings = max_firings_per_move
        self._lock = threading.Lock()  # one firing pass at a time: the ticker's or a caller's
        self._checked = self.clock.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._schedules)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def advance_to(self, moment: datetime, *, fire: bool = True) -> list[Firing]:
        """Moves the clock to `moment` and fires everything due on the way (nothing with fire=False, to
        set a scene); raises ClockError."""
        moment = moment.astimezone(UTC)
        with self._lock:
            if moment < self._checked:
                raise ClockError(f"the clock is at {iso_seconds(self._checked)} and only moves forward")
            due = self._due(moment) if fire else []
            self.clock.set(moment)
            self._checked = moment
            return [self._fire(name, at) for at, name in due]

    def fire(self, name: str) -> Firing:
        """Fires one schedule now, whatever its expression; raises KeyError for an unknown name."""
        if name not in self._schedules:
            raise KeyError(name)
        with self._lock:
            return self._fire(name, self.clock.now().replace(microsecond=0))

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            try:
                with self._lock:
                    until = self.clock.now()
                    try:
                        due = self._due(until)
                    except ClockError as exc:  # the process slept through more than a burst's worth
                        logger.error("skipping missed firings: %s", exc)
                        due = []
                    self._checked = until
                    for at, name in due:
                        self._fire(name, at)
            except Exception:
                logger.exception("the scheduler's tick failed")

    def _due(self, until: datetime) -> list[tuple[datetime, str]]:
        due: list[tuple[datetime, str]] = []
        for name, expression in self._expressions.items():
            for at in expression.occurrences(self._checked, until):
                due.append((at, name))
                if len(due) > self._max_firings:
                    raise ClockError(
                        f"moving the clock to {iso_seconds(until)} would fire more than "
                        f"{self._max_firings} times; move it in smaller steps"
                    )
        return sorted(due)

    def _fire(self, name: str, at: datetime) -> Firing:
        schedule = self._schedules[name]
        # Every minute for the sweep: shown with --log-level DEBUG only, so a developer's terminal stays quiet.
        logger.debug("schedule %s fires for %s", name, iso_seconds(at))
        try:
            self._invoker.invoke(schedule.function, scheduled_event(name, at, schedule.detail))
        except FunctionError as exc:
            return Firing(name, at, ok=False, error=f"{exc.error_type}: {exc.error_message}")
        return Firing(name, at, ok=True)
