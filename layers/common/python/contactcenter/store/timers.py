"""The timer queue (SQS): timers sent with their delay, the only module that knows the queue.

Where a timer cannot be sent (SQS unreachable or refusing), the change it belongs to is already written:
the sending is not retried here and the caller's request does not fail. A wrap-up is then recorded by
the minute's sweep (services/wrap_ups.py), later but exactly as timed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contactcenter.environment import environment
from contactcenter.store import clients
from contactcenter.timers import Timer, delay_seconds

logger = logging.getLogger(__name__)

SEND_BATCH = 10  # SendMessageBatch's most entries


def schedule(timers: Sequence[Timer], *, now: datetime, client: Any = None) -> int:
    """Sends each timer with the delay that brings it back at its moment (or 900 s nearer to it); returns
    how many SQS accepted. Never raises for AWS's refusal: see the module's docstring."""
    if not timers:
        return 0
    queue_url = environment().require_timer_queue_url()
    client = client or clients.sqs()
    sent = 0
    for start in range(0, len(timers), SEND_BATCH):
        entries = [
            {"Id": str(index), "MessageBody": timer.to_message(), "DelaySeconds": delay_seconds(timer, now)}
            for index, timer in enumerate(timers[start : start + SEND_BATCH])
        ]
        try:
            response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (BotoCoreError, ClientError):
            logger.exception("timers not sent: the sweep will record what they were for")
            continue
        sent += len(response.get("Successful", []))
        for failure in response.get("Failed", []):
            logger.error("a timer was refused (%s): the sweep will record it", failure.get("Code"))
    return sent
