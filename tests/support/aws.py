"""Create the project's AWS resources in moto from the same definitions the stack uses."""

from __future__ import annotations

from typing import Any

from infra.wiring import WIRING, TableDefinition


def create_table(client: Any, name: str, definition: TableDefinition = WIRING.table) -> None:
    keys = {definition.partition_key, definition.sort_key}
    for index in definition.indexes:
        keys |= {index.partition_key, index.sort_key}
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in sorted(keys)],
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
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute}
    )


class RequestCounter:
    """Counts AWS requests per operation through botocore's event hooks (no mocks of our code)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return len(self.calls)
