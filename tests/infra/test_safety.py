"""Infrastructure safety, asserted on the synthesized template (one synthesis per session, shared with the
other infra tests): data survives a stack change and can be restored, everything at rest is encrypted,
no policy grants a wildcard action, both APIs are throttled and write access logs, a person is alarmed
when a stream consumer falls behind or failures are parked, and every asynchronous invocation has a place
where what failed is kept. docs/operations.md says what each alarm means and what to do."""

from __future__ import annotations

from typing import Any

from infra.wiring import WIRING
from tests.infra.cfn import as_list, only, referenced, statements
from tests.infra.conftest import Synthesis

RETAINED = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
# Actions that support no resource-level permissions, so their statements must name "*" as the resource.
RESOURCELESS_ACTIONS = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"})
POLICY_TYPES = (
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
)


def _retention(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: resource.get(key) for key in RETAINED}


def _alarms(synthesis: Synthesis, metric: str) -> list[dict[str, Any]]:
    return [a for a in synthesis.properties("AWS::CloudWatch::Alarm") if a["MetricName"] == metric]


def _allows(synthesis: Synthesis) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, statement)
        for policy_type in POLICY_TYPES
        for name, resource in synthesis.resources(policy_type).items()
        for statement in statements(resource)
        if statement["Effect"] == "Allow"
    ]


# --- data ----------------------------------------------------------------------------------------


def test_the_table_is_retained_protected_from_deletion_recoverable_to_a_point_in_time_and_encrypted(
    synthesis: Synthesis,
) -> None:
    ((_, table),) = synthesis.resources("AWS::DynamoDB::Table").items()
    assert _retention(table) == RETAINED
    properties = table["Properties"]
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}


def test_every_bucket_is_retained_encrypted_and_private_and_the_reports_are_versioned(synthesis: Synthesis) -> None:
    buckets = synthesis.resources("AWS::S3::Bucket")
    assert len(buckets) == 3  # the report files, their access logs, the web console's files
    for name, bucket in buckets.items():
        assert _retention(bucket) == RETAINED, name
        properties = bucket["Properties"]
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}, name
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, name
    reports = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert [b["Properties"].get("VersioningConfiguration") for b in reports] == [{"Status": "Enabled"}]


def test_logs_are_retained_and_kept_for_a_bounded_time(synthesis: Synthesis) -> None:
    for name, group in synthesis.resources("AWS::Logs::LogGroup").items():
        assert group["DeletionPolicy"] == "Retain", name
        assert group["Properties"]["RetentionInDays"] > 0, name


def test_queues_and_the_alarm_topic_are_encrypted(synthesis: Synthesis) -> None:
    for name, queue in synthesis.resources("AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, name
    for name, topic in synthesis.resources("AWS::SNS::Topic").items():
        assert "KmsMasterKeyId" in topic["Properties"], name


# --- least privilege -----------------------------------------------------------------------------


def test_no_statement_allows_a_wildcard_action(synthesis: Synthesis) -> None:
    wildcards = [
        (name, action)
        for name, statement in _allows(synthesis)
        for action in as_list(statement.get("Action", []))
        if "*" in action
    ]
    assert wildcards == []
    assert all("NotAction" not in statement for _, statement in _allows(synthesis))


def test_only_actions_without_resource_level_permissions_are_granted_on_every_resource(synthesis: Synthesis) -> None:
    everywhere = {
        (name, action)
        for name, statement in _allows(synthesis)
        if "*" in as_list(statement.get("Resource", []))
        for action in as_list(statement["Action"])
    }
    assert {action for _, action in everywhere} <= RESOURCELESS_ACTIONS


# --- the edge ------------------------------------------------------------------------------------


def test_both_apis_throttle_and_write_access_logs(synthesis: Synthesis) -> None:
    stages = {only(referenced(stage["ApiId"])): stage for stage in synthesis.properties("AWS::ApiGatewayV2::Stage")}
    assert set(stages) == {synthesis.http_api_id, synthesis.socket_api_id}
    log_groups = synthesis.resources("AWS::Logs::LogGroup")
    for api, stage in stages.items():
        limits = stage["DefaultRouteSettings"]
        assert 0 < limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"], api
        for route, settings in (stage.get("RouteSettings") or {}).items():
            assert settings.get("ThrottlingRateLimit", 1) > 0, (api, route)  # no route opened past the limits
        if api == synthesis.socket_api_id:
            # Off by default: it needs an account setting the stack does not create (test_production).
            assert "AccessLogSettings" not in stage
            continue
        access = stage["AccessLogSettings"]
        assert only(referenced(access["DestinationArn"])) in log_groups, api
        for field in ("$context.requestId", "$context.status", "$context.routeKey", "$context.identity.sourceIp"):
            assert field in access["Format"], (api, field)


# --- alarms --------------------------------------------------------------------------------------


def test_every_stream_consumer_alarms_when_it_falls_behind_the_stream(synthesis: Synthesis) -> None:
    consumers = {only(referenced(m["FunctionName"])) for m in _stream_mappings(synthesis)}
    assert consumers == {synthesis.function_ids[c.function] for c in WIRING.stream_consumers}
    functions = synthesis.resources("AWS::Lambda::Function")
    watched = {}
    for alarm in _alarms(synthesis, "IteratorAge"):
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["Statistic"] == "Maximum"
        assert alarm["AlarmActions"], "an alarm nobody hears"
        watched[only(referenced(alarm["Dimensions"]))] = alarm["Threshold"]
    assert set(watched) == consumers
    for function_id, threshold in watched.items():
        # Late by more than a minute, or by more than one run of the function takes at most.
        timeout_ms = functions[function_id]["Properties"]["Timeout"] * 1000
        assert threshold == max(60_000, timeout_ms), function_id


def _dead_letter_queues(synthesis: Synthesis) -> dict[str, str]:
    """Queue logical id -> what it holds, from every place a failed asynchronous invocation is parked."""
    queues: dict[str, str] = {}
    for mapping in _stream_mappings(synthesis):
        queue = only(referenced(mapping["DestinationConfig"]["OnFailure"]["Destination"]))
        queues[queue] = f"stream batches of {only(referenced(mapping['FunctionName']))}"
    for queue in synthesis.resources("AWS::SQS::Queue").values():
        if "RedrivePolicy" in queue["Properties"]:
            dead_letters = only(referenced(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
            queues[dead_letters] = "messages received too often (timers)"
    for schedule in synthesis.properties("AWS::Scheduler::Schedule"):
        queues[only(referenced(schedule["Target"]["DeadLetterConfig"]["Arn"]))] = "undelivered schedules"
    for config in synthesis.properties("AWS::Lambda::EventInvokeConfig"):
        queue = only(referenced(config["DestinationConfig"]["OnFailure"]["Destination"]))
        queues[queue] = f"failed asynchronous runs of {only(referenced(config['FunctionName']))}"
    return queues


def _stream_mappings(synthesis: Synthesis) -> list[dict[str, Any]]:
    return [m for m in synthesis.properties("AWS::Lambda::EventSourceMapping") if "StartingPosition" in m]


def _work_queues(synthesis: Synthesis) -> set[str]:
    """Queues that carry work (the timer queue), each with a dead-letter queue after bounded receives."""
    return {
        name
        for name, queue in synthesis.resources("AWS::SQS::Queue").items()
        if 0 < queue["Properties"].get("RedrivePolicy", {}).get("maxReceiveCount", 0) <= 10
    }


def test_every_on_failure_queue_alarms_as_soon_as_it_holds_a_message(synthesis: Synthesis) -> None:
    queues = _dead_letter_queues(synthesis)
    # each queue is a failure destination, or carries work and has one
    assert set(queues) | _work_queues(synthesis) == set(synthesis.resources("AWS::SQS::Queue"))
    assert not set(queues) & _work_queues(synthesis)
    depth = {only(referenced(a["Dimensions"])): a for a in _alarms(synthesis, "ApproximateNumberOfMessagesVisible")}
    for queue, holds in queues.items():
        alarm = depth[queue]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold"), holds
        assert alarm["AlarmActions"] and alarm["OKActions"], holds


# --- dead-letter paths ---------------------------------------------------------------------------


def test_every_stream_mapping_parks_what_it_gives_up_on_after_bounded_retries(synthesis: Synthesis) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    for mapping in _stream_mappings(synthesis):
        function = only(referenced(mapping["FunctionName"]))
        assert only(referenced(mapping["DestinationConfig"]["OnFailure"]["Destination"])) in queues, function
        assert 0 <= mapping["MaximumRetryAttempts"] <= 10, function  # -1 would retry until the record expires
        assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600, function
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function


def test_every_schedule_parks_what_it_could_not_deliver_and_what_failed_in_the_function(synthesis: Synthesis) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    invoke_configs = {
        only(referenced(config["FunctionName"])): config
        for config in synthesis.properties("AWS::Lambda::EventInvokeConfig")
    }
    schedules = list(synthesis.properties("AWS::Scheduler::Schedule"))
    assert len(schedules) == len(WIRING.schedules)
    for schedule in schedules:
        target = schedule["Target"]
        function = only(referenced(target["Arn"]))
        assert only(referenced(target["DeadLetterConfig"]["Arn"])) in queues, function
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, function
        # Scheduler invokes Lambda asynchronously: a run that fails inside the function is Lambda's to park.
        config = invoke_configs[function]
        assert config["Qualifier"] == "$LATEST"
        destination = only(referenced(config["DestinationConfig"]["OnFailure"]["Destination"]))
        assert destination in queues, function
        assert _may_send_to(synthesis, function, destination), function


def _may_send_to(synthesis: Synthesis, function_id: str, queue_id: str) -> bool:
    role = only(referenced(synthesis.template["Resources"][function_id]["Properties"]["Role"]))
    return any(
        "sqs:SendMessage" in as_list(statement["Action"]) and queue_id in referenced(statement["Resource"])
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        if role in referenced(policy["Properties"]["Roles"])
        for statement in statements(policy)
        if statement["Effect"] == "Allow"
    )


def test_nothing_else_invokes_a_function_asynchronously(synthesis: Synthesis) -> None:
    """Invoke permissions go to API Gateway and, for the token trigger alone, the user pool (both wait for
    the answer); the other invokers, the stream mappings and Scheduler, are covered above. A new
    asynchronous source (an EventBridge rule, an S3 or SNS notification) must come with its dead-letter
    path and a row in the tests above."""
    permissions = list(synthesis.properties("AWS::Lambda::Permission"))
    principals = {permission["Principal"] for permission in permissions}
    assert principals == {"apigateway.amazonaws.com", "cognito-idp.amazonaws.com"}
    (cognito,) = (p for p in permissions if p["Principal"] == "cognito-idp.amazonaws.com")
    assert referenced(cognito["FunctionName"]) == {synthesis.function_ids[str(WIRING.token_trigger)]}
    assert referenced(cognito["SourceArn"]) == set(synthesis.resources("AWS::Cognito::UserPool"))
    assert synthesis.resources("AWS::Events::Rule") == {}
    assert synthesis.resources("AWS::Lambda::EventInvokeConfig").keys() == {
        name
        for name, config in synthesis.resources("AWS::Lambda::EventInvokeConfig").items()
        if "OnFailure" in config["Properties"].get("DestinationConfig", {})
    }
