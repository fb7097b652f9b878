"""What a production deployment needs from the template: browsers (CORS), people signing in (the browser
app client), integrations accepted at run time, a first deploy in a fresh account, alarms per signal."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.wiring import WIRING
from tests.infra.conftest import DEPLOY_CONTEXT


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
