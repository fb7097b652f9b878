"""Faults on the one write of a change (a TransactWriteItems of state, history and idempotency record),
injected through botocore's hooks on the product's own DynamoDB client: the caller gets a clear retryable
or final answer, nothing is half-written, and the same request sent again is applied exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.store import clients
from tests.faults.conftest import Caller, body_of, history, idempotency_records
from tests.faults.injection import ErrorBody, Outage, Race, Timeout, cancelled, throttled

Answer = Callable[[dict[str, Any]], ErrorBody]


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        # What botocore raises once its own three attempts were all throttled.
        (throttled("ThrottlingException"), "throttled"),
        (throttled("ProvisionedThroughputExceededException"), "throttled"),
        # A throttled transaction is cancelled instead, and botocore does not retry a cancellation.
        (cancelled("ThrottlingError"), "throttled"),
        (cancelled("ProvisionedThroughputExceeded", on_item=1), "throttled"),
        # Another transaction held the agent's item (or the idempotency record) at that moment.
        (cancelled("TransactionConflict"), "transaction_conflict"),
        (cancelled("TransactionConflict", on_item=2), "transaction_conflict"),
    ],
    ids=[
        "throttling-exception",
        "throughput-exceeded",
        "cancelled-throttling-on-state",
        "cancelled-throughput-on-history",
        "cancelled-conflict-on-state",
        "cancelled-conflict-on-idempotency-record",
    ],
)
def test_a_throttled_or_contended_change_is_503_retryable_writes_nothing_and_applies_once_on_retry(
    ana: Caller, answer: Answer, rule: str
) -> None:
    ana.clock_in()
    before, state = history("ana"), ana.state()

    with Outage(clients.dynamodb(), "TransactWriteItems", answer) as outage:
        refused = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")

    assert outage.failed >= 1
    assert refused["statusCode"] == 503
    assert refused["headers"]["Retry-After"] == "1"
    assert body_of(refused) == {
        "error": {"code": "retryable", "rule": rule, "message": "the database is busy: retry the same request"}
    }
    assert history("ana") == before
    assert ana.state() == state
    assert idempotency_records() == []

    retried = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")
    assert retried["statusCode"] == 200, body_of(retried)
    again = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")  # the client's own duplicate
    assert body_of(again) == body_of(retried)
    entries = history("ana")
    assert entries[:-1] == before
    assert [(e["toStatus"], e["reason"]) for e in entries[len(before) :]] == [("UNAVAILABLE", "BREAK")]
    assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))


def test_a_change_throttled_once_succeeds_by_reading_again_and_is_written_once(ana: Caller) -> None:
    """The first attempt started from this environment's remembered state; the second reads afresh."""
    ana.clock_in()
    with Outage(clients.dynamodb(), "TransactWriteItems", cancelled("ThrottlingError"), times=1) as outage:
        response = ana.set_status("OFFLINE_WORK")
    assert (outage.failed, outage.passed) == (1, 1)
    assert response["statusCode"] == 200
    assert [e["toStatus"] for e in history("ana")] == ["AVAILABLE", "OFFLINE_WORK"]


def _supervisor_moves_ana(sam: Caller, statuses: list[str]) -> Callable[[int], None]:
    def compete(run: int) -> None:
        answer = sam.force("ana", statuses[run])
        assert answer["statusCode"] == 200, body_of(answer)

    return compete


def test_a_change_that_loses_two_races_is_409_and_leaves_only_the_winners_writes(ana: Caller, sam: Caller) -> None:
    """Sam's forced changes land between Ana's decision and each of her two writes: both of her writes
    fail their condition on the revision (a real ConditionalCheckFailed from the table)."""
    ana.clock_in()
    with Race(
        clients.dynamodb(), "TransactWriteItems", _supervisor_moves_ana(sam, ["OFFLINE_WORK", "AVAILABLE"]), times=2
    ) as race:
        lost = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")

    assert race.runs == 2
    assert lost["statusCode"] == 409
    assert body_of(lost)["error"] | {"message": ""} == {"code": "conflict", "rule": "concurrent_change", "message": ""}
    assert [(e["toStatus"], e["actorId"]) for e in history("ana")] == [
        ("AVAILABLE", "ana"),
        ("OFFLINE_WORK", "sam"),
        ("AVAILABLE", "sam"),
    ]
    assert idempotency_records() == []  # a lost race stores no answer: the retry is decided again
    assert ana.state()["status"] == "AVAILABLE"

    retried = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")
    assert retried["statusCode"] == 200
    assert [e["reason"] for e in history("ana")].count("BREAK") == 1
    assert [e["sequence"] for e in history("ana")] == [1, 2, 3, 4]


def test_a_change_that_loses_one_race_is_decided_again_on_the_winner_and_written_once(ana: Caller, sam: Caller) -> None:
    ana.clock_in()
    with Race(clients.dynamodb(), "TransactWriteItems", _supervisor_moves_ana(sam, ["OFFLINE_WORK"]), times=1):
        won = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")

    assert won["statusCode"] == 200
    changes = body_of(won)["changes"]
    assert [(c["sequence"], c["fromStatus"], c["toStatus"]) for c in changes] == [(3, "OFFLINE_WORK", "UNAVAILABLE")]
    assert [(e["sequence"], e["toStatus"], e["actorId"]) for e in history("ana")] == [
        (1, "AVAILABLE", "ana"),
        (2, "OFFLINE_WORK", "sam"),
        (3, "UNAVAILABLE", "ana"),
    ]
    assert len(idempotency_records()) == 1


@pytest.mark.parametrize("arrived", [False, True], ids=["lost-on-the-way", "applied-answer-lost"])
def test_a_change_whose_every_attempt_timed_out_is_503_and_the_retry_applies_it_once(
    ana: Caller, arrived: bool
) -> None:
    """botocore retried the timeout twice; then the caller is told to retry, not that we failed (500).
    When the write did arrive, the retry with the same Idempotency-Key gets the stored answer."""
    ana.clock_in()
    before = history("ana")

    with Timeout(clients.dynamodb(), "TransactWriteItems", arrived=arrived) as timeout:
        refused = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")

    assert timeout.attempts == 4  # the dynamodb client allows three retries
    assert refused["statusCode"] == 503
    assert refused["headers"]["Retry-After"] == "1"
    assert body_of(refused) == {
        "error": {
            "code": "retryable",
            "rule": "timeout",
            "message": "AWS did not answer in time: retry the same request",
        }
    }
    assert len(history("ana")) == len(before) + (1 if arrived else 0)

    retried = ana.set_status("UNAVAILABLE", "BREAK", key="break-1")
    assert retried["statusCode"] == 200, body_of(retried)
    entries = history("ana")
    assert [(e["toStatus"], e["reason"]) for e in entries[len(before) :]] == [("UNAVAILABLE", "BREAK")]
    assert body_of(retried)["changes"][0]["sequence"] == entries[-1]["sequence"]
