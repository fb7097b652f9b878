"""Path parameters and request bodies that more than one HTTP function takes: an agent choosing a status
for herself (functions/status) and a supervisor choosing one for an agent (functions/supervision) send
the same body, checked the same way."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

# An agent, queue, work item or session id in a path.
Identifier = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:@-]{1,128}$")]


class StatusRequest(BaseModel):
    """A manual status (AWAY = clock-out) with its reason code and description, now or as the next status."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK", "AWAY"]
    reason: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=500)
