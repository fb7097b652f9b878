"""The web console on AWS: a private bucket read only by its CloudFront distribution (origin access
control), HTTPS only, security headers with a content security policy naming only the API's, the
WebSocket API's and the sign-in's hosts, config.json written from the stack's values, and the
console's origin in the HTTP API's CORS list."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.cfn import only
from tests.infra.conftest import Synthesis


def _one(synthesis: Synthesis, resource_type: str, fragment: str = "") -> tuple[str, dict[str, Any]]:
    found = {name: r for name, r in synthesis.resources(resource_type).items() if fragment in name}
    assert len(found) == 1, sorted(found)
    name, resource = next(iter(found.items()))
    return name, resource["Properties"]


def _text(value: Any) -> str:
    """A Fn::Join of strings and references, as one readable string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return json.dumps(value, sort_keys=True)


def test_the_bucket_is_private_and_read_only_by_the_distribution(synthesis: Synthesis) -> None:
    _, properties = _one(synthesis, "AWS::S3::Bucket", "ConsoleSite")
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    distribution, config = _one(synthesis, "AWS::CloudFront::Distribution", "Console")
    origin = only(config["DistributionConfig"]["Origins"])
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy identity: OAC signs
    control_id = origin["OriginAccessControlId"]["Fn::GetAtt"][0]
    control = synthesis.template["Resources"][control_id]["Properties"]["OriginAccessControlConfig"]
    assert (control["SigningBehavior"], control["OriginAccessControlOriginType"]) == ("always", "s3")
    _, policy = _one(synthesis, "AWS::S3::BucketPolicy", "ConsoleSite")
    allowed = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allowed) == 1
    (grant,) = allowed
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert {"Ref": distribution} in grant["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Join"][1]


def test_https_only_with_security_headers_and_a_narrow_content_security_policy(synthesis: Synthesis) -> None:
    _, config = _one(synthesis, "AWS::CloudFront::Distribution", "Console")
    behavior = config["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    headers_id = behavior["ResponseHeadersPolicyId"]["Ref"]
    headers = synthesis.template["Resources"][headers_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"]["Override"] is True
    policy = _text(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    connect = directives["connect-src"].split()
    assert connect == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "wss://*.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
        "https://${IdentityUserPoolDomain56C2A4C9}.auth.${AWS::Region}.amazoncognito.com",
    ]


def test_the_config_the_console_is_published_with_comes_from_the_stacks_values(synthesis: Synthesis) -> None:
    outputs = synthesis.template["Outputs"]
    config = _text(outputs["ConsoleConfig"]["Value"])
    for key, expected in (
        ("apiUrl", f"${{{synthesis.http_api_id}.ApiEndpoint}}"),
        ("wsUrl", f"wss://${{{synthesis.socket_api_id}}}.execute-api."),
        ("authority", "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${IdentityUserPool"),
        ("clientId", "${IdentityUserPoolPeopleClient"),
        ("redirectUri", "https://${ConsoleDistribution"),
        ("logoutUrl", ".amazoncognito.com/logout"),
    ):
        assert f'"{key}":' in config and expected in config, (key, config)
    bucket, _ = _one(synthesis, "AWS::S3::Bucket", "ConsoleSite")
    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": bucket}
    distribution, _ = _one(synthesis, "AWS::CloudFront::Distribution", "Console")
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": distribution}


def test_the_consoles_origin_is_in_the_apis_cors_list(synthesis: Synthesis) -> None:
    api = synthesis.template["Resources"][synthesis.http_api_id]["Properties"]
    origins = [_text(origin) for origin in api["CorsConfiguration"]["AllowOrigins"]]
    distribution, _ = _one(synthesis, "AWS::CloudFront::Distribution", "Console")
    assert origins == ["https://console.example.com", f"https://${{{distribution}.DomainName}}"]
    outputs = synthesis.template["Outputs"]
    assert "ConsoleUrl" in outputs
