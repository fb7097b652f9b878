"""The HTTP API's Lambda REQUEST authorizer on every route beyond /me (simple responses, payload 2.0).

API Gateway's JWT authorizer checks a fixed audience list, so integrations created at run time would be
refused; this one accepts the access token of any app client the admin API registered (and people's ID
tokens), verified against the user pool's key set; the route's function then decides by permissions.
API Gateway answers 401 itself when the Authorization header is missing, 401 when this fails with
"Unauthorized" (a token that is not valid), 403 when it returns isAuthorized false (a valid token of a
caller who may not call at all: unknown or retired integration; a disabled organization is refused by
the function, with its rule). The context becomes requestContext.authorizer.lambda of the route's
event (edge/principal.py reads it).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from contactcenter.edge.principal import authorizer_context
from contactcenter.edge.tokens import integration_route_caller
from contactcenter.errors import DomainError, Unauthorized

logger = Logger(service="api-authorizer")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = str((event.get("headers") or {}).get("authorization") or "").strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    try:
        claims = integration_route_caller(token)
    except Unauthorized as error:
        logger.info("token refused", extra={"rule": error.rule, "routeKey": event.get("routeKey")})
        raise Exception("Unauthorized") from error  # the one message API Gateway turns into 401
    except DomainError as error:
        logger.info("caller refused", extra={"rule": error.rule, "routeKey": event.get("routeKey")})
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": authorizer_context(claims)}
