"""Fairness between organizations: each organization's requests pass through its own token bucket, so one
organization's burst is answered 429 (with Retry-After) while the others go on. Pure: the caller passes
the clock (a monotonic second count).

HTTP APIs have no usage plans and WAF does not attach to them; the stage's throttle is one limit that all
organizations share. The buckets live in each function's execution environment: an organization gets at
most `burst` requests at once and `rate` a second after that, per function and per warm environment of it
(docs/security.md states the bounds)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# Organizations whose buckets one environment keeps; the least recently seen is forgotten past this (a
# forgotten bucket starts full again: a bound on memory, not on anyone's rate).
TRACKED_ORGANIZATIONS_MAX = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TenantLimiter:
    """A token bucket per organization: `rate` tokens a second, at most `burst` held."""

    def __init__(self, *, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a tenant limit needs a positive rate and a burst of at least 1")
        self.rate, self.burst = rate, burst
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def admit(self, organization_id: str, *, now: float) -> float | None:
        """None when the request may go on (one token taken); else the seconds until a token is back."""
        bucket = self._buckets.pop(organization_id, None) or _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[organization_id] = bucket
        if len(self._buckets) > TRACKED_ORGANIZATIONS_MAX:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.rate
