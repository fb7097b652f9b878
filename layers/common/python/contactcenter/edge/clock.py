"""The only place the edge reads the wall clock: domain code gets `now` passed in."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, to the millisecond (what history stores), timezone-aware."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
