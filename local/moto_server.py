"""moto in server mode, in this process: DynamoDB, DynamoDB Streams, S3, SQS (and whatever else a
handler calls, such as EventBridge) behind one endpoint on 127.0.0.1."""

from __future__ import annotations

import logging
import threading

from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto.server import ThreadedMotoServer

from local import moto_patches

logger = logging.getLogger("local.moto")

# DynamoDB Streams shard iterators expire after 15 minutes; moto keeps every one it hands out (about
# 1.4 KB each), and the stream poller takes four a second per shard: 20 MB an hour of `make dev`.
# Only the newest iterators are ever used again, so the older ones are dropped from time to time.
KEPT_SHARD_ITERATORS = 1000
HOUSEKEEPING_SECONDS = 60.0


def forget_old_shard_iterators(keep: int = KEPT_SHARD_ITERATORS) -> int:
    """Drops all but the newest `keep` shard iterators of every moto streams backend; returns how many."""
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
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._started = False
        self._stop = threading.Event()
        self._housekeeping = threading.Thread(target=self._keep_house, name="moto-housekeeping", daemon=True)

    def start(self) -> None:
        # werkzeug logs every request at INFO; a dev console wants the handlers' logs, not those.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_patches.apply()
        self._server.start()
        self._started = True
        self._housekeeping.start()

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._stop.set()
        if self._started:
            self._server.stop()
            self._started = False
            self._housekeeping.join(timeout=5)

    def _keep_house(self) -> None:
        while not self._stop.wait(HOUSEKEEPING_SECONDS):
            try:
                forget_old_shard_iterators()
            except Exception:  # housekeeping must never take the stack down
                logger.exception("dropping old shard iterators failed")
