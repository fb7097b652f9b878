"""Access log settings for API Gateway v2 stages (HTTP and WebSocket)."""

from __future__ import annotations

import json

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs


def json_format(fields: dict[str, str]) -> str:
    """One JSON object per line, as CloudWatch Logs Insights reads it."""
    return json.dumps(fields, separators=(",", ":"))


# aws_apigatewayv2 declares IAccessLogSettings but ships no class for it, and jsii refuses a plain
# dict for a behavioural interface, so the value object is implemented here.
@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup, fields: dict[str, str]) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(json_format(fields))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format
