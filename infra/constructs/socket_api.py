"""The WebSocket API: routes from the wiring table, a token check on $connect, and the `live` stage
whose management endpoint the pushing functions call."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import naming
from infra.constructs.access_logs import AccessLogSettings
from infra.constructs.nag import acknowledge, reference, wildcard_resource
from infra.wiring import Wiring

CONNECT = "$connect"
# Browsers cannot set headers on a WebSocket handshake, so the token travels in the query string.
TOKEN_SOURCE = "route.request.querystring.token"

# A dashboard sends a few messages a minute; connection storms after an outage are what this caps.
RATE_LIMIT = 100
BURST_LIMIT = 200

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "eventType": "$context.eventType",
    "status": "$context.status",
    "connectionId": "$context.connectionId",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


class SocketApi(Construct):
    """Also hands WEBSOCKET_ENDPOINT to the functions that serve socket routes or push to connections,
    and grants execute-api:ManageConnections on this stage to those whose row says they push."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        wiring: Wiring,
        functions: dict[str, lambda_.Function],
        access_logs: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            description="Live pushes to agents and supervisors",
            # A JSON message {"action": "subscribe", ...} goes to the route named by its action.
            route_selection_expression="$request.body.action",
        )
        self._add_routes(wiring, functions)
        # A WebSocket stage's access logs need API Gateway's account-level CloudWatch Logs role, which
        # this stack does not create (one per account and region, shared by every API there): a first
        # deploy in a fresh account would fail on it. So they are a deploy setting, off by default.
        self.access_logs = (
            logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH) if access_logs else None
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "LiveStage",
            web_socket_api=self.api,
            stage_name=naming.WEBSOCKET_STAGE,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=RATE_LIMIT, burst_limit=BURST_LIMIT),
            access_log_settings=AccessLogSettings(self.access_logs, ACCESS_LOG_FIELDS) if self.access_logs else None,
        )
        if self.access_logs is None:
            acknowledge(
                self.stage,
                "AwsSolutions-APIG1",
                "WebSocket stage access logs depend on API Gateway's account-level CloudWatch role, which a "
                "fresh account lacks; they are the deploy setting stageAccessLogs (docs/deploy.md). Errors "
                "are alarmed and every function logs each message it handles.",
            )
        self.url = self.stage.url
        # https://{api}.execute-api.{region}.amazonaws.com/live, what the Management API client needs.
        self.management_endpoint = self.stage.callback_url
        self._connect_functions(wiring, functions)

    def _add_routes(self, wiring: Wiring, functions: dict[str, lambda_.Function]) -> None:
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TokenAuthorizer", functions[wiring.socket_authorizer], identity_source=[TOKEN_SOURCE]
        )
        lambda_integrations = {
            name: integrations.WebSocketLambdaIntegration(naming.construct_id(name, "Integration"), functions[name])
            for name in dict.fromkeys(route.function for route in wiring.socket_routes)
        }
        # No route responses: handlers reply over the management API (contactcenter.store.connections),
        # the same path pushes take, so the local gateway and API Gateway behave alike.
        for row in wiring.socket_routes:
            is_connect = row.route_key == CONNECT
            route = self.api.add_route(
                row.route_key,
                integration=lambda_integrations[row.function],
                authorizer=authorizer if is_connect else None,
            )
            if not is_connect:
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "API Gateway authorizes a WebSocket connection once, on $connect (the token "
                    "authorizer); later messages and $disconnect travel on that authorized connection.",
                )

    def _connect_functions(self, wiring: Wiring, functions: dict[str, lambda_.Function]) -> None:
        socket_functions = {route.function for route in wiring.socket_routes}
        for row in wiring.functions:
            function = functions[row.name]
            if row.manages_connections or row.name in socket_functions:
                function.add_environment("WEBSOCKET_ENDPOINT", self.management_endpoint)
            if row.manages_connections:
                self.stage.grant_management_api_access(function)
                acknowledge(
                    function.role,  # type: ignore[arg-type]
                    wildcard_resource(self._connections_arn()),
                    "Connection ids are only known at run time; the grant is scoped to this API's "
                    f"`{naming.WEBSOCKET_STAGE}` stage and its @connections resource.",
                )

    def _connections_arn(self) -> str:
        """The ManageConnections resource as cdk-nag prints it (see WebSocketStage.grantManagementApiAccess)."""
        return (
            "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
            f"{reference(self.api)}/{naming.WEBSOCKET_STAGE}/*/@connections/*"
        )
