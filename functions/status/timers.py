"""Timer queue consumer: each due timer applied at its exact moment (contactcenter/timers.py).

SQS delays are whole seconds and the sender rounds down, so a timer arrives up to a second early and
waits here for its moment; one further off than that (SQS's 900 s limit) is sent round again.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from contactcenter.edge.clock import utc_now
from contactcenter.services import timers
from contactcenter.timers import Timer

logger = Logger(service="timers")
processor = BatchProcessor(event_type=EventType.SQS)


def fire(record: SQSRecord) -> None:
    timer = Timer.from_message(record.body)  # a body we did not write fails and ends in the dead letters
    wait = timers.wait_needed(timer, now=utc_now())
    if wait is None:
        outcome = timers.carry_over(timer, now=utc_now())
    else:
        time.sleep(wait)
        outcome = timers.apply_due(timer)
    logger.debug("timer", extra={"kind": timer.kind.value, "dueAt": timer.due_at.isoformat(), "outcome": outcome})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=fire, processor=processor, context=context))
