"""Scheduled: record every wrap-up that has elapsed, at the moment it elapsed, so supervisors are pushed it.

Reads already show such agents AVAILABLE (or their next status); this makes it history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from contactcenter.services.wrap_ups import settle_due_wrap_ups

logger = Logger(service="wrap-up-sweep")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    now = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    settled = settle_due_wrap_ups(now)
    # It runs every minute: a line only when it did something.
    (logger.info if settled else logger.debug)("wrap-ups settled", extra={"settled": settled})
    return {"settled": settled}
