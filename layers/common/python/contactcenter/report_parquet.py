"""A report table as Parquet bytes (pyarrow), typed from the data dictionary: dates as DATE, instants as
TIMESTAMP (UTC, seconds), seconds as INT64, hours as DOUBLE, flags as BOOLEAN, text and local times as
strings (Athena's tables have no time-of-day type). Imported only where Parquet is written: pyarrow costs
its import time once per execution environment (bench/imports.py measures it).

Deterministic: the same rows give the same bytes with the same pyarrow (no creation time is written).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from contactcenter import report_columns as columns
from contactcenter.report_columns import Column

_TYPES = {
    columns.STRING: pa.string(),
    columns.TIME: pa.string(),
    columns.DATE: pa.date32(),
    columns.INTEGER: pa.int64(),
    columns.DECIMAL: pa.float64(),
    columns.BOOLEAN: pa.bool_(),
}
_INSTANT = pa.timestamp("s", tz="UTC")


def arrow_type(column: Column) -> pa.DataType:
    return _INSTANT if column.type == columns.TIMESTAMP else _TYPES[column.type]


def _array(column: Column, values: Sequence[object]) -> pa.Array:
    if column.type == columns.TIMESTAMP:
        return pa.array(values, pa.int64()).cast(_INSTANT)
    if column.hours_of:  # the seconds beside it, as hours with two decimals
        from contactcenter.report_files import hours

        return pa.array([None if value is None else hours(value) for value in values], pa.float64())  # type: ignore[arg-type]
    return pa.array(values, _TYPES[column.type])


def parquet_bytes(table_columns: Sequence[Column], rows: Sequence[tuple[object, ...]]) -> bytes:
    values: list[Sequence[object]] = (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in table_columns]
    )
    table = pa.table(
        [_array(column, column_values) for column, column_values in zip(table_columns, values, strict=True)],
        schema=pa.schema([pa.field(column.name, arrow_type(column)) for column in table_columns]),
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return bytes(sink.getvalue().to_pybytes())
