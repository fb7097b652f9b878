"""The shape every benchmark returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        if not self.note:
            row.pop("note")
        return row
