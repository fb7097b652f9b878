"""What a production deployment needs from the template: browsers (CORS), people signing in (the browser
app client), integrations accepted at run time, a first deploy in a fresh account, alarms per signal."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

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
