"""Properties of the synthesized stack that no wiring row decides: durability, encryption, limits,
logs, alarms, least privilege."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from contactcenter.access import Role
from infra import naming
from infra.wiring import WIRING
from tests.infra.cfn import as_list, only, referenced, statements
from tests.infra.conftest import Synthesis

ONE_MONTH_DAYS = 30


def test_table_is_durable_and_streams_both_images(template: Template) -> None:
    definition = WIRING.table
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "BillingMode": "PAY_PER_REQUEST",
                    "DeletionProtectionEnabled": True,
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "TimeToLiveSpecification": {"AttributeName": definition.ttl_attribute, "Enabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                    "KeySchema": [
                        {"AttributeName": definition.partition_key, "KeyType": "HASH"},
                        {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
                    ],
                }
            ),
        },
    )


def test_global_secondary_indexes_follow_the_table_definition(synthesis: Synthesis) -> None:
    (table,) = synthesis.properties("AWS::DynamoDB::Table")
    indexes = {
        index["IndexName"]: ([key["AttributeName"] for key in index["KeySchema"]], index["Projection"])
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        index.name: ([index.partition_key, index.sort_key], {"ProjectionType": "ALL"}) for index in WIRING.table.indexes
    }


def test_report_bucket_is_private_encrypted_versioned_and_logged(synthesis: Synthesis, template: Template) -> None:
    bucket_id = only(
        {
            name
            for name, r in synthesis.resources("AWS::S3::Bucket").items()
            if "VersioningConfiguration" in r["Properties"]
        }
    )
    bucket = synthesis.template["Resources"][bucket_id]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    log_bucket = only(referenced(properties["LoggingConfiguration"]["DestinationBucketName"]))
    assert log_bucket != bucket_id
    for name in (bucket_id, log_bucket):
        _assert_denies_insecure_transport(synthesis, "AWS::S3::BucketPolicy", "Bucket", name)


def _assert_denies_insecure_transport(synthesis: Synthesis, policy_type: str, key: str, resource_id: str) -> None:
    policies = [
        policy
        for policy in synthesis.resources(policy_type).values()
        if resource_id in referenced(policy["Properties"][key])
    ]
    denials = [
        statement
        for policy in policies
        for statement in statements(policy)
        if statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert denials, f"{resource_id} accepts requests without TLS"


def test_functions_run_python_313_on_arm_with_tracing_and_retained_logs(synthesis: Synthesis) -> None:
    log_groups = synthesis.resources("AWS::Logs::LogGroup")
    for name, function_id in synthesis.function_ids.items():
        properties = synthesis.template["Resources"][function_id]["Properties"]
        assert properties["Runtime"] == "python3.13", name
        assert properties["Architectures"] == ["arm64"], name
        assert properties["TracingConfig"] == {"Mode": "Active"}, name
        assert len(properties["Layers"]) == 2, name
        log_group = only(referenced(properties["LoggingConfig"]["LogGroup"]))
        assert log_groups[log_group]["Properties"]["RetentionInDays"] == ONE_MONTH_DAYS, name


def test_functions_use_no_managed_policies(synthesis: Synthesis) -> None:
    for properties in synthesis.properties("AWS::IAM::Role"):
        assert "ManagedPolicyArns" not in properties


def test_both_apis_throttle_and_log_access(synthesis: Synthesis) -> None:
    stages = list(synthesis.properties("AWS::ApiGatewayV2::Stage"))
    assert {only(referenced(stage["ApiId"])) for stage in stages} == {
        synthesis.http_api_id,
        synthesis.socket_api_id,
    }
    log_groups = synthesis.resources("AWS::Logs::LogGroup")
    for stage in stages:
        settings = stage["DefaultRouteSettings"]
        assert settings["ThrottlingRateLimit"] > 0
        assert settings["ThrottlingBurstLimit"] >= settings["ThrottlingRateLimit"]
        assert stage["AutoDeploy"] is True
        if stage["ApiId"] == {"Ref": synthesis.socket_api_id}:
            continue  # WebSocket access logs are the deploy setting stageAccessLogs, off by default
        destination = only(referenced(stage["AccessLogSettings"]["DestinationArn"]))
        assert log_groups[destination]["Properties"]["RetentionInDays"] == ONE_MONTH_DAYS
        assert "$context.requestId" in stage["AccessLogSettings"]["Format"]
        assert stage["AutoDeploy"] is True


def test_socket_stage_is_live(synthesis: Synthesis) -> None:
    (stage,) = (
        s for s in synthesis.properties("AWS::ApiGatewayV2::Stage") if s["ApiId"] == {"Ref": synthesis.socket_api_id}
    )
    assert stage["StageName"] == naming.WEBSOCKET_STAGE
    (api,) = (a for a in synthesis.properties("AWS::ApiGatewayV2::Api") if a["ProtocolType"] == "WEBSOCKET")
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_every_me_route_requires_a_jwt_from_the_user_pool(synthesis: Synthesis) -> None:
    routes = [
        r
        for r in synthesis.properties("AWS::ApiGatewayV2::Route")
        if r["ApiId"] == {"Ref": synthesis.http_api_id} and r["RouteKey"].split(" ")[1].startswith("/me")
    ]
    assert routes
    for route in routes:
        assert route["AuthorizationType"] == "JWT", route["RouteKey"]
        authorizer = synthesis.template["Resources"][only(referenced(route["AuthorizerId"]))]["Properties"]
        configuration = authorizer["JwtConfiguration"]
        clients = set(synthesis.resources("AWS::Cognito::UserPoolClient"))
        assert {only(referenced(audience)) for audience in configuration["Audience"]} == clients
        assert referenced(configuration["Issuer"]) == set(synthesis.resources("AWS::Cognito::UserPool"))
    for integration in synthesis.properties("AWS::ApiGatewayV2::Integration"):
        if integration["ApiId"] == {"Ref": synthesis.http_api_id}:
            assert integration["PayloadFormatVersion"] == "2.0"


def test_socket_authorizer_verifies_the_same_issuer_and_the_people_client(synthesis: Synthesis) -> None:
    function = synthesis.template["Resources"][synthesis.function_ids[WIRING.socket_authorizer]]
    variables = function["Properties"]["Environment"]["Variables"]
    (http_authorizer,) = (
        a for a in synthesis.properties("AWS::ApiGatewayV2::Authorizer") if a["AuthorizerType"] == "JWT"
    )
    assert variables["JWT_ISSUER"] == http_authorizer["JwtConfiguration"]["Issuer"]
    assert variables["JWT_AUDIENCE"] in http_authorizer["JwtConfiguration"]["Audience"]
    issuer_parts = variables["JWT_ISSUER"]["Fn::Join"][1]
    assert issuer_parts[0] == "https://cognito-idp."
    assert variables["JWKS_URL"]["Fn::Join"][1][-1] == "/.well-known/jwks.json"


def test_user_pool_groups_are_the_roles(synthesis: Synthesis) -> None:
    groups = {g["GroupName"] for g in synthesis.properties("AWS::Cognito::UserPoolGroup")}
    assert groups == set(naming.ROLE_GROUPS) == {role.value for role in Role}


def test_user_pool_requires_strong_sign_in(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "MfaConfiguration": "OPTIONAL",  # tests/infra/conftest.py deploys with mfa=optional
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "Policies": {"PasswordPolicy": Match.object_like({"MinimumLength": Match.any_value()})},
            "Schema": Match.array_with(
                [
                    Match.object_like(
                        {"Name": naming.ORGANIZATION_ATTRIBUTE, "Mutable": True, "AttributeDataType": "String"}
                    )
                ]
            ),
        },
    )


def test_people_cannot_change_their_organization(synthesis: Synthesis) -> None:
    attribute = f"custom:{naming.ORGANIZATION_ATTRIBUTE}"
    people = [c for c in synthesis.properties("AWS::Cognito::UserPoolClient") if not c.get("GenerateSecret")]
    assert len(people) == 1
    assert attribute in people[0]["ReadAttributes"]
    assert attribute not in people[0]["WriteAttributes"]


def test_the_integration_scope_exists_for_the_clients_the_admin_api_creates(synthesis: Synthesis) -> None:
    # No machine client is deployed: integrations are app clients made at run time (store/identity_cognito.py
    # gives them client credentials and this scope), accepted by the Lambda authorizer.
    assert not [c for c in synthesis.properties("AWS::Cognito::UserPoolClient") if c.get("GenerateSecret")]
    (server,) = synthesis.properties("AWS::Cognito::UserPoolResourceServer")
    assert server["Identifier"] == naming.RESOURCE_SERVER_ID
    assert [scope["ScopeName"] for scope in server["Scopes"]] == [naming.INTEGRATION_SCOPE]


def test_alarms_cover_errors_iterator_age_and_parked_failures(synthesis: Synthesis) -> None:
    alarms = list(synthesis.properties("AWS::CloudWatch::Alarm"))
    (topic,) = synthesis.resources("AWS::SNS::Topic")

    def watched(metric: str) -> list[dict[str, Any]]:
        return [alarm for alarm in alarms if alarm["MetricName"] == metric]

    errors = {only(referenced(a["Dimensions"])) for a in watched("Errors")}
    assert errors == set(synthesis.function_ids.values())
    consumers = {only(referenced(a["Dimensions"])) for a in watched("IteratorAge")}
    assert consumers == {synthesis.function_ids[c.function] for c in WIRING.stream_consumers}
    queues = {only(referenced(a["Dimensions"])) for a in watched("ApproximateNumberOfMessagesVisible")}
    assert queues == set(synthesis.resources("AWS::SQS::Queue")) - _work_queues(synthesis)
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert {a["Threshold"] for a in watched("ApproximateNumberOfMessagesVisible")} == {0}


def test_alarm_topic_is_encrypted_and_tls_only(synthesis: Synthesis) -> None:
    ((topic_id, topic),) = synthesis.resources("AWS::SNS::Topic").items()
    key_id = only(referenced(topic["Properties"]["KmsMasterKeyId"]))
    key = synthesis.template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and all("*" not in action for s in cloudwatch for action in as_list(s["Action"]))
    _assert_denies_insecure_transport(synthesis, "AWS::SNS::TopicPolicy", "Topics", topic_id)


def _work_queues(synthesis: Synthesis) -> set[str]:
    """Queues that carry work (the timer queue), not failures: each has a dead-letter queue of its own."""
    return {name for name, q in synthesis.resources("AWS::SQS::Queue").items() if "RedrivePolicy" in q["Properties"]}


def test_failure_queues_are_encrypted_and_tls_only(synthesis: Synthesis) -> None:
    work = _work_queues(synthesis)
    assert len(work) == 1  # the timer queue
    for queue_id, queue in synthesis.resources("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        # A failure stays for inspection as long as SQS allows; a timer is useless after a day.
        retention = 24 * 3600 if queue_id in work else 14 * 24 * 3600
        assert queue["Properties"]["MessageRetentionPeriod"] == retention
        _assert_denies_insecure_transport(synthesis, "AWS::SQS::QueuePolicy", "Queues", queue_id)


def test_no_policy_allows_a_wildcard_action(synthesis: Synthesis) -> None:
    """Identity and resource policies name every action. (A KMS key policy keeps AWS's default
    statement giving the account root kms:*, without which the key could become unmanageable.)"""
    policy_types = (
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
    )
    wildcards = [
        (name, action)
        for policy_type in policy_types
        for name, resource in synthesis.resources(policy_type).items()
        for statement in statements(resource)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        if "*" in action
    ]
    assert wildcards == []
