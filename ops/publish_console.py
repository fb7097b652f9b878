"""Publish the built web console (web/dist) to its bucket after `cdk deploy` (make deploy runs it).

Reads the stack's outputs (`ConsoleBucketName`, `ConsoleDistributionId`, `ConsoleConfig`), uploads every
file with its content type (hashed assets cached for a year, `index.html` never), writes `config.json`
from `ConsoleConfig`, deletes what the new build no longer has, and invalidates the two files that keep
their names. Done here rather than by CDK's BucketDeployment, which would add a Lambda function with an
AWS managed policy and wildcard grants to the stack.

    .venv/bin/python -m ops.publish_console --stack ContactCenterPresence-dev [--site web/dist]
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "web" / "dist"
NEVER_CACHED = "no-cache"
HASHED = "public, max-age=31536000, immutable"


class PublishError(RuntimeError):
    pass


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def publish(site_dir: Path, outputs: Mapping[str, str], *, s3: Any, cloudfront: Any) -> list[str]:
    """Uploads the site and its config.json; returns the keys written."""
    for key in ("ConsoleBucketName", "ConsoleDistributionId", "ConsoleConfig"):
        if not outputs.get(key):
            raise PublishError(f"the stack has no {key} output: deploy it first (make deploy)")
    if not (site_dir / "index.html").is_file():
        raise PublishError(f"{site_dir} holds no built console: run `make console`")
    config = json.loads(outputs["ConsoleConfig"])
    bucket = outputs["ConsoleBucketName"]
    written: list[str] = []
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        key = path.relative_to(site_dir).as_posix()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type,
            CacheControl=HASHED if key.startswith("assets/") else NEVER_CACHED,
        )
        written.append(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode("utf-8"),
        ContentType="application/json",
        CacheControl=NEVER_CACHED,
    )
    written.append("config.json")
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in written
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]]})
    cloudfront.create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 3, "Items": ["/", "/index.html", "/config.json"]},
            "CallerReference": f"publish-{time.time_ns()}",
        },
    )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.publish_console", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack's name (ContactCenterPresence-<stage>)")
    parser.add_argument("--site", type=Path, default=SITE_DIR)
    arguments = parser.parse_args(argv)
    session = boto3.session.Session()
    outputs = stack_outputs(session.client("cloudformation"), arguments.stack)
    try:
        written = publish(arguments.site, outputs, s3=session.client("s3"), cloudfront=session.client("cloudfront"))
    except PublishError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"published {len(written)} files; open {outputs.get('ConsoleUrl', '(see the ConsoleUrl output)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
