"""End-to-end tests run against the local stack, started once per session as a subprocess.

`local_stack` starts `python -m local --port 0` (demo data included) with an environment of its own,
waits for its endpoints file, and stops it with Ctrl-C at the end. Every test in this directory is
marked `e2e` and grouped on one xdist worker (`--dist loadgroup`), so one stack serves them all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
STARTUP_SECONDS = 90


def pytest_configure(config: pytest.Config) -> None:
    # xdist registers this marker itself, but not when it is disabled (-p no:xdist) and markers are strict.
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("local_stack"))


@dataclass
class LocalStack:
    """A running local stack: its URLs, a token per demo user, and its controls."""

    endpoints: dict[str, Any]
    log_file: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return str(self.endpoints["apiUrl"])

    @property
    def ws_url(self) -> str:
        return str(self.endpoints["wsUrl"])

    @property
    def management_url(self) -> str:
        return str(self.endpoints["managementUrl"])

    @property
    def moto_url(self) -> str:
        return str(self.endpoints["motoUrl"])

    @property
    def table_name(self) -> str:
        return str(self.endpoints["tableName"])

    def ws_url_for(self, username: str) -> str:
        return f"{self.ws_url}?token={self.tokens[username]}"

    def mint(
        self, username: str, *, expires_in: int | None = None, claims: dict[str, Any] | None = None, **overrides: Any
    ) -> str:
        """A fresh ID token for a demo user; `claims` and keyword overrides replace claims (None removes)."""
        body: dict[str, Any] = {"username": username, "claims": {**(claims or {}), **overrides}}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        response = httpx.post(f"{self.api_url}/_local/tokens", json=body, timeout=10)
        response.raise_for_status()
        return str(response.json()["token"])

    def drain(self, timeout: float = 30.0) -> None:
        """Waits until the stream consumers have delivered everything written so far."""
        response = httpx.post(f"{self.api_url}/_local/streams/drain", json={"timeout": timeout}, timeout=timeout + 10)
        if response.status_code != 200:
            raise AssertionError(f"the stream did not drain within {timeout} s")

    def move_clock(self, now: str, *, fire: bool = True) -> list[dict[str, Any]]:
        """Moves the scheduler's clock forward to `now` (ISO 8601); returns what fired on the way."""
        response = httpx.post(f"{self.api_url}/_local/clock", json={"now": now, "fire": fire}, timeout=900)
        response.raise_for_status()
        return list(response.json()["fired"])

    def fire(self, schedule: str) -> dict[str, Any]:
        response = httpx.post(f"{self.api_url}/_local/schedules/{schedule}/fire", timeout=900)
        response.raise_for_status()
        return dict(response.json()["fired"][0])

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def _environment() -> dict[str, str]:
    # The stack sets every AWS variable itself; nothing of the developer's AWS setup may leak in.
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment["PYTHONUNBUFFERED"] = "1"
    # The authorization matrix and the fuzzing send thousands of requests from one organization as fast as
    # the stack answers, far past one organization's share: this stack raises the share so that they see
    # the answers they test. The share itself is tested in tests/handlers/test_tenant_fairness.py.
    environment["TENANT_REQUESTS_PER_SECOND"] = "100000"
    environment["TENANT_BURST"] = "100000"
    return environment


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends: the stack shuts down cleanly
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    directory = tmp_path_factory.mktemp("local-stack")
    endpoints_file = directory / "endpoints.json"
    log_file = directory / "stack.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", "0", "--endpoints-file", str(endpoints_file)],
            cwd=ROOT,
            env=_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not endpoints_file.exists():  # bounded by the deadline
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not start; its log:\n{log_file.read_text(errors='replace')}")
            time.sleep(0.1)
        endpoints = json.loads(endpoints_file.read_text(encoding="utf-8"))
        yield LocalStack(endpoints=endpoints, log_file=log_file, tokens=dict(endpoints.get("tokens", {})))
    finally:
        _stop(process)
