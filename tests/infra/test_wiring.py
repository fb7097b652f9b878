"""The synthesized template equals the wiring table: routes, functions, consumers, schedules, grants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import naming
from infra.constructs.functions import ASSET_EXCLUDE
from infra.wiring import WIRING, Function
from tests.infra.cfn import as_list, only, referenced
from tests.infra.conftest import Synthesis

FUNCTIONS = {row.name: row for row in WIRING.functions}


def _routes(synthesis: Synthesis, api_id: str) -> dict[str, dict[str, Any]]:
    return {
        properties["RouteKey"]: properties
        for properties in synthesis.properties("AWS::ApiGatewayV2::Route")
        if properties["ApiId"] == {"Ref": api_id}
    }


def _routed_function(synthesis: Synthesis, route: dict[str, Any]) -> str:
    """The wiring name of the function behind a route (route -> integration -> function)."""
    integration = synthesis.template["Resources"][only(referenced(route["Target"]))]
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    function_id = only(referenced(integration["Properties"]["IntegrationUri"]))
    return _function_name(synthesis, function_id)


def _function_name(synthesis: Synthesis, function_id: str) -> str:
    names = {logical: name for name, logical in synthesis.function_ids.items()}
    return names[function_id]


def _actions(synthesis: Synthesis, name: str) -> set[str]:
    return {action for s in synthesis.role_statements(name) for action in as_list(s["Action"])}


def test_functions_equal_the_wiring_functions(synthesis: Synthesis) -> None:
    assert len(synthesis.resources("AWS::Lambda::Function")) == len(WIRING.functions)
    for row in WIRING.functions:
        properties = synthesis.function(row.name)["Properties"]
        assert properties["Handler"] == row.asset_handler
        assert properties["MemorySize"] == row.memory_mb
        assert properties["Timeout"] == row.timeout_seconds
        assert properties["Description"] == row.description


@pytest.mark.parametrize("row", WIRING.functions, ids=lambda row: row.name)
def test_function_code_is_its_area_directory(synthesis: Synthesis, row: Function) -> None:
    asset = synthesis.function(row.name)["Metadata"]["aws:asset:path"]
    staged = sorted(p.relative_to(synthesis.outdir / asset) for p in (synthesis.outdir / asset).rglob("*"))
    source_dir = naming.FUNCTIONS_DIR / row.area
    source = sorted(
        p.relative_to(source_dir)
        for p in source_dir.rglob("*")
        if not any(p.match(pattern) or pattern in p.parts for pattern in ASSET_EXCLUDE)
    )
    assert staged == source


def test_http_routes_equal_the_wiring_routes(synthesis: Synthesis) -> None:
    routes = _routes(synthesis, synthesis.http_api_id)
    assert set(routes) == {route.route_key for route in WIRING.http_routes}
    for row in WIRING.http_routes:
        assert _routed_function(synthesis, routes[row.route_key]) == row.function, row.route_key


def test_http_functions_receive_the_permissions_of_their_routes(synthesis: Synthesis) -> None:
    for row in WIRING.functions:
        variables = synthesis.function(row.name)["Properties"]["Environment"]["Variables"]
        expected = {r.route_key: r.permission for r in WIRING.http_routes if r.function == row.name}
        if expected:
            assert json.loads(variables["ROUTE_PERMISSIONS"]) == expected
        else:
            assert "ROUTE_PERMISSIONS" not in variables


def test_socket_routes_equal_the_wiring_routes(synthesis: Synthesis) -> None:
    routes = _routes(synthesis, synthesis.socket_api_id)
    assert set(routes) == {route.route_key for route in WIRING.socket_routes}
    for row in WIRING.socket_routes:
        assert _routed_function(synthesis, routes[row.route_key]) == row.function, row.route_key


def test_only_connect_is_authorized_by_the_socket_authorizer(synthesis: Synthesis) -> None:
    routes = _routes(synthesis, synthesis.socket_api_id)
    authorizer = synthesis.template["Resources"][only(referenced(routes["$connect"]["AuthorizerId"]))]
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == ["route.request.querystring.token"]
    function_id = only(referenced(authorizer["Properties"]["AuthorizerUri"]))
    assert _function_name(synthesis, function_id) == WIRING.socket_authorizer
    others = {key: route.get("AuthorizationType") for key, route in routes.items() if key != "$connect"}
    assert set(others.values()) == {"NONE"}


def test_event_source_mappings_equal_the_stream_consumers(synthesis: Synthesis) -> None:
    mappings = {
        _function_name(synthesis, only(referenced(m["FunctionName"]))): m
        for m in synthesis.properties("AWS::Lambda::EventSourceMapping")
        if "StartingPosition" in m  # a stream's; the timer queue's is below
    }
    assert set(mappings) == {consumer.function for consumer in WIRING.stream_consumers}
    for consumer in WIRING.stream_consumers:
        mapping = mappings[consumer.function]
        assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == list(consumer.filters)
        assert mapping["BatchSize"] == consumer.batch_size
        assert mapping["MaximumBatchingWindowInSeconds"] == consumer.max_batching_window_seconds
        assert mapping["MaximumRetryAttempts"] == consumer.retry_attempts
        assert mapping["MaximumRecordAgeInSeconds"] == consumer.max_record_age_seconds
        assert mapping["BisectBatchOnFunctionError"] is consumer.bisect_on_error
        assert mapping["ParallelizationFactor"] == consumer.parallelization_factor
        assert mapping["StartingPosition"] == "LATEST"
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert referenced(mapping["EventSourceArn"]) == set(synthesis.resources("AWS::DynamoDB::Table"))
        destination = only(referenced(mapping["DestinationConfig"]["OnFailure"]["Destination"]))
        assert synthesis.template["Resources"][destination]["Type"] == "AWS::SQS::Queue"


def test_timer_queue_follows_the_wiring(synthesis: Synthesis) -> None:
    row = WIRING.timers
    assert row is not None
    (mapping,) = (m for m in synthesis.properties("AWS::Lambda::EventSourceMapping") if "StartingPosition" not in m)
    assert _function_name(synthesis, only(referenced(mapping["FunctionName"]))) == row.function
    assert mapping["BatchSize"] == row.batch_size
    assert mapping.get("MaximumBatchingWindowInSeconds", 0) == row.max_batching_window_seconds
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue_id = only(referenced(mapping["EventSourceArn"]))
    queue = synthesis.template["Resources"][queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == row.visibility_timeout_seconds
    assert queue["VisibilityTimeout"] >= 6 * WIRING.function(row.function).timeout_seconds
    assert queue["RedrivePolicy"]["maxReceiveCount"] == row.max_receive_count
    for function in WIRING.functions:
        variables = synthesis.function(function.name)["Properties"]["Environment"]["Variables"]
        assert ("TIMER_QUEUE_URL" in variables) is function.sends_timers, function.name
        if function.sends_timers:
            assert referenced(variables["TIMER_QUEUE_URL"]) == {queue_id}
        may_send = any(
            "sqs:SendMessage" in as_list(statement["Action"]) and queue_id in referenced(statement["Resource"])
            for statement in synthesis.role_statements(function.name)
        )
        assert may_send is function.sends_timers, function.name


def test_schedules_equal_the_wiring_schedules(synthesis: Synthesis) -> None:
    schedules = {
        (s["ScheduleExpression"], _function_name(synthesis, only(referenced(s["Target"]["Arn"]))))
        for s in synthesis.properties("AWS::Scheduler::Schedule")
    }
    assert schedules == {(row.expression, row.function) for row in WIRING.schedules}
    assert len(synthesis.resources("AWS::Scheduler::Schedule")) == len(WIRING.schedules)


def test_scheduled_functions_receive_the_shape_of_the_local_scheduler_event(synthesis: Synthesis) -> None:
    sample = json.loads((naming.REPO_ROOT / "tests/events/eventbridge-scheduler.json").read_text())
    for schedule in synthesis.properties("AWS::Scheduler::Schedule"):
        text = "".join(part if isinstance(part, str) else "0" for part in schedule["Target"]["Input"]["Fn::Join"][1])
        payload = json.loads(text)
        assert set(payload) == set(sample)
        assert payload["detail-type"] == sample["detail-type"]
        assert payload["source"] == sample["source"]
        assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert "DeadLetterConfig" in schedule["Target"]


@pytest.mark.parametrize("row", WIRING.functions, ids=lambda row: row.name)
def test_environment_follows_the_row(synthesis: Synthesis, row: Function) -> None:
    variables = synthesis.function(row.name)["Properties"]["Environment"]["Variables"]
    assert referenced(variables["TABLE_NAME"]) == set(synthesis.resources("AWS::DynamoDB::Table"))
    assert ("REPORT_BUCKET" in variables) is (row.bucket_access != "none")
    serves_sockets = row.name in {route.function for route in WIRING.socket_routes}
    assert ("WEBSOCKET_ENDPOINT" in variables) is (row.manages_connections or serves_sockets)
    is_authorizer = row.name in (WIRING.socket_authorizer, WIRING.http_authorizer)
    for name in ("JWT_ISSUER", "JWT_AUDIENCE", "JWKS_URL"):
        assert (name in variables) is is_authorizer
    assert variables["POWERTOOLS_SERVICE_NAME"] == row.name
    assert {"EVENT_BUS_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"} <= set(variables)


@pytest.mark.parametrize("row", WIRING.functions, ids=lambda row: row.name)
def test_grants_follow_the_row(synthesis: Synthesis, row: Function) -> None:
    actions = _actions(synthesis, row.name)
    table_reads = {"dynamodb:GetItem", "dynamodb:Query"}
    table_writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    assert (table_reads <= actions) is (row.table_access != "none")
    assert bool(table_writes & actions) is (row.table_access == "read_write")
    assert ("s3:GetObject" in actions) is (row.bucket_access != "none")
    assert ("s3:PutObject" in actions) is (row.bucket_access == "read_write")
    assert ("execute-api:ManageConnections" in actions) is row.manages_connections
    assert ("events:PutEvents" in actions) is row.publishes_events
    consumes_stream = row.name in {consumer.function for consumer in WIRING.stream_consumers}
    assert ("dynamodb:GetRecords" in actions and "dynamodb:DescribeStream" in actions) is consumes_stream


def test_manage_connections_is_scoped_to_the_live_stage(synthesis: Synthesis) -> None:
    for row in WIRING.functions:
        for statement in synthesis.role_statements(row.name):
            if "execute-api:ManageConnections" in as_list(statement["Action"]):
                parts = statement["Resource"]["Fn::Join"][1]
                assert {"Ref": synthesis.socket_api_id} in parts
                assert parts[-1] == f"/{naming.WEBSOCKET_STAGE}/*/@connections/*"
