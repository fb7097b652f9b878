"""Report files in S3 and report jobs in the table.

S3 keys (nobody else builds them):
  daily      attendance/{org}/daily/{yyyy}/{mm}/{dd}/{file}
  monthly    attendance/{org}/monthly/{yyyy}/{mm}/{file}
  on demand  attendance/{org}/jobs/{jobId}/{file}
where {file} is a name (attendance.csv) or, for Parquet, parquet/{table}/{table}.parquet: each table in a
folder of its own, the location of its Glue table's partition (infra/constructs/catalog.py).
A report's files are written first and its manifest.json last: a folder without a manifest is not a
report yet, and nothing reads or lists it as one.

Table keys:
  job        pk=ORG#{org}#REPORTJOB#{jobId}  sk=REPORTJOB  entity=ReportJob (its INSERT starts the work)
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.report_files import MANIFEST, ReportFile
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate

JOB_TTL = timedelta(days=30)
JOB_ENTITY = "ReportJob"


class JobState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class StoredFile:
    name: str
    key: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ReportJob:
    organization_id: str
    job_id: str
    requested_by: str
    requested_at: datetime
    first: date
    last: date
    units: tuple[str, ...] | None  # None: the whole organization
    interval_minutes: int | None
    state: str = JobState.QUEUED
    done: int = 0  # agents compiled so far
    total: int = 0  # agents to compile
    files: tuple[StoredFile, ...] = ()
    error: str | None = None
    attempts: int = 0
    updated_at: datetime | None = None


# --- keys ----------------------------------------------------------------------------------------


def daily_prefix(organization_id: str, day: date) -> str:
    return f"attendance/{organization_id}/daily/{day:%Y/%m/%d}/"


def monthly_prefix(organization_id: str, month: date) -> str:
    return f"attendance/{organization_id}/monthly/{month:%Y/%m}/"


def job_prefix(organization_id: str, job_id: str) -> str:
    return f"attendance/{organization_id}/jobs/{job_id}/"


def _job_key(organization_id: str, job_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORG#{organization_id}#REPORTJOB#{job_id}"}, "sk": {"S": "REPORTJOB"}}


def _bucket() -> str:
    return environment().require_report_bucket()


def bucket_name() -> str:
    return _bucket()


# --- files ---------------------------------------------------------------------------------------


def read_object(key: str, *, client: Any = None) -> bytes | None:
    client = client or clients.s3()
    try:
        body: bytes = client.get_object(Bucket=_bucket(), Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise translate(error, conflict_message="the report changed meanwhile") from error
    return body


def manifest_exists(prefix: str, *, client: Any = None) -> bool:
    client = client or clients.s3()
    try:
        client.head_object(Bucket=_bucket(), Key=prefix + MANIFEST)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
            return False
        raise translate(error, conflict_message="the report changed meanwhile") from error
    return True


def publish(prefix: str, files: Sequence[ReportFile], manifest: ReportFile, *, client: Any = None) -> list[StoredFile]:
    """Every file, then the manifest: a reader who finds the manifest finds every file it lists complete.
    S3 checks each body against its SHA-256 on arrival."""
    client = client or clients.s3()
    bucket = _bucket()
    stored = []
    for file in [*files, manifest]:
        key = prefix + file.name
        try:
            client.put_object(
                Bucket=bucket,
                Key=key,
                Body=file.content,
                ContentType=file.content_type,
                ChecksumSHA256=base64.b64encode(hashlib.sha256(file.content).digest()).decode("ascii"),
            )
        except ClientError as error:
            # No manifest yet, so nothing lists this folder as a report; a throttled write is retried whole.
            raise translate(error, conflict_message="the report changed meanwhile") from error
        stored.append(StoredFile(file.name, key, file.rows, len(file.content), file.sha256))
    return stored


def download_link(key: str, *, expires_seconds: int, client: Any = None) -> str:
    """A presigned GET (signed locally: no request). S3 answers it as an attachment named after the
    file, so that a browser following the link saves the file rather than showing it."""
    client = client or clients.s3()
    name = key.rsplit("/", 1)[-1]
    url: str = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": _bucket(), "Key": key, "ResponseContentDisposition": f'attachment; filename="{name}"'},
        ExpiresIn=expires_seconds,
    )
    return url


@dataclass(frozen=True)
class DailyFolder:
    day: date
    files: tuple[StoredFile, ...]  # sizes from the listing; rows and checksums are in the manifest


def daily_folders(organization_id: str, first: date, last: date, *, client: Any = None) -> list[DailyFolder]:
    """The complete daily reports (those with a manifest) from `first` to `last`, oldest first."""
    return _folders(
        f"attendance/{organization_id}/daily/",
        daily_prefix(organization_id, first),
        daily_prefix(organization_id, last) + "~",
        client=client,
    )


def monthly_folders(organization_id: str, first: date, last: date, *, client: Any = None) -> list[DailyFolder]:
    """The complete monthly rollups of the months from `first`'s to `last`'s, oldest first (`day`: the
    month's first day)."""
    return _folders(
        f"attendance/{organization_id}/monthly/",
        monthly_prefix(organization_id, first),
        monthly_prefix(organization_id, last) + "~",
        client=client,
    )


def _folders(root: str, start_after: str, stop: str, *, client: Any) -> list[DailyFolder]:
    client = client or clients.s3()
    found: dict[date, list[StoredFile]] = {}
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=root, StartAfter=start_after)
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if key > stop:
                return _complete(found)
            parts = key[len(root) :].split("/")
            # daily: yyyy/mm/dd/name..., monthly: yyyy/mm/name...
            if len(parts) >= 4 and parts[2].isdigit():
                day, name = date(int(parts[0]), int(parts[1]), int(parts[2])), "/".join(parts[3:])
            else:
                day, name = date(int(parts[0]), int(parts[1]), 1), "/".join(parts[2:])
            found.setdefault(day, []).append(StoredFile(name, key, 0, int(item["Size"]), ""))
    return _complete(found)


def _complete(found: dict[date, list[StoredFile]]) -> list[DailyFolder]:
    return [
        DailyFolder(day, tuple(sorted(files, key=lambda f: f.name)))
        for day, files in sorted(found.items())
        if any(f.name == MANIFEST for f in files)
    ]


# --- jobs ----------------------------------------------------------------------------------------


def create_job(job: ReportJob, *, client: Any = None) -> None:
    """Conflict when a job with this id exists (a retried request with the same idempotency key)."""
    client = client or clients.dynamodb()
    item = {**_job_key(job.organization_id, job.job_id), **to_item(_job_values(job))}
    try:
        client.put_item(TableName=environment().table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        raise translate(error, conflict_message="this report job exists already") from error


def get_job(organization_id: str, job_id: str, *, client: Any = None) -> ReportJob | None:
    client = client or clients.dynamodb()
    item = client.get_item(
        TableName=environment().table_name, Key=_job_key(organization_id, job_id), ConsistentRead=True
    ).get("Item")
    return _job_from(from_item(item)) if item else None


def start_job(organization_id: str, job_id: str, *, now: datetime, client: Any = None) -> ReportJob | None:
    """Mark the job running (again, when a run was retried); None when it is done or does not exist."""
    client = client or clients.dynamodb()
    try:
        response = client.update_item(
            TableName=environment().table_name,
            Key=_job_key(organization_id, job_id),
            UpdateExpression=(
                "SET #state = :running, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one"
            ),
            ConditionExpression="attribute_exists(pk) AND #state <> :done",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_item(
                {":running": JobState.RUNNING, ":done": JobState.DONE, ":now": _iso(now), ":zero": 0, ":one": 1}
            ),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise translate(error, conflict_message="the job changed meanwhile") from error
    return _job_from(from_item(response["Attributes"]))


def record_progress(
    organization_id: str, job_id: str, *, done: int, total: int, now: datetime, client: Any = None
) -> None:
    _update(organization_id, job_id, {"done": done, "total": total, "updatedAt": _iso(now)}, client=client)


def finish_job(
    organization_id: str, job_id: str, files: Sequence[StoredFile], *, now: datetime, client: Any = None
) -> None:
    values = {"state": JobState.DONE, "files": [_file_values(f) for f in files], "updatedAt": _iso(now)}
    _update(organization_id, job_id, values, remove=("error",), client=client)


def fail_job(organization_id: str, job_id: str, error: str, *, now: datetime, client: Any = None) -> None:
    _update(
        organization_id, job_id, {"state": JobState.FAILED, "error": error[:500], "updatedAt": _iso(now)}, client=client
    )


def _update(
    organization_id: str, job_id: str, values: dict[str, Any], *, remove: Sequence[str] = (), client: Any = None
) -> None:
    client = client or clients.dynamodb()
    names = {f"#{name}": name for name in [*values, *remove]}
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in values)
    if remove:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in remove)
    try:
        client.update_item(
            TableName=environment().table_name,
            Key=_job_key(organization_id, job_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({f":{name}": value for name, value in values.items()}),
        )
    except ClientError as error:
        raise translate(error, conflict_message="the job is gone") from error


# --- mapping -------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _file_values(file: StoredFile) -> dict[str, Any]:
    return {"name": file.name, "key": file.key, "rows": file.rows, "bytes": file.bytes, "sha256": file.sha256}


def _job_values(job: ReportJob) -> dict[str, Any]:
    return {
        "entity": JOB_ENTITY,
        "organizationId": job.organization_id,
        "jobId": job.job_id,
        "requestedBy": job.requested_by,
        "requestedAt": _iso(job.requested_at),
        "from": job.first.isoformat(),
        "to": job.last.isoformat(),
        "units": list(job.units) if job.units is not None else None,
        "intervalMinutes": job.interval_minutes,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "files": [_file_values(f) for f in job.files],
        "error": job.error,
        "attempts": job.attempts,
        "updatedAt": _iso(job.updated_at or job.requested_at),
        "expiresAt": int((job.requested_at + JOB_TTL).timestamp()),
    }


def _job_from(values: dict[str, Any]) -> ReportJob:
    units = values.get("units")
    return ReportJob(
        organization_id=values["organizationId"],
        job_id=values["jobId"],
        requested_by=values["requestedBy"],
        requested_at=datetime.fromisoformat(values["requestedAt"]),
        first=date.fromisoformat(values["from"]),
        last=date.fromisoformat(values["to"]),
        units=tuple(units) if units is not None else None,
        interval_minutes=values.get("intervalMinutes"),
        state=values["state"],
        done=int(values.get("done", 0)),
        total=int(values.get("total", 0)),
        files=tuple(
            StoredFile(f["name"], f["key"], int(f["rows"]), int(f["bytes"]), f["sha256"])
            for f in values.get("files", [])
        ),
        error=values.get("error"),
        attempts=int(values.get("attempts", 0)),
        updated_at=datetime.fromisoformat(values["updatedAt"]) if values.get("updatedAt") else None,
    )
