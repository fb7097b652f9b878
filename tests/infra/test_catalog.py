"""The Glue tables over the report bucket: they read what the reports function writes (the Parquet
files' folders and columns), partitioned by organization and day (or month) through partition projection."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contactcenter.report_files import MONTH, parquet_name
from contactcenter.store.reports import daily_prefix, monthly_prefix
from infra.constructs.catalog import REPORT_TABLES
from tests.infra.conftest import Synthesis
from tests.unit.test_report_files import _daily

# What Athena's Parquet reader maps each Arrow type to.
ARROW_TO_GLUE = {
    pa.string(): "string",
    pa.date32(): "date",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.bool_(): "boolean",
}


def _tables(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {props["TableInput"]["Name"]: props for props in synthesis.properties("AWS::Glue::Table")}


def _glue_type(field: pa.Field) -> str:
    return "timestamp" if pa.types.is_timestamp(field.type) else ARROW_TO_GLUE[field.type]


def _parquet_schemas() -> dict[str, pa.Schema]:
    """The schemas of the Parquet files a day's (and a month's) compilation writes."""
    from contactcenter.report_files import month_file

    files = _daily(date(2026, 3, 29), parquet=True)
    schemas = {
        name: pq.read_schema(io.BytesIO(content)) for name, content in files.items() if name.endswith(".parquet")
    }
    (month,) = [
        f
        for f in month_file([], date(2026, 3, 1), date(2026, 3, 31), ["BREAK"], _labels())
        if f.name.endswith("parquet")
    ]
    schemas[month.name] = pq.read_schema(io.BytesIO(month.content))
    # Adherence needs schedules the golden day has none of: its (empty) table as the writer makes it.
    from contactcenter import report_columns
    from contactcenter.report_parquet import parquet_bytes

    schemas[parquet_name("adherence.csv")] = pq.read_schema(io.BytesIO(parquet_bytes(report_columns.ADHERENCE, [])))
    return schemas


def _labels() -> Any:
    from tests.unit.test_report_files import LABELS

    return LABELS


def test_one_database_and_a_table_per_parquet_table(synthesis: Synthesis) -> None:
    (database,) = synthesis.properties("AWS::Glue::Database")
    name = database["DatabaseInput"]["Name"]
    tables = _tables(synthesis)
    assert sorted(tables) == sorted(table.name for table in REPORT_TABLES)
    assert {props["DatabaseName"] for props in tables.values()} == {name}


@pytest.mark.parametrize("table", REPORT_TABLES, ids=[t.name for t in REPORT_TABLES])
def test_each_table_declares_the_columns_its_parquet_files_hold(synthesis: Synthesis, table: Any) -> None:
    declared = _tables(synthesis)[table.name]["TableInput"]["StorageDescriptor"]["Columns"]
    csv = MONTH if table.name == "attendance_month" else f"{table.name.replace('_', '-')}.csv"
    schema = _parquet_schemas()[parquet_name(csv)]
    written = {field.name: _glue_type(field) for field in schema}
    assert declared, table.name
    for column in declared:
        assert written.get(column["Name"]) == column["Type"], (table.name, column["Name"])
    # The columns left out are the per-reason ones, which differ by organization.
    assert all(name.startswith("unavailable_") for name in set(written) - {c["Name"] for c in declared})


@pytest.mark.parametrize("table", REPORT_TABLES, ids=[t.name for t in REPORT_TABLES])
def test_partitions_are_projected_onto_the_folders_the_function_writes(synthesis: Synthesis, table: Any) -> None:
    table_input = _tables(synthesis)[table.name]["TableInput"]
    keys = [key["Name"] for key in table_input["PartitionKeys"]]
    parameters = table_input["Parameters"]
    storage = table_input["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.organization_id.type"] == "injected"  # every query names its organization
    if table.period == "daily":
        assert keys == ["organization_id", "day"]
        assert (parameters["projection.day.type"], parameters["projection.day.format"]) == ("date", "yyyy/MM/dd")
        folder = daily_prefix("acme", date(2026, 3, 29))
        values = {"organization_id": "acme", "day": "2026/03/29"}
    else:
        assert keys == ["organization_id", "month"]
        assert (parameters["projection.month.format"], parameters["projection.month.interval.unit"]) == (
            "yyyy/MM",
            "MONTHS",
        )
        folder = monthly_prefix("acme", date(2026, 3, 1))
        values = {"organization_id": "acme", "month": "2026/03"}
    template = _joined(parameters["storage.location.template"])
    location = _joined(storage["Location"])
    for key, value in values.items():
        template = template.replace("${" + key + "}", value)
    csv = MONTH if table.name == "attendance_month" else f"{table.name.replace('_', '-')}.csv"
    expected_key = folder + parquet_name(csv)
    assert template.startswith(location)
    assert template.removeprefix("s3://<bucket>/") + f"{table.name}.parquet" == expected_key


def _joined(value: Any) -> str:
    """A Fn::Join of the bucket's name and text, with the bucket written <bucket>."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return separator.join(part if isinstance(part, str) else "<bucket>" for part in parts)


def test_the_reports_function_gets_the_link_lifetime_of_the_deploy_settings(synthesis: Synthesis) -> None:
    variables = synthesis.function("reports")["Properties"]["Environment"]["Variables"]
    assert variables["REPORT_LINK_SECONDS"] == "900"


@pytest.mark.parametrize(("raw", "seconds"), [(None, 900), ("3600", 3600), (43200, 43200)])
def test_report_link_seconds_is_read_from_context(raw: Any, seconds: int) -> None:
    from infra.settings import DeploySettings

    class Node:
        def try_get_context(self, key: str) -> Any:
            return raw if key == "reportLinkSeconds" else None

    assert DeploySettings.from_context(Node()).report_link_seconds == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["59", "43201", "soon"])
def test_a_report_link_lifetime_out_of_range_is_refused(raw: str) -> None:
    from infra.settings import DeploySettings, InvalidSetting

    class Node:
        def try_get_context(self, key: str) -> Any:
            return raw if key == "reportLinkSeconds" else None

    with pytest.raises(InvalidSetting, match="reportLinkSeconds"):
        DeploySettings.from_context(Node())  # type: ignore[arg-type]
