"""What a stream consumer's event source mapping would deliver, read from moto's stream of the table."""

from __future__ import annotations

from typing import Any

import boto3

from infra.wiring import WIRING
from local.filters import matches_any


class TableStream:
    """The next batch for one consumer (a function of the wiring table), each record once, filtered by
    the consumer's patterns as Lambda filters them."""

    def __init__(self, table: str, function: str) -> None:
        self.table = table
        self.delivered: set[str] = set()
        self.filters = next(c for c in WIRING.stream_consumers if c.function == function).filters

    def next_event(self) -> dict[str, Any]:
        streams = boto3.client("dynamodbstreams")
        arn = boto3.client("dynamodb").describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = []
        for record in streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]:
            number = record["dynamodb"]["SequenceNumber"]
            record["eventSourceARN"] = arn
            record["dynamodb"].pop("ApproximateCreationDateTime", None)
            if number not in self.delivered and matches_any(self.filters, record):
                records.append(record)
            self.delivered.add(number)
        return {"Records": records}
