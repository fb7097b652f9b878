"""The local stack as a subprocess, started as `make dev` starts it, for the runs that need real sockets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def local_stack(prefix: str) -> Iterator[dict[str, Any]]:
    """`python -m local` with demo data; its endpoints file once it is up, plus `logFile` (its output)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    endpoints_file = directory / "endpoints.json"
    log_file = directory / "stack.log"
    # Our own AWS and pytest settings would point the stack's moto elsewhere or change its behaviour.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", "0", "--endpoints-file", str(endpoints_file)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not endpoints_file.exists():  # bounded by the deadline
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"local stack did not start: {log_file.read_text()}")
            time.sleep(0.1)
        yield json.loads(endpoints_file.read_text()) | {"logFile": str(log_file)}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
