"""Path parameters and request bodies that more than one HTTP function takes: an agent choosing a status
for herself (functions/status) and a supervisor choosing one for an agent (functions/supervision) send
the same body, checked the same way."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.agents import SEQUENCE_MAX

# An agent, queue, work item, session, assignment or report job id in a path.
Identifier = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:@-]{1,128}$")]

# A history sequence number a client holds (contactcenter.agents.SEQUENCE_MAX bounds it).
SequenceAfter = Annotated[int, Query(ge=0, le=SEQUENCE_MAX)]
SequenceBefore = Annotated[int | None, Query(ge=1, le=SEQUENCE_MAX)]


class StatusRequest(BaseModel):
    """A manual status (AWAY = clock-out) with its reason code and description, now or as the next status."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK", "AWAY"]
    reason: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=500)
