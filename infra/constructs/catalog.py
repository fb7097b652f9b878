"""The Glue Data Catalog over the report bucket, for Athena: one database, one table per Parquet report
table, partitioned by organization and by day (or month), found by partition projection (no crawler, no
partitions to add: a file compiled tonight is queryable at once).

The columns are the files' data dictionary (contactcenter/report_columns.py), the one module of the
layer infra reads: the tables must equal the files, and reading them from one place keeps them so.
Columns that differ by organization (one per unavailable reason in attendance) are not declared: the
same seconds are in the `unavailable` table, one row per reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contactcenter import report_columns as columns
from contactcenter.report_columns import Column
from infra import naming

FIRST_DAY = "2026/01/01"  # partition projection's first day; days before it are not queried
GLUE_TYPES = {
    columns.STRING: "string",
    columns.TIME: "string",  # Athena's tables have no time-of-day type: HH:MM:SS compares as text
    columns.DATE: "date",
    columns.TIMESTAMP: "timestamp",
    columns.INTEGER: "bigint",
    columns.DECIMAL: "double",
    columns.BOOLEAN: "boolean",
}
ORGANIZATION_KEY = "organization_id"


@dataclass(frozen=True)
class ReportTable:
    name: str  # the Glue table, and the Parquet file's folder (parquet/{name}/{name}.parquet)
    columns: tuple[Column, ...]
    period: str  # "daily" or "monthly": the folder the files are in
    description: str

    @property
    def period_key(self) -> str:
        return "day" if self.period == "daily" else "month"


REPORT_TABLES = (
    ReportTable(
        "attendance", columns.fixed_attendance_columns(), "daily", "One row per agent and local day with clocked time"
    ),
    ReportTable("sessions", columns.SESSIONS, "daily", "One row per clock-in session, split at local midnight"),
    ReportTable(
        "supervisor_actions", columns.SUPERVISOR_ACTIONS, "daily", "One row per thing a supervisor did to an agent"
    ),
    ReportTable("unavailable", columns.UNAVAILABLE, "daily", "One row per agent, local day and UNAVAILABLE reason"),
    ReportTable("adherence", columns.ADHERENCE, "daily", "One row per scheduled agent and local day: adherence"),
    ReportTable(
        "attendance_month", columns.fixed_month_columns(), "monthly", "One row per agent and local month (rollup)"
    ),
)


class Catalog(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, tables: Sequence[ReportTable] = REPORT_TABLES
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        self.database_name = f"{naming.SERVICE_NAME}_reports"
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="Attendance report files (Parquet) for Athena; see docs/reports.md",
            ),
        )
        self.tables = {table.name: self._table(table, bucket, account) for table in tables}

    def _table(self, table: ReportTable, bucket: s3.IBucket, account: str) -> glue.CfnTable:
        key = table.period_key
        day = table.period == "daily"
        location = f"s3://{bucket.bucket_name}/attendance/"
        cfn = glue.CfnTable(
            self,
            naming.construct_id(table.name, "Table"),
            catalog_id=account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table.name,
                description=table.description,
                table_type="EXTERNAL_TABLE",
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name=ORGANIZATION_KEY, type="string", comment="The organization"),
                    glue.CfnTable.ColumnProperty(
                        name=key, type="string", comment="yyyy/MM/dd (local day)" if day else "yyyy/MM (local month)"
                    ),
                ],
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    "projection.enabled": "true",
                    # Each query names its organization: one organization's rows never meet another's.
                    f"projection.{ORGANIZATION_KEY}.type": "injected",
                    f"projection.{key}.type": "date",
                    f"projection.{key}.format": "yyyy/MM/dd" if day else "yyyy/MM",
                    f"projection.{key}.range": f"{FIRST_DAY if day else FIRST_DAY[:7]},NOW",
                    f"projection.{key}.interval": "1",
                    f"projection.{key}.interval.unit": "DAYS" if day else "MONTHS",
                    "storage.location.template": (
                        f"{location}${{{ORGANIZATION_KEY}}}/{table.period}/${{{key}}}/parquet/{table.name}/"
                    ),
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(
                            name=column.name, type=GLUE_TYPES[column.type], comment=column.meaning[:255]
                        )
                        for column in table.columns
                    ],
                ),
            ),
        )
        cfn.add_dependency(self.database)
        return cfn
