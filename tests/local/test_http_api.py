"""The HTTP API: routes, the payload 2.0 event, and how function results become responses."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from local.http_api import is_text, map_result
from local.routes import RouteTable
from tests.local.support import LocalGateway


def _get(stack: LocalGateway, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{stack.api_url}{path}", headers={"authorization": f"Bearer {stack.token()}"}, **kwargs)


def _post(stack: LocalGateway, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {stack.token()}", **kwargs.pop("headers", {})}
    return httpx.post(f"{stack.api_url}{path}", headers=headers, **kwargs)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/agents/a-1/status"), ("GET", "/agents/a-1/status/"), ("GET", "/agents//status")],
)
def test_an_unknown_route_is_404_even_with_a_good_token(start_gateway, method: str, path: str) -> None:
    stack = start_gateway()
    response = httpx.request(method, f"{stack.api_url}{path}", headers={"authorization": f"Bearer {stack.token()}"})
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    assert stack.recorder.events["api"] == []


def test_the_route_key_and_path_parameters_come_from_the_matching_route(start_gateway) -> None:
    stack = start_gateway()
    _get(stack, "/agents/agent%2D7/status")
    _get(stack, "/files/2026/11/day.csv")
    _get(stack, "/files/latest")

    first, greedy, literal = stack.recorder.events["api"]
    assert first["routeKey"] == "GET /agents/{agentId}/status"
    assert first["pathParameters"] == {"agentId": "agent-7"}
    assert first["rawPath"] == "/agents/agent%2D7/status"
    assert greedy["routeKey"] == "GET /files/{path+}"
    assert greedy["pathParameters"] == {"path": "2026/11/day.csv"}
    assert literal["routeKey"] == "GET /files/latest"  # a literal route beats a greedy one
    assert "pathParameters" not in literal


def test_headers_query_and_cookies_are_folded_as_api_gateway_does(start_gateway) -> None:
    stack = start_gateway()
    response = httpx.get(
        f"{stack.api_url}/agents/a-1/status?day=1&day=2&unit=sales&empty=",
        headers=[
            ("authorization", f"Bearer {stack.token()}"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
            ("Cookie", "theme=dark; session=abc"),
        ],
    )
    assert response.status_code == 200

    event = stack.recorder.events["api"][0]
    assert event["rawQueryString"] == "day=1&day=2&unit=sales&empty="
    assert event["queryStringParameters"] == {"day": "1,2", "unit": "sales", "empty": ""}
    assert event["headers"]["x-custom"] == "one,two"
    assert event["cookies"] == ["theme=dark", "session=abc"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["stage"] == "$default"
    assert "body" not in event and event["isBase64Encoded"] is False
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("application/xml", False),
        ("application/octet-stream", True),
        ("application/x-www-form-urlencoded", True),
        (None, True),
    ],
)
def test_only_text_content_types_arrive_as_text(start_gateway, content_type: str | None, encoded: bool) -> None:
    stack = start_gateway()
    headers = {"content-type": content_type} if content_type else {}
    _post(stack, "/me/clock-in", content=b'{"unitId":"sales"}', headers=headers)

    event = stack.recorder.events["api"][0]
    assert event["isBase64Encoded"] is encoded
    body = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert body == b'{"unitId":"sales"}'


def test_a_function_result_maps_to_the_response(start_gateway) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["api"] = lambda event, context: {
        "statusCode": 201,
        "headers": {"content-type": "image/png", "x-version": 3, "content-length": "999"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }
    response = _get(stack, "/agents/a-1/status")

    assert response.status_code == 201
    assert response.content == b"\x89PNG"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-version"] == "3"
    assert response.headers["content-length"] == "4"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]


def test_a_result_without_status_code_is_200_json(start_gateway) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["api"] = lambda event, context: {"agents": [1, 2]}
    response = _get(stack, "/agents/a-1/status")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"agents": [1, 2]}


def _raise(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "behaviour",
    [_raise, lambda event, context: {"statusCode": "abc"}, lambda event, context: {"statusCode": 99}],
    ids=["exception", "status not a number", "status out of range"],
)
def test_a_failing_function_is_500_as_api_gateway_answers(start_gateway, behaviour: Any) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["api"] = behaviour
    response = _get(stack, "/agents/a-1/status")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_function_past_its_timeout_is_503(start_gateway) -> None:
    stack = start_gateway()  # the recording wiring gives "api" a one-second timeout
    stack.recorder.behaviours["api"] = lambda event, context: time.sleep(1.3)
    response = _get(stack, "/agents/a-1/status", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}


def test_the_lambda_context_looks_like_lambdas(start_gateway) -> None:
    stack = start_gateway()
    seen: dict[str, Any] = {}

    def inspect(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen["remaining"] = context.get_remaining_time_in_millis()
        return {"statusCode": 204}

    stack.recorder.behaviours["api"] = inspect
    assert _get(stack, "/agents/a-1/status").status_code == 204

    context = stack.recorder.contexts["api"][0]
    assert context.function_name == "contactcenter-local-api"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:contactcenter-local-api"
    assert context.function_version == "$LATEST"
    assert context.memory_limit_in_mb == 512
    assert context.log_group_name == "/aws/lambda/contactcenter-local-api"
    assert context.aws_request_id
    assert 0 < seen["remaining"] <= 1000


def test_a_result_json_cannot_carry_is_a_500(start_gateway) -> None:
    stack = start_gateway()
    stack.recorder.behaviours["api"] = lambda event, context: {"statusCode": 200, "body": object()}
    assert _get(stack, "/agents/a-1/status").status_code == 500


def test_route_table_prefers_the_exact_method_then_literals() -> None:
    table = RouteTable(
        [("ANY", "/a/{x}", "any"), ("GET", "/a/{x}", "get"), ("GET", "/a/b", "literal"), ("GET", "/{p+}", "greedy")]
    )
    assert table.match("GET", "/a/b").target == "literal"  # type: ignore[union-attr]
    assert table.match("GET", "/a/c").target == "get"  # type: ignore[union-attr]
    assert table.match("POST", "/a/c").target == "any"  # type: ignore[union-attr]
    assert table.match("GET", "/z/y").path_parameters == {"p": "z/y"}  # type: ignore[union-attr]
    assert table.match("GET", "/") is None


def test_is_text_and_map_result_edges() -> None:
    assert is_text("text/csv") and is_text("application/json; charset=utf-8")
    assert not is_text("application/problem+json") and not is_text(None)
    assert map_result(None).body == b"null"
    assert map_result({"statusCode": 204}).body == b""
    assert json.loads(map_result({"statusCode": 200, "body": {"a": 1}}).body) == {"a": 1}
