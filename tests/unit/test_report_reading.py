"""The report files as finance reads them: the golden CSV files (the daylight-saving days and a day whose
session runs on past midnight) and the Parquet beside them, read back by DuckDB and pandas with the type
the manifest's data dictionary gives every column: dates as dates, instants as instants, numbers as
numbers, flags as booleans."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.unit.test_report_files import COMPILED, GOLDEN, _daily

DAYS = [f"daily-{day.isoformat()}" for day in sorted(COMPILED)]
FOLDERS = [*DAYS, "intervals-2026-03-29-30min", "intervals-2026-10-25-60min"]
# What DuckDB's CSV sniffer should see in a column with values, by dictionary type; strings are read as
# the dictionary says (a number such as 00017 is an id, not 17).
DUCKDB_TYPES = {
    "date": "DATE",
    "time": "TIME",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
}
# Parquet's types as DuckDB reads them (local times are text: Athena's tables have no time-of-day type).
PARQUET_TYPES = DUCKDB_TYPES | {"time": "VARCHAR"}


def _csv_files() -> list[tuple[str, str, list[dict[str, str]]]]:
    found = []
    for folder in FOLDERS:
        manifest = json.loads((GOLDEN / folder / "manifest.json").read_text())
        kept = {path.name for path in (GOLDEN / folder).iterdir()}  # interval folders keep intervals.csv only
        found += [
            (folder, f["name"], f["columns"])
            for f in manifest["files"]
            if f["name"].endswith(".csv") and f["name"] in kept
        ]
    return found


CSV_FILES = _csv_files()


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection


@pytest.mark.parametrize(("folder", "name", "columns"), CSV_FILES, ids=[f"{f}/{n}" for f, n, _ in CSV_FILES])
def test_duckdb_reads_every_golden_column_as_its_dictionary_type(
    connection: duckdb.DuckDBPyConnection, folder: str, name: str, columns: list[dict[str, str]]
) -> None:
    path = str(GOLDEN / folder / name)
    # As the dictionary says, every value parses.
    typed = connection.read_csv(path, header=True, columns={c["name"]: DUCKDB_TYPES[c["type"]] for c in columns})
    assert typed.columns == [c["name"] for c in columns]
    assert [str(t) for t in typed.types] == [DUCKDB_TYPES[c["type"]] for c in columns]
    assert typed.count("*").fetchall() == [((GOLDEN / folder / name).read_bytes().count(b"\n") - 1,)]
    # And without being told: the sniffer finds the same type in every column that has a value.
    sniffed = connection.read_csv(path, header=True)
    filled = {c: sniffed.filter(f'"{c}" IS NOT NULL').count("*").fetchall()[0][0] > 0 for c in sniffed.columns}
    for column, found in zip(columns, sniffed.types, strict=True):
        if filled[column["name"]] and column["type"] != "string":
            assert str(found) == DUCKDB_TYPES[column["type"]], column["name"]


@pytest.mark.parametrize(("folder", "name", "columns"), CSV_FILES, ids=[f"{f}/{n}" for f, n, _ in CSV_FILES])
def test_pandas_reads_every_golden_column_as_its_dictionary_type(
    folder: str, name: str, columns: list[dict[str, str]]
) -> None:
    by_type: dict[str, list[str]] = {}
    for column in columns:
        by_type.setdefault(column["type"], []).append(column["name"])
    if (GOLDEN / folder / name).read_bytes().count(b"\n") == 1:
        return  # a header alone: no value to find a type in
    frame = pd.read_csv(
        GOLDEN / folder / name,
        dtype={c: "string" for c in by_type.get("string", []) + by_type.get("time", [])}
        | {c: "Int64" for c in by_type.get("integer", [])}
        | {c: "float64" for c in by_type.get("decimal", [])}
        | {c: "boolean" for c in by_type.get("boolean", [])},
        parse_dates=by_type.get("date", []) + by_type.get("timestamp", []),
        date_format="ISO8601",
    )
    for column in columns:
        series = frame[column["name"]]
        kind = column["type"]
        if kind == "timestamp":
            assert isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dt.tz) == "UTC", column["name"]
        elif kind == "date":
            assert pd.api.types.is_datetime64_dtype(series.dtype) and series.dt.tz is None, column["name"]
            assert (series.dropna() == series.dropna().dt.normalize()).all()
        elif kind == "time":
            assert pd.to_timedelta(series.dropna()).between(pd.Timedelta(0), pd.Timedelta(hours=24)).all()
        elif kind == "integer":
            assert pd.api.types.is_integer_dtype(series.dtype), column["name"]
        elif kind == "decimal":
            assert pd.api.types.is_float_dtype(series.dtype), column["name"]
        elif kind == "boolean":
            assert pd.api.types.is_bool_dtype(series.dtype), column["name"]
        else:
            assert pd.api.types.is_string_dtype(series.dtype), column["name"]


def test_pandas_reads_the_dst_days_start_column_as_instants_without_being_told_its_type() -> None:
    # The complaint behind issue 21: local offsets changing within the column made pandas keep it as text.
    for folder in ("daily-2026-03-29", "daily-2026-10-25"):
        sessions = pd.read_csv(GOLDEN / folder / "sessions.csv", parse_dates=["start", "end", "clock_in"])
        for column in ("start", "end", "clock_in"):
            assert isinstance(sessions[column].dtype, pd.DatetimeTZDtype), (folder, column)


def test_hours_are_the_seconds_with_two_decimals_in_every_golden_file() -> None:
    for folder in FOLDERS:
        for path in (GOLDEN / folder).glob("*.csv"):
            frame = pd.read_csv(path)
            for column in frame.columns:
                if column.endswith("hours"):
                    seconds = frame[column.removesuffix("hours") + "seconds"]
                    assert ((frame[column] - seconds / 3600).abs() <= 0.005 + 1e-9).all(), (path.name, column)


@pytest.mark.parametrize("day", sorted(COMPILED))
def test_parquet_holds_the_csv_rows_with_their_types(connection: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    files = _daily(day, parquet=True)
    manifest = json.loads(files["manifest.json"])
    listed = {f["name"]: f for f in manifest["files"]}
    for name in [n for n in files if n.endswith(".csv")]:
        table = name.removesuffix(".csv").replace("-", "_")
        parquet_name = f"parquet/{table}/{table}.parquet"
        assert listed[parquet_name]["columns"] == listed[name]["columns"]
        columns = listed[name]["columns"]
        csv_path, parquet_path = _written(name, files[name]), _written(f"{table}.parquet", files[parquet_name])
        from_parquet = connection.read_parquet(str(parquet_path))
        assert from_parquet.columns == [c["name"] for c in columns]
        assert [str(t) for t in from_parquet.types] == [PARQUET_TYPES[c["type"]] for c in columns]
        types = {c["name"]: PARQUET_TYPES[c["type"]] for c in columns}
        from_csv = connection.read_csv(str(csv_path), header=True, columns=types)
        # Free text is neutralized in CSV only; everything else is the same value.
        plain = [c for c in columns if c["name"] not in ("agent_name", "unit_name", "note", "details")]
        # Instants compared as epoch seconds (fetching TIMESTAMPTZ into Python needs pytz).
        select = ", ".join(f'epoch("{c["name"]}")' if c["type"] == "timestamp" else f'"{c["name"]}"' for c in plain)
        assert from_parquet.select(select).fetchall() == from_csv.select(select).fetchall(), name

        frame = pd.read_parquet(parquet_path)
        for column in columns:
            series = frame[column["name"]].dropna()
            if column["type"] == "date":
                assert all(type(value) is dt.date for value in series), column["name"]
            elif column["type"] == "timestamp":
                assert isinstance(frame[column["name"]].dtype, pd.DatetimeTZDtype)
            elif column["type"] in ("integer", "decimal"):
                assert pd.api.types.is_numeric_dtype(frame[column["name"]].dtype), column["name"]


_WRITTEN: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def _folder(tmp_path: Path) -> None:
    _WRITTEN.clear()
    _WRITTEN["root"] = tmp_path


def _written(name: str, content: bytes) -> Path:
    path = _WRITTEN["root"] / name
    path.write_bytes(content)
    return path
