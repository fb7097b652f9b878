"""moto in server mode, in a process of its own: DynamoDB, DynamoDB Streams, S3, SQS (and whatever else a
handler calls, such as EventBridge) behind one endpoint on 127.0.0.1, with the local stack's patches."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger("local.moto")

# DynamoDB Streams shard iterators expire after 15 minutes; moto keeps every one it hands out (about
# 1.4 KB each), and the stream poller takes four a second per shard: 20 MB an hour of `make dev`.
# Only the newest iterators are ever used again, so the older ones are dropped from time to time.
KEPT_SHARD_ITERATORS = 1000
HOUSEKEEPING_SECONDS = 60.0


def forget_old_shard_iterators(keep: int = KEPT_SHARD_ITERATORS) -> int:
    """Drops all but the newest `keep` shard iterators of every moto streams backend; returns how many."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dropped = 0
    for account_id in list(dynamodbstreams_backends.keys()):
        regions = dynamodbstreams_backends[account_id]
        for region in list(regions.keys()):
            iterators = regions[region].shard_iterators
            names = list(iterators)  # a snapshot: moto's request threads keep adding
            for name in names[: max(0, len(names) - keep)]:
                iterators.pop(name, None)
                dropped += 1
    return dropped


class MotoServer:
    """moto in a process of its own, as AWS's services are apart from the functions: the stack's process
    and moto's then run on two cores instead of sharing one interpreter's lock. The child ends when
    this process closes its stdin, so it never outlives the stack, even when the stack is killed."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        housekeeping_seconds: float = HOUSEKEEPING_SECONDS,
        keep_shard_iterators: int = KEPT_SHARD_ITERATORS,
    ) -> None:
        self._arguments = [
            "--host",
            host,
            "--port",
            str(port),
            "--housekeeping-seconds",
            str(housekeeping_seconds),
            "--keep-shard-iterators",
            str(keep_shard_iterators),
        ]
        self._process: subprocess.Popen[str] | None = None
        self._endpoint_url = ""

    def start(self, timeout: float = 60.0) -> None:
        self._process = process = subprocess.Popen(
            [sys.executable, "-m", "local.moto_server", *self._arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        output = process.stdout
        assert output is not None
        # Read in a thread so that a child that never answers cannot hold the stack past the timeout.
        reader = threading.Thread(target=lambda: setattr(self, "_endpoint_url", output.readline().strip()))
        reader.start()
        reader.join(timeout)
        if not self._endpoint_url.startswith("http://"):
            self.stop()
            raise RuntimeError("moto did not start (its errors are above)")

    @property
    def endpoint_url(self) -> str:
        return self._endpoint_url

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def serve(host: str, port: int, housekeeping_seconds: float, keep_shard_iterators: int) -> None:
    """The child's life: serve until stdin closes, dropping old shard iterators meanwhile."""
    # werkzeug logs every request at INFO; a dev console wants the handlers' logs, not those.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import ThreadedMotoServer

    from local import moto_patches

    moto_patches.apply()
    # Keep-alive, as AWS's endpoints do: werkzeug speaks HTTP/1.0 by default and closes every connection,
    # so each SDK call would open a new one (and werkzeug a new thread).
    MotoRequestHandler.protocol_version = "HTTP/1.1"
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    stopping = threading.Event()

    def keep_house() -> None:
        while not stopping.wait(housekeeping_seconds):
            try:
                forget_old_shard_iterators(keep_shard_iterators)
            except Exception:  # housekeeping must never take the stack down
                logger.exception("dropping old shard iterators failed")

    housekeeping = threading.Thread(target=keep_house, name="moto-housekeeping", daemon=True)
    housekeeping.start()
    bound_host, bound_port = server.get_host_and_port()
    print(f"http://{bound_host}:{bound_port}", flush=True)
    sys.stdin.read()  # until the parent closes it or dies
    stopping.set()
    server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.moto_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--housekeeping-seconds", type=float, default=HOUSEKEEPING_SECONDS)
    parser.add_argument("--keep-shard-iterators", type=int, default=KEPT_SHARD_ITERATORS)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    serve(arguments.host, arguments.port, arguments.housekeeping_seconds, arguments.keep_shard_iterators)


if __name__ == "__main__":
    main()
