"""The WebSocket API's Lambda REQUEST authorizer: its event, and how API Gateway reads its answer.

API Gateway calls the authorizer before $connect, not at all when the identity source (here the
`token` query parameter) is missing (401). The answer is an IAM policy: an Allow statement for
execute-api:Invoke whose resource matches the method ARN, and no matching Deny, lets the connection
through; anything else is 403. An authorizer that fails with the message "Unauthorized" gives 401,
any other failure or a malformed answer 500. The principal id and the `context` map (strings, numbers
and booleans only) become requestContext.authorizer of every later event of the connection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


UNAUTHORIZED = Rejected(401, "Unauthorized")
FORBIDDEN = Rejected(403, "Forbidden")
MISCONFIGURED = Rejected(500, "Internal server error")


@dataclass(frozen=True)
class Authorization:
    principal_id: str
    context: dict[str, Any]

    def as_request_context(self) -> dict[str, Any]:
        return {"principalId": self.principal_id, **self.context}


def authorizer_event(
    *,
    method_arn: str,
    headers: Mapping[str, str],
    multi_value_headers: Mapping[str, list[str]],
    query: Mapping[str, str],
    multi_value_query: Mapping[str, list[str]],
    request_context: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": dict(headers),
        "multiValueHeaders": {name: list(values) for name, values in multi_value_headers.items()},
        "queryStringParameters": dict(query),
        "multiValueQueryStringParameters": {name: list(values) for name, values in multi_value_query.items()},
        "stageVariables": {},
        "requestContext": dict(request_context),
    }


def evaluate(response: Any, method_arn: str) -> Authorization:
    """The authorization an authorizer's answer grants for `method_arn`; raises Rejected."""
    if not isinstance(response, dict) or not isinstance(response.get("principalId"), str):
        raise MISCONFIGURED
    document = response.get("policyDocument")
    if not isinstance(document, dict):
        raise MISCONFIGURED
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise MISCONFIGURED
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _applies(statement, method_arn):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            raise FORBIDDEN
        allowed = allowed or effect == "Allow"
    if not allowed:
        raise FORBIDDEN
    context = response.get("context") or {}
    if not isinstance(context, dict) or any(
        not isinstance(value, str | int | float | bool) for value in context.values()
    ):
        raise MISCONFIGURED  # API Gateway refuses objects and arrays in the context map
    return Authorization(response["principalId"], dict(context))


def _applies(statement: Mapping[str, Any], method_arn: str) -> bool:
    actions = _as_list(statement.get("Action"))
    resources = _as_list(statement.get("Resource"))
    action_matches = any(_wildcard_match(action, "execute-api:Invoke") for action in actions)
    return action_matches and any(_wildcard_match(resource, method_arn) for resource in resources)


def _wildcard_match(pattern: str, value: str) -> bool:
    # IAM wildcards: * any run of characters, ? one character; nothing else is special.
    expression = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(expression, value) is not None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
