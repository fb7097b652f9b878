"""The user pool's pre token generation trigger (event version V3_0, so Cognito calls it for client
credentials too): an integration's access token gets the organization its app client belongs to.
People's tokens are returned as Cognito made them.

Raising refuses the token: Cognito answers the token request with an error and issues nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from contactcenter.errors import DomainError
from contactcenter.services import tokens

logger = Logger(service="token-claims")


class _CallerContext(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    client_id: str = Field(default="", alias="clientId")


class TokenGeneration(BaseModel):
    """The parts of the trigger event read here; people's events must never fail to parse."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    trigger_source: str = Field(alias="triggerSource")
    caller_context: _CallerContext = Field(default_factory=_CallerContext, alias="callerContext")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = TokenGeneration.model_validate(event)
    try:
        overrides = tokens.token_overrides(request.trigger_source, request.caller_context.client_id)
    except DomainError as error:
        logger.warning("token refused", extra={"rule": error.rule, "clientId": request.caller_context.client_id})
        raise
    if overrides is not None:
        event["response"] = {"claimsAndScopeOverrideDetails": overrides}
    return event
