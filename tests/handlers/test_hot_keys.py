"""The key layout through the real store code, replayed small (bench/hot_keys.py at 2 x 40 agents): no
partition is written by two organizations, and the wrap-up index is spread over the organization's shards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import hot_keys
from contactcenter.environment import environment
from contactcenter.store import agents as agent_store
from contactcenter.store import assignments as assignment_store
from contactcenter.store import organizations


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(hot_keys, "UNITS", 2)
    monkeypatch.setattr(hot_keys, "AGENTS_PER_UNIT", 20)
    monkeypatch.setattr(hot_keys, "SAVES", 10)
    monkeypatch.setattr(hot_keys, "WINDOW_SECONDS", 900)  # long enough for every agent to end a call
    # replay() sets its own environment: every variable it sets is given back as it was after the test
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "TABLE_NAME",
        "TIMER_QUEUE_URL",
        "POWERTOOLS_LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    environment.cache_clear()
    organizations.forget_cached_settings()
    agent_store.forget_known_states()


def test_no_partition_is_written_by_two_organizations(small: None) -> None:
    recorder = hot_keys.replay()
    assert recorder.changes > 0
    assert [p for p, writers in recorder.writers.items() if len(writers) > 1] == []
    wrap_up = {p for p in recorder.writers if p[0] == "gsi2" and "#WRAP_UP_DUE#" in p[1]}
    assert len(wrap_up) == len(hot_keys.ORGANIZATIONS) * agent_store.WRAP_UP_SHARDS
    progress = {p for p in recorder.writers if p[0] == "gsi2" and "#ASSIGNMENT#asg-everyone#" in p[1]}
    assert len(progress) > 1 and len(progress) <= len(hot_keys.ORGANIZATIONS) * assignment_store.PROGRESS_SHARDS
