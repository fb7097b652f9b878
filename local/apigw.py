"""Identifiers and timestamps in the formats API Gateway and the rest of AWS put in events."""

from __future__ import annotations

import base64
import os
import secrets
import string
import time
from datetime import UTC, datetime

ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs built here match moto's
REGION = "us-east-1"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_API_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_api_id() -> str:
    """Ten lower-case letters and digits, like a real API id ("c5jwxq709g")."""
    return "".join(secrets.choice(_API_ID_ALPHABET) for _ in range(10))


def new_gateway_id() -> str:
    """Connection, request and message ids: 16 characters of URL-safe base64 ("BFaT_fALIAMCKug=")."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


def new_trace_id(now: float | None = None) -> str:
    """The X-Amzn-Trace-Id header API Gateway adds: Root=1-<epoch hex>-<96 random bits>."""
    epoch = int(time.time() if now is None else now)
    return f"Root=1-{epoch:08x}-{secrets.token_hex(12)}"


def epoch_millis(moment: datetime | None = None) -> int:
    return int((moment or datetime.now(UTC)).timestamp() * 1000)


def request_time(epoch_ms: int) -> str:
    """'12/Mar/2020:19:03:58 +0000'; the month is spelled out here because %b follows the locale."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def iso_millis(moment: datetime) -> str:
    """'2019-11-14T00:13:49.717Z', the form of Lambda's invocation records and the management API."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """'2025-02-20T16:03:00Z', the form of EventBridge's `time`."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"
