"""What the contract fuzzing sends, and its bounds; the run's summary is printed by conftest.py at the end.

Each operation gets the same share of the run: every other case of schemathesis's coverage phase (its
boundary and negative cases, at most COVERAGE_SENDS), every case of the fuzzing phase, and at most
OPERATION_SECONDS from its first request. Cases past a bound are still generated but not sent.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

COVERAGE_STRIDE = 2  # one coverage case in two is sent
COVERAGE_SENDS = 14  # per operation
OPERATION_SECONDS = 2.5  # per operation, from its first request
RUN_SECONDS = 170.0  # the whole run: a last bound, should the machine be much slower


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    first_request: dict[str, float] = field(default_factory=dict)
    generated: Counter[tuple[str, str]] = field(default_factory=Counter)  # (operation, phase) -> cases
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    not_sent: Counter[str] = field(default_factory=Counter)  # reason -> cases
    last_answer: float = 0.0

    def admit(self, operation: str, phase: str, *, unroutable: bool) -> bool:
        """Whether to send this case; counts why not."""
        index = self.generated[(operation, phase)]
        self.generated[(operation, phase)] += 1
        now = time.monotonic()
        reason = None
        if unroutable:
            reason = "a line break in a path parameter (the local gateway cannot route it)"
        elif now - self.started > RUN_SECONDS:
            reason = "run time"
        elif now - self.first_request.setdefault(operation, now) > OPERATION_SECONDS:
            reason = "operation time"
        elif phase == "coverage" and (index % COVERAGE_STRIDE or self.sent[(operation, phase)] >= COVERAGE_SENDS):
            reason = "coverage cases thinned"
        if reason is not None:
            self.not_sent[reason] += 1
            return False
        return True

    def turn(self, operation: str) -> int:
        """How many cases of this operation were sent so far."""
        return sum(count for (name, _), count in self.sent.items() if name == operation)

    def record(self, operation: str, phase: str, status: int) -> None:
        self.sent[(operation, phase)] += 1
        self.statuses[status] += 1
        self.last_answer = time.monotonic()

    def summary(self) -> str:
        operations = {name for name, _ in self.sent}
        by_phase = Counter()
        for (_, phase), count in self.sent.items():
            by_phase[phase] += count
        by_class = Counter()
        for status, count in self.statuses.items():
            by_class[f"{status // 100}xx"] += count
        return (
            f"contract fuzzing: {len(operations)} operations, {sum(self.sent.values())} cases sent "
            f"(by phase {dict(sorted(by_phase.items()))}; answers {dict(sorted(by_class.items()))}), "
            f"{sum(self.generated.values())} generated; not sent: {dict(self.not_sent)}; "
            f"{self.last_answer - self.started:.0f} s"
        )


TALLY = Tally()
