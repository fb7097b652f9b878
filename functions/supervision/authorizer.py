"""WebSocket $connect authorizer: verifies the same JWTs the HTTP API's JWT authorizer accepts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from contactcenter.edge.principal import EXPIRES_AT, check_organization_enabled, principal_from_claims
from contactcenter.edge.tokens import verify
from contactcenter.errors import DomainError

logger = Logger(service="socket-authorizer")


def _policy(effect: str, method_arn: str, principal_id: str, context: dict[str, str | int]) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
        "context": context,
    }


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token")
    if not token:
        # API Gateway answers 401 when an authorizer raises "Unauthorized".
        raise Exception("Unauthorized")
    try:
        claims = verify(token)
        principal = principal_from_claims(claims)
    except DomainError as error:
        logger.info("token refused", extra={"rule": error.rule})
        raise Exception("Unauthorized") from error
    try:
        check_organization_enabled(principal)
    except DomainError as error:
        logger.info("caller refused", extra={"rule": error.rule})
        return _policy("Deny", event["methodArn"], principal.user_id, {})  # 403
    return _policy(
        "Allow",
        event["methodArn"],
        principal.user_id,
        {
            "organizationId": principal.organization_id,
            "userId": principal.user_id,
            "roles": ",".join(sorted(principal.roles)),
            # The connection lives as long as the token: pushes and actions stop at this moment.
            EXPIRES_AT: int(claims["exp"]),
        },
    )
