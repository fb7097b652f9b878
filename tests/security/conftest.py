"""The security suites run against the local stack of the end-to-end tests (its `local_stack` fixture),
marked `e2e` and grouped on that stack's xdist worker like the end-to-end tests themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalStack, local_stack  # noqa: F401
from tests.security.tenants import Tenants, open_tenants

SECURITY_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    # As in tests/e2e/conftest.py: xdist registers this marker only when it is enabled.
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SECURITY_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("local_stack"))


@pytest.fixture(scope="session")
def tenants(local_stack: LocalStack) -> Iterator[Tenants]:  # noqa: F811
    """The callers of every role in the demo organization, in `globex`, and in the fuzzing organization."""
    yield open_tenants(local_stack)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.security.tally import TALLY

    if TALLY.sent:
        terminalreporter.write_line(TALLY.summary())
