"""The AWS resources the functions use, created in moto from the wiring table's definitions."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra.wiring import TableDefinition, TimerQueue


def create_table(client: Any, name: str, definition: TableDefinition) -> str:
    """Creates the single table (keys, GSIs, stream, TTL) and returns its stream ARN."""
    key_names = [definition.partition_key, definition.sort_key]
    for index in definition.indexes:
        key_names += [index.partition_key, index.sort_key]
    try:
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in dict.fromkeys(key_names)],
            KeySchema=[
                {"AttributeName": definition.partition_key, "KeyType": "HASH"},
                {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in definition.indexes
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": definition.stream_view},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") != "ENABLED":
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )
    return str(client.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def create_bucket(client: Any, name: str) -> None:
    """The report bucket: versioned and encrypted, like the deployed one."""
    try:
        client.create_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def create_queue(client: Any, name: str) -> str:
    """A queue for the stream consumers' on-failure destination; returns its URL."""
    return str(client.create_queue(QueueName=name)["QueueUrl"])


def create_timer_queue(client: Any, name: str, row: TimerQueue) -> str:
    """The timer queue as infra/constructs/timers.py makes it: visibility timeout, and a dead-letter queue
    after max_receive_count receives. Returns the timer queue's URL."""
    dead_letters = create_queue(client, f"{name}-dead-letters")
    dead_letters_arn = client.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return str(
        client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(row.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": row.max_receive_count}
                ),
            },
        )["QueueUrl"]
    )
