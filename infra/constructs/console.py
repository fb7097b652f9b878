"""The web console: a private bucket behind CloudFront, reached only through origin access control;
HTTPS only; security headers with a content security policy that lets the page talk to nothing but the
API, the WebSocket API and the sign-in (Cognito).

The files and their runtime configuration (config.json, from the stack's `ConsoleConfig` output) are
written after `cdk deploy` by `python -m ops.publish_console` (make deploy runs it): CDK's
BucketDeployment would bring a Lambda function with an AWS managed policy and wildcard grants, which this
stack keeps out (tests/infra/test_safety.py)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.nag import acknowledge


def content_security_policy(*, api_origin: str, socket_origin: str, sign_in_origins: list[str]) -> str:
    """Scripts and styles only from the console itself; fetches and sockets only to the API, the
    WebSocket API and the sign-in; the page framed by nobody. Report downloads are navigations to
    presigned S3 links, which connect-src does not govern."""
    connect = " ".join(["'self'", api_origin, socket_origin, *sign_in_origins])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "upgrade-insecure-requests",
        ]
    )


class Console(Construct):
    """Exposes `origin` (https://<distribution domain>), for the API's CORS and the sign-in's callback
    URLs.

    The policy names API Gateway's hosts of the region (`*.execute-api`) rather than this API's own:
    the API's CORS list names this distribution, so the distribution cannot name the API back (a
    dependency cycle). The sign-in's hosts are exact."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_origin: str,
        socket_origin: str,
        sign_in_origins: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "SiteBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "The bucket holds only the console's public build output, written by each deploy and read only by "
            "CloudFront; who reads the console is in CloudFront's own metrics.",
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Contact-center console: CSP limited to the API, the WebSocket API and the sign-in",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        api_origin=api_origin, socket_origin=socket_origin, sign_in_origins=sign_in_origins
                    ),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Contact-center web console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "Agents work from wherever their contact center is; sign-in and the API decide who gets in.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "The distribution serves static files only; the API behind it has its own throttling and authorizers.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR3",
            "Standard logs need an ACL-enabled log bucket; the console's files are public build output and "
            "every call that matters is logged by the API.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "With CloudFront's default certificate the viewer TLS floor cannot be set (CloudFront fixes it); a "
            "custom domain with its own certificate would take TLSv1.2_2021.",
        )
        self.origin = f"https://{self.distribution.distribution_domain_name}"
