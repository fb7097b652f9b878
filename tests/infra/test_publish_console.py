"""Publishing the built console after a deploy (ops/publish_console.py), against moto's S3 and
CloudFront: every file with its type and caching, config.json from the stack's output, stale files
gone, the unhashed names invalidated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.publish_console import PublishError, publish

CONFIG = {"apiUrl": "https://api.example.com", "wsUrl": "wss://ws.example.com/live", "clientId": "abc"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        s3.create_bucket(Bucket="console-site")
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": "console-site.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "https-only",
                    "MinTTL": 0,
                    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                },
            }
        )["Distribution"]["Id"]
        yield s3, cloudfront, distribution


def _site(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/assets/index-abc.js"></script>')
    (root / "assets" / "index-abc.js").write_text("console.log(1)")
    (root / "assets" / "index-abc.css").write_text("body{}")
    return root


def test_publish_uploads_the_site_and_its_config(aws: tuple[Any, Any, str], tmp_path: Path) -> None:
    s3, cloudfront, distribution = aws
    s3.put_object(Bucket="console-site", Key="assets/index-old.js", Body=b"old")
    outputs = {
        "ConsoleBucketName": "console-site",
        "ConsoleDistributionId": distribution,
        "ConsoleConfig": json.dumps(CONFIG),
    }
    written = publish(_site(tmp_path / "dist"), outputs, s3=s3, cloudfront=cloudfront)
    assert written == ["assets/index-abc.css", "assets/index-abc.js", "index.html", "config.json"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="console-site")["Contents"]]
    assert sorted(keys) == sorted(written), "the old build's file is gone"
    index = s3.get_object(Bucket="console-site", Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html", "no-cache")
    script = s3.get_object(Bucket="console-site", Key="assets/index-abc.js")
    assert script["ContentType"] in ("text/javascript", "application/javascript")
    assert "immutable" in script["CacheControl"]
    config = s3.get_object(Bucket="console-site", Key="config.json")
    assert json.loads(config["Body"].read()) == CONFIG
    (invalidation,) = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    paths = cloudfront.get_invalidation(DistributionId=distribution, Id=invalidation["Id"])["Invalidation"]
    assert sorted(paths["InvalidationBatch"]["Paths"]["Items"]) == ["/", "/config.json", "/index.html"]


def test_publish_refuses_without_the_stacks_outputs_or_a_build(aws: tuple[Any, Any, str], tmp_path: Path) -> None:
    s3, cloudfront, distribution = aws
    with pytest.raises(PublishError, match="ConsoleDistributionId"):
        publish(_site(tmp_path / "a"), {"ConsoleBucketName": "console-site"}, s3=s3, cloudfront=cloudfront)
    outputs = {"ConsoleBucketName": "console-site", "ConsoleDistributionId": distribution, "ConsoleConfig": "{}"}
    with pytest.raises(PublishError, match="make console"):
        publish(tmp_path / "empty", outputs, s3=s3, cloudfront=cloudfront)
    assert "Contents" not in s3.list_objects_v2(Bucket="console-site")
