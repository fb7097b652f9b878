"""The canonical agent statuses and the reasons an organization starts with."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    AWAY = "AWAY"
    AVAILABLE = "AVAILABLE"
    ACTIVE = "ACTIVE"
    WRAP_UP = "WRAP_UP"
    OFFLINE_WORK = "OFFLINE_WORK"
    UNAVAILABLE = "UNAVAILABLE"


CLOCKED_IN = frozenset(Status) - {Status.AWAY}
# Set only by the system: no policy may allow a manual change into them.
AUTOMATIC_ONLY = frozenset({Status.ACTIVE, Status.WRAP_UP})


class Platform(StrEnum):
    WEB = "web"
    APP = "app"
