"""What a production deployment needs from the template: browsers (CORS), people signing in (the browser
app client), integrations accepted at run time, a first deploy in a fresh account, alarms per signal."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra import naming
from infra.app import cdk_json_context
from infra.settings import DeploySettings
from infra.stack import ContactCenterStack
from infra.wiring import JWT, WIRING
from tests.infra.cfn import as_list, only, referenced
from tests.infra.conftest import DEPLOY_CONTEXT, Synthesis


def test_the_http_api_answers_cors_for_the_allowed_origins_and_caches_preflights(template: Template) -> None:
    cors = WIRING.cors
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": {
                "AllowOrigins": Match.array_with([DEPLOY_CONTEXT["allowedOrigins"]]),  # and the console's
                "AllowMethods": list(cors.allow_methods),
                "AllowHeaders": list(cors.allow_headers),
                "ExposeHeaders": list(cors.expose_headers),
                "MaxAge": cors.max_age_seconds,
            },
        },
    )


def test_routes_beyond_me_are_behind_the_lambda_authorizer_that_accepts_run_time_clients(
    synthesis: Synthesis,
) -> None:
    routes = {
        r["RouteKey"]: r
        for r in synthesis.properties("AWS::ApiGatewayV2::Route")
        if r["ApiId"] == {"Ref": synthesis.http_api_id}
    }
    authorizer_function = synthesis.function_ids[WIRING.http_authorizer]
    for row in WIRING.http_routes:
        route = routes[row.route_key]
        authorizer = synthesis.template["Resources"][only(referenced(route["AuthorizerId"]))]["Properties"]
        if row.authorized_by == JWT:
            assert row.path.startswith("/me"), row.route_key
            assert route["AuthorizationType"] == "JWT"
            continue
        assert route["AuthorizationType"] == "CUSTOM", row.route_key
        assert authorizer["AuthorizerType"] == "REQUEST"
        assert authorizer["EnableSimpleResponses"] is True
        assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
        assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
        assert 0 < authorizer["AuthorizerResultTtlInSeconds"] <= 300
        assert authorizer_function in referenced(authorizer["AuthorizerUri"])
    integration_routes = {"GET /queues/{queueId}/routable-agents", "POST /agents/{agentId}/work-items/{itemId}/events"}
    assert {key for key in integration_routes if routes[key]["AuthorizationType"] == "CUSTOM"} == integration_routes
    # No audience list to keep in step: the authorizer reads the registration the admin API writes.
    variables = synthesis.function(WIRING.http_authorizer)["Properties"]["Environment"]["Variables"]
    assert {"JWT_ISSUER", "JWKS_URL", "JWT_AUDIENCE", "TABLE_NAME"} <= set(variables)
    actions = {a for s in synthesis.role_statements(WIRING.http_authorizer) for a in as_list(s["Action"])}
    assert "dynamodb:GetItem" in actions
    assert not {a for a in actions if a.startswith("dynamodb:") and ("Put" in a or "Update" in a or "Delete" in a)}


def test_the_browser_app_client_signs_people_in_with_the_code_flow_and_pkce(synthesis: Synthesis) -> None:
    (client,) = synthesis.properties("AWS::Cognito::UserPoolClient")
    assert "GenerateSecret" not in client or client["GenerateSecret"] is False  # public: PKCE is its proof
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit flow
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert client["CallbackURLs"] == [DEPLOY_CONTEXT["callbackUrls"]]
    assert client["LogoutURLs"] == [DEPLOY_CONTEXT["logoutUrls"]]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["RefreshTokenValidity"] > 0 and client["EnableTokenRevocation"] is True
    (domain,) = synthesis.properties("AWS::Cognito::UserPoolDomain")
    assert domain["ManagedLoginVersion"] == 2
    (branding,) = synthesis.properties("AWS::Cognito::ManagedLoginBranding")
    assert branding["UseCognitoProvidedValues"] is True


def test_mfa_and_the_email_sender_are_deploy_choices(synthesis: Synthesis) -> None:
    (pool,) = synthesis.properties("AWS::Cognito::UserPool")
    assert pool["MfaConfiguration"] == "OPTIONAL"  # DEPLOY_CONTEXT mfa=optional
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    email = pool["EmailConfiguration"]
    assert email["EmailSendingAccount"] == "DEVELOPER"
    assert DEPLOY_CONTEXT["sesEmail"] in email["From"]
    assert "identity/" + DEPLOY_CONTEXT["sesEmail"] in json.dumps(email["SourceArn"])


def test_the_first_operator_is_invited_into_the_operator_group(synthesis: Synthesis) -> None:
    (user,) = synthesis.properties("AWS::Cognito::UserPoolUser")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:organization"] == naming.PLATFORM_ORGANIZATION
    assert user["Username"] == DEPLOY_CONTEXT["operatorEmail"]
    (membership,) = synthesis.properties("AWS::Cognito::UserPoolUserToGroupAttachment")
    assert membership["GroupName"] == naming.OPERATOR_GROUP


def test_no_stage_depends_on_an_account_setting_the_stack_does_not_create(synthesis: Synthesis) -> None:
    # API Gateway's CloudWatch role is an account setting; WebSocket (v1-style) stage logging needs it.
    assert not synthesis.resources("AWS::ApiGateway::Account")
    socket_stage = next(
        s for s in synthesis.properties("AWS::ApiGatewayV2::Stage") if s["ApiId"] == {"Ref": synthesis.socket_api_id}
    )
    assert "AccessLogSettings" not in socket_stage
    assert "LoggingLevel" not in json.dumps(socket_stage.get("DefaultRouteSettings", {}))
    # The stack and the managed login prefix carry the stage, so dev and prod deploy side by side.
    assert synthesis.stack_name == f"{naming.STACK_NAME}-{DEPLOY_CONTEXT['stage']}"
    (domain,) = synthesis.properties("AWS::Cognito::UserPoolDomain")
    assert DEPLOY_CONTEXT["stage"] in json.dumps(domain["Domain"])


def test_two_stages_synthesize_side_by_side_and_mfa_off_configures_no_factor() -> None:
    app = App(context={**cdk_json_context(), naming.CONTEXT_DEPENDENCIES_LAYER_DIR: str(naming.REPO_ROOT)})
    dev = ContactCenterStack(
        app, "dev", dependencies_layer_dir=naming.REPO_ROOT / "infra", settings=DeploySettings(stage="dev", mfa="off")
    )
    prod = ContactCenterStack(
        app, "prod", dependencies_layer_dir=naming.REPO_ROOT / "infra", settings=DeploySettings(stage="prod")
    )
    dev_pool = only_properties(dev, "AWS::Cognito::UserPool")
    assert dev_pool["MfaConfiguration"] == "OFF" and "EnabledMfas" not in dev_pool
    assert dev_pool["EmailConfiguration"]["EmailSendingAccount"] == "COGNITO_DEFAULT"
    domains = {json.dumps(only_properties(stack, "AWS::Cognito::UserPoolDomain")["Domain"]) for stack in (dev, prod)}
    assert len(domains) == 2


def only_properties(stack: Any, resource_type: str) -> dict[str, Any]:
    (properties,) = Template.from_stack(stack).find_resources(resource_type).values()
    return dict(properties["Properties"])
