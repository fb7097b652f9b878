"""The HTTP API: one route per wiring row; /me routes behind the Cognito JWT authorizer, every other route
behind the Lambda REQUEST authorizer that also accepts integrations created at run time."""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import naming
from infra.constructs.access_logs import AccessLogSettings
from infra.constructs.identity import Identity
from infra.wiring import JWT, Cors, HttpRoute

# The stage's limits are shared by every organization: a runaway client stops here long before DynamoDB
# on-demand or Lambda concurrency would. Each organization's own share is enforced below them, in the
# functions (contactcenter/fairness.py: 50 requests a second and a burst of 100 per function environment),
# so one organization is answered 429 long before it could spend the stage's limit for everyone
# (docs/security.md, "Fairness between organizations").
RATE_LIMIT = 1000
BURST_LIMIT = 2000

# API Gateway caches the Lambda authorizer's answer per Authorization header this long: one invocation
# per token per 5 minutes. A retired integration is refused within this plus the registration cache
# (contactcenter.services.tokens, 1 minute).
AUTHORIZER_CACHE = Duration.minutes(5)

# `$context.authorizer.claims.sub` says who called without logging the token.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
}


class HttpApi(Construct):
    """Also hands each routed function ROUTE_PERMISSIONS: its route keys and the permission each needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: tuple[HttpRoute, ...],
        functions: dict[str, lambda_.Function],
        identity: Identity,
        cors: Cors,
        allowed_origins: tuple[str, ...],
        lambda_authorizer: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        # People present ID tokens (aud = the people client).
        jwt_authorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer", identity.issuer, jwt_audience=identity.audiences
        )
        request_authorizer = authorizers.HttpLambdaAuthorizer(
            "TokenAuthorizer",
            lambda_authorizer,
            response_types=[authorizers.HttpLambdaResponseType.SIMPLE],
            identity_source=["$request.header.Authorization"],
            results_cache_ttl=AUTHORIZER_CACHE,
        )
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            description="Agent state, attendance, supervision and reports",
            create_default_stage=False,
            default_authorizer=jwt_authorizer,
            cors_preflight=_cors_preflight(cors, allowed_origins),
        )
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=RATE_LIMIT, burst_limit=BURST_LIMIT),
            access_log_settings=AccessLogSettings(self.access_logs, ACCESS_LOG_FIELDS),
        )
        # One integration per function, shared by its routes; each route still gets its own
        # invoke permission scoped to its method and path.
        lambda_integrations = {
            name: integrations.HttpLambdaIntegration(
                naming.construct_id(name, "Integration"),
                functions[name],
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
                scope_permission_to_route=True,
            )
            for name in dict.fromkeys(route.function for route in routes)
        }
        for name in lambda_integrations:
            # The edge authorizes by the permission the wiring table names for each route key and
            # refuses a route it was not given (contactcenter.edge.http.serve).
            permissions = {route.route_key: route.permission for route in routes if route.function == name}
            functions[name].add_environment(
                "ROUTE_PERMISSIONS", json.dumps(permissions, separators=(",", ":"), sort_keys=True)
            )
        for route in routes:
            apigwv2.HttpRoute(
                self,
                naming.construct_id(route.route_key, "Route"),
                http_api=self.api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod[route.method]),
                integration=lambda_integrations[route.function],
                authorizer=jwt_authorizer if route.authorized_by == JWT else request_authorizer,
            )
        self.url = self.api.api_endpoint


def _cors_preflight(cors: Cors, allowed_origins: tuple[str, ...]) -> apigwv2.CorsPreflightOptions | None:
    """API Gateway answers preflights itself (no route, no authorizer) and adds the allowed origin to
    every response; without allowed origins (the deploy setting `allowedOrigins`) browsers are refused."""
    if not allowed_origins:
        return None
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(allowed_origins),
        allow_methods=[apigwv2.CorsHttpMethod[method] for method in cors.allow_methods],
        allow_headers=list(cors.allow_headers),
        expose_headers=list(cors.expose_headers),
        max_age=Duration.seconds(cors.max_age_seconds),
    )
