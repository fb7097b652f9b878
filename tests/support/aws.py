"""Watch the AWS requests our code makes (the table itself is made by local.resources.create_table)."""

from __future__ import annotations

from typing import Any


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
