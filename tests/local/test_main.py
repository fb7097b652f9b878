"""`python -m local` as a developer runs it: starts, writes its endpoints, serves, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    """`python -m local` started as a developer starts it; `output` and `returncode` once stopped by Ctrl-C."""

    def __init__(self, tmp_path: Path, *arguments: str, startup_seconds: float) -> None:
        self.endpoints_file = tmp_path / "endpoints.json"
        self.arguments = arguments
        self.startup_seconds = startup_seconds
        self.output = ""
        self.returncode: int | None = None

    def __enter__(self) -> dict[str, Any]:
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local",
                "--port",
                "0",
                *self.arguments,
                "--endpoints-file",
                str(self.endpoints_file),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + self.startup_seconds
            while not self.endpoints_file.exists():  # bounded by the deadline
                assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
                assert time.monotonic() < deadline, "the endpoints file never appeared"
                time.sleep(0.1)
            return json.loads(self.endpoints_file.read_text())  # type: ignore[no-any-return]
        except BaseException:
            self._stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.output, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.output, _ = self.process.communicate()
        self.returncode = self.process.returncode


def test_the_stack_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    stack = RunningStack(tmp_path, "--no-demo", startup_seconds=60)
    with stack as endpoints:
        assert (tmp_path / "env").read_text().startswith("export API=")

        assert endpoints["apiUrl"].startswith("http://127.0.0.1:")
        assert endpoints["wsUrl"] == endpoints["apiUrl"].replace("http://", "ws://") + "/live"
        assert endpoints["managementUrl"] == endpoints["apiUrl"] + "/live"
        assert httpx.get(endpoints["jwksUrl"]).json()["keys"]
        assert httpx.get(f"{endpoints['apiUrl']}/_local/endpoints").json()["tableName"] == "contactcenter-local"
        assert httpx.get(f"{endpoints['apiUrl']}/me/state").status_code == 401
        assert httpx.post(f"{endpoints['apiUrl']}/_local/streams/drain", json={"timeout": 10}).json() == {
            "drained": True
        }
    assert stack.returncode == 0, stack.output
    assert not stack.endpoints_file.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10"])
def test_it_listens_on_loopback_only(host: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "local", "--host", host, "--no-demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "loopback" in completed.stderr


def test_make_dev_prints_a_short_banner_and_exports_a_token_per_user(tmp_path: Path) -> None:
    stack = RunningStack(tmp_path, startup_seconds=90)
    with stack as endpoints:
        exported = (tmp_path / "env").read_text()
        for username in endpoints["users"]:
            assert f"export TOKEN_{username.upper()}={endpoints['tokens'][username]}" in exported
        # Moving the clock fires the minute sweep and the hourly compile: nothing for the terminal.
        moved = httpx.post(
            f"{endpoints['apiUrl']}/_local/clock", json={"now": "2099-01-01T00:03:00Z", "fire": False}, timeout=30
        )
        assert moved.status_code == 200
        httpx.post(f"{endpoints['apiUrl']}/_local/schedules/settle-wrap-ups/fire", timeout=60).raise_for_status()
    output = stack.output
    assert stack.returncode == 0, output
    assert len(output.encode()) < 2048, output  # was 15 KB of tokens
    assert "Sign-in" in output and "source" in output
    assert "fires" not in output and "wrap-ups settled" not in output
    for token in endpoints["tokens"].values():
        assert token not in output


def test_a_taken_port_gets_one_clear_line(tmp_path: Path) -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        finished = subprocess.run(
            [sys.executable, "-m", "local", "--port", str(port), "--no-demo", "--endpoints-file", str(tmp_path / "e")],
            check=False,
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        taken.close()
    assert finished.returncode == 1
    lines = [line for line in (finished.stdout + finished.stderr).splitlines() if line.strip()]
    assert lines == [
        f"Port {port} on 127.0.0.1 is taken: stop what uses it, or choose another "
        f"(make dev PORT={port + 1}, or --port 0 for any free port)."
    ]
