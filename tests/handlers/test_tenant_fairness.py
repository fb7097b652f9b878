"""Fairness between tenants (issue 14, point 9): one organization's burst is answered 429 with Retry-After,
before any AWS request, while another organization's requests go on. Through the real handlers on moto."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.environment import environment
from functions.clock import app as clock
from functions.status import app as status
from tests.handlers.conftest import body_of
from tests.support.aws import RequestCounter
from tests.support.events import claims_for, http_event
from tests.support.organizations import Organization

BURST = 5


@pytest.fixture
def tight_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # A token every 10 seconds: no request of the test is admitted by a refill.
    monkeypatch.setenv("TENANT_REQUESTS_PER_SECOND", "0.1")
    monkeypatch.setenv("TENANT_BURST", str(BURST))
    environment.cache_clear()


def _state(context: Any, user: str, org: str) -> dict[str, Any]:
    event = http_event("GET", "/me/state", claims=claims_for(user, org, "AGENT"))
    return status.handler(event, context)


def test_one_organizations_burst_is_throttled_and_the_others_go_on(
    acme: Organization,
    globex: Organization,
    context: Any,
    tight_limits: None,
    requests_counted: RequestCounter,
) -> None:
    assert [_state(context, "ana", "acme")["statusCode"] for _ in range(BURST)] == [200] * BURST

    requests_counted.reset()
    throttled = _state(context, "ana", "acme")

    assert throttled["statusCode"] == 429
    assert int(throttled["headers"]["Retry-After"]) >= 1
    assert body_of(throttled)["error"]["rule"] == "organization_rate_limit"
    assert requests_counted.total == 0  # refused before any read: the burst costs the database nothing
    # Another organization, on the same function at the same moment, is not held back.
    assert [_state(context, "ana", "globex")["statusCode"] for _ in range(BURST)] == [200] * BURST


def test_each_function_keeps_its_own_buckets(acme: Organization, context: Any, tight_limits: None) -> None:
    for _ in range(BURST + 1):
        _state(context, "ana", "acme")
    event = http_event("POST", "/me/clock-in", body={"platform": "web"}, claims=claims_for("ana", "acme", "AGENT"))
    assert clock.handler(event, context)["statusCode"] == 200
