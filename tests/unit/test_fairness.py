"""The per-organization token bucket (contactcenter/fairness.py), on a clock the test moves."""

from __future__ import annotations

import pytest

from contactcenter.fairness import TenantLimiter


def test_a_burst_then_the_rate() -> None:
    limiter = TenantLimiter(rate=2.0, burst=3)
    assert [limiter.admit("acme", now=0.0) for _ in range(3)] == [None, None, None]
    assert limiter.admit("acme", now=0.0) == pytest.approx(0.5)
    assert limiter.admit("acme", now=0.5) is None  # one token back after 1/rate seconds
    assert limiter.admit("acme", now=0.5) == pytest.approx(0.5)
    assert [limiter.admit("acme", now=100.0) for _ in range(3)] == [None, None, None]  # never more than the burst
    assert limiter.admit("acme", now=100.0) is not None


def test_organizations_do_not_share_a_bucket() -> None:
    limiter = TenantLimiter(rate=1.0, burst=1)
    assert limiter.admit("acme", now=0.0) is None
    assert limiter.admit("acme", now=0.0) is not None
    assert limiter.admit("globex", now=0.0) is None


def test_a_limit_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError):
        TenantLimiter(rate=0, burst=1)
