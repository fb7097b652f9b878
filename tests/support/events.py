"""The one loader of AWS sample events (tests/events/*.json) and builders that start from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API payload-2.0 event as API Gateway delivers it after its JWT authorizer."""
    event = copy.deepcopy(load("http-api-v2"))
    route_key = f"{method} {route or path}"
    event["routeKey"] = route_key
    event["rawPath"] = path
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    event["queryStringParameters"] = query or None
    event["cookies"] = []
    event["headers"] = {
        "content-type": "application/json",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    event["requestContext"]["routeKey"] = route_key
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["authorizer"] = {"jwt": {"claims": claims or {}, "scopes": None}}
    event["pathParameters"] = path_parameters or None
    event["body"] = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    event.pop("stageVariables", None)
    return {k: v for k, v in event.items() if v is not None}


def claims_for(user_id: str, organization_id: str, *roles: str) -> dict[str, Any]:
    """Claims as HTTP API renders them: strings, arrays flattened to "[a b]"."""
    return {
        "sub": user_id,
        "custom:organization": organization_id,
        "cognito:groups": "[" + " ".join(roles) + "]",
        "cognito:username": user_id,
        "token_use": "id",
    }


def token_generation_event(
    client_id: str,
    *,
    trigger_source: str = "TokenGeneration_ClientCredentials",
    user_attributes: dict[str, str] | None = None,
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """A Cognito pre token generation event, version 3 (the AWS-documented shape: no sample of it ships
    with ../shared/aws-sample-events). Client credentials by default; another trigger source with
    `user_attributes` and `groups` is a person signing in through app client `client_id`."""
    event = copy.deepcopy(load("cognito-pre-token-generation-v3"))
    event["triggerSource"] = trigger_source
    event["callerContext"]["clientId"] = client_id
    if trigger_source == "TokenGeneration_ClientCredentials":
        event["userName"] = client_id
    else:
        event["userName"] = (user_attributes or {}).get("sub", "person")
        event["request"]["userAttributes"] = dict(user_attributes or {})
        event["request"]["groupConfiguration"]["groupsToOverride"] = list(groups or [])
        event["request"]["scopes"] = ["aws.cognito.signin.user.admin"]
    return event
