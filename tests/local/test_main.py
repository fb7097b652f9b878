"""`python -m local` as a developer runs it: starts, writes its endpoints, serves, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_stack_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "endpoints.json"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", "0", "--no-demo", "--endpoints-file", str(endpoints_file)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not endpoints_file.exists():  # bounded by the deadline
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the endpoints file never appeared"
            time.sleep(0.1)
        endpoints = json.loads(endpoints_file.read_text())
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
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode == 0, output
    assert not endpoints_file.exists()


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
