"""moto's process drops old shard iterators on its own (moto keeps every one it hands out), and the
stream poller carries on across the housekeeping."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from local.moto_server import MotoServer
from tests.local.support import StreamUnderTest, consumer

HOUSEKEEPING_SECONDS = 0.2


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """This module's own moto: housekeeping five times a second, keeping only the two newest iterators."""
    server = MotoServer(housekeeping_seconds=HOUSEKEEPING_SECONDS, keep_shard_iterators=2)
    server.start()
    try:
        yield server.endpoint_url
    finally:
        server.stop()


def test_old_shard_iterators_are_forgotten_and_the_poller_carries_on(stream: StreamUnderTest) -> None:
    poller = stream.start(consumer(), starting_position="LATEST")
    stream.put("before-housekeeping")
    assert poller.wait_idle(10)
    time.sleep(3 * HOUSEKEEPING_SECONDS)  # the poller has taken many iterators meanwhile; most are dropped
    stream.put("after-housekeeping")
    assert poller.wait_idle(10)
    assert stream.batches() == [["before-housekeeping"], ["after-housekeeping"]]


def test_the_moto_process_ends_with_its_server() -> None:
    server = MotoServer()
    server.start()
    process = server._process
    assert process is not None and process.poll() is None
    server.stop()
    assert process.poll() is not None
