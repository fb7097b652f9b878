"""Attendance reports: the daily files every organization gets once its local day is over, and reports
asked for on demand (a job: the request stores it, the table's stream runs it, the caller polls it).

One compilation, agent by agent: each agent's history for the period is read (newest first, back to
the state at its start) by a pool of threads, computed (attendance, sessions, supervisor actions,
intervals) and dropped, so memory holds one agent's history per thread plus the rows. See docs/reports.md.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter.access import Permission, Principal
from contactcenter.attendance import (
    AgentHistory,
    Day,
    SupervisorAction,
    checked_period,
    day_of,
    days_between,
    epoch_ms,
    last_compilable_day,
    local_date,
    parse_date,
)
from contactcenter.environment import environment
from contactcenter.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Retryable
from contactcenter.intervals import checked_minutes
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.report_files import (
    MANIFEST,
    AgentFacts,
    AgentPlan,
    AgentReport,
    Compilation,
    Labels,
    LoggedAction,
    ManifestFacts,
    Plans,
    ReportFile,
    agent_report,
    compiled_at,
    manifest_file,
    month_days,
    month_file,
    readme_file,
)
from contactcenter.store import agents as agent_store
from contactcenter.store import events
from contactcenter.store import organizations as organization_store
from contactcenter.store import reports as report_store
from contactcenter.store import schedules as schedule_store
from contactcenter.store import supervision as supervision_store
from contactcenter.store.items import TRANSIENT_ERRORS
from contactcenter.store.reports import JobState, ReportJob

logger = logging.getLogger(__name__)

MONTHLY = "monthly"  # the monthly schedule's detail: {"report": "monthly"}
REPORT_READY = "Report Ready"
EVENT_SOURCE = "contactcenter.reports"
MAX_JOB_DAYS = 92
MAX_INTERVAL_DAYS = 7
# Interval rows come to ~75 per agent and day at 15 minutes (~7.5 KB of CSV), held in memory until written:
# 20,000 agent-days (10,000 agents for two days, a unit of 600 for a month) is ~150 MB.
MAX_INTERVAL_AGENT_DAYS = 20_000
MAX_LIST_DAYS = 92
JOB_LOOKBACK_DAYS = 100  # older days are read from the daily files (history is read newest first)
CATCH_UP_DAYS = 2  # a run also compiles the day before the last one if that one was missed
COMPILE_RESERVE_MS = 120_000  # a scheduled run starts no compilation with less time than this left
READ_WORKERS = 10  # concurrent history queries: botocore's connection pool holds 10 (clients are thread-safe)
PROGRESS_STEPS = 10
# AWS throttled, timed out or could not be reached: the work is left for the next run or delivery.
_TRY_AGAIN: tuple[type[Exception], ...] = (Retryable, *TRANSIENT_ERRORS)


# --- compilation ---------------------------------------------------------------------------------


def _compile(
    settings: OrganizationSettings,
    people: Sequence[Person],
    days: Sequence[Day],
    *,
    until: int | None = None,
    interval_minutes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    everyone: Sequence[Person] | None = None,
    plans: Plans | None = None,
) -> Compilation:
    """The compiled rows for these agents and days, cut at `until` (epoch seconds) when given; `everyone`
    (the organization's people, supervisors included) names the supervisors."""
    zone = settings.zone
    end = days[-1].end if until is None else min(days[-1].end, until)
    start_at, end_at = datetime.fromtimestamp(days[0].start, UTC), datetime.fromtimestamp(end, UTC)
    organization_id = settings.organization_id

    labels = labels_of(settings, everyone if everyone is not None else people)

    def one_agent(person: Person) -> AgentReport:
        entries = agent_store.history_between(organization_id, person.user_id, start=start_at, end=end_at)
        history = AgentHistory(
            person.user_id,
            person.display_name,
            entries,
            employee_number=person.employee_number,
            unit_id=person.units[0] if person.units else None,
        )
        return agent_report(
            history, days, zone, labels=labels, until=until, interval_minutes=interval_minutes, plans=plans
        )

    compilation = Compilation(
        zone,
        [reason.code for reason in settings.unavailable_reasons],
        labels=labels,
        interval_minutes=interval_minutes,
        adherence=plans is not None,
    )
    step = max(1, len(people) // PROGRESS_STEPS)
    pool = ThreadPoolExecutor(max_workers=READ_WORKERS)
    try:
        # map() hands results back in the people's order, whichever thread finishes first.
        for done, report in enumerate(pool.map(one_agent, people), start=1):
            compilation.add(report)
            if progress is not None and (done % step == 0 or done == len(people)):
                progress(done, len(people))
    finally:
        pool.shutdown(cancel_futures=True)  # after a failure, the agents not yet read are not read
    compilation.add_actions(_logged_actions(organization_id, people, days, end))
    return compilation


def labels_of(settings: OrganizationSettings, people: Sequence[Person]) -> Labels:
    return Labels(
        units={unit.unit_id: unit.name for unit in settings.units},
        people={person.user_id: person.display_name for person in people},
        unavailable_reasons={reason.code: reason.label for reason in settings.unavailable_reasons},
        clock_out_reasons={reason.code: reason.label for reason in settings.clock_out_reasons},
    )


def _logged_actions(
    organization_id: str, people: Sequence[Person], days: Sequence[Day], end: int
) -> list[LoggedAction]:
    """Monitoring sessions and messages, kept apart from agents' history (a `listen` is never pushed)."""
    agents = {
        person.user_id: AgentFacts(
            person.user_id, person.display_name, person.employee_number, person.units[0] if person.units else None
        )
        for person in people
    }
    names = {user_id: agent.agent_name for user_id, agent in agents.items()}
    actions: list[LoggedAction] = []
    for day in days:
        for row in supervision_store.actions_of_day(organization_id, day.date.isoformat()):
            at = int(datetime.fromisoformat(row["at"]).timestamp())
            if row["agentId"] not in names or not day.start <= at < min(day.end, end):
                continue
            action = SupervisorAction(
                date=day.date,
                at=at,
                supervisor_id=row["supervisorId"],
                agent_id=row["agentId"],
                agent_name=names[row["agentId"]],
                sequence=0,
                kind="supervision",
                action=row["action"],
                from_status="",
                to_status="",
                reason=row.get("reason") or None,
                note=row.get("detail") or None,
                detail=(),
            )
            actions.append(LoggedAction(action, agents[row["agentId"]]))
    return actions


def _agents(people: Sequence[Person], units: Sequence[str] | None) -> list[Person]:
    """People who can clock in (they work in a unit), in the scope's units, by id."""
    wanted = set(units) if units is not None else None
    return sorted(
        (p for p in people if p.units and (wanted is None or wanted & set(p.units))),
        key=lambda p: p.user_id,
    )


def _publish(
    prefix: str, facts: ManifestFacts, files: list[ReportFile], *, now: datetime
) -> list[report_store.StoredFile]:
    files = [*files, readme_file(facts, files)]
    previous = report_store.read_object(prefix + MANIFEST)
    when = compiled_at(previous, files, now=now)
    manifest = manifest_file(facts, files, compiled_at=when)
    stored = report_store.publish(prefix, files, manifest)
    _announce(prefix, facts, stored, compiled=when)
    return stored


def _announce(
    prefix: str, facts: ManifestFacts, stored: Sequence[report_store.StoredFile], *, compiled: datetime
) -> None:
    """The "Report Ready" event: finance's systems fetch the files when told, instead of polling."""
    detail: dict[str, Any] = {
        "organizationId": facts.organization_id,
        "kind": facts.kind,
        "period": {"from": facts.first.isoformat(), "to": facts.last.isoformat()},
        "timeZone": facts.time_zone,
        "bucket": report_store.bucket_name(),
        "prefix": prefix,
        "manifest": prefix + MANIFEST,
        "files": [f.name for f in stored],
        "compiledAt": compiled.astimezone(UTC).isoformat(timespec="milliseconds"),
    }
    if facts.job_id is not None:
        detail["jobId"] = facts.job_id
    try:
        events.publish(REPORT_READY, detail, source=EVENT_SOURCE)
    except _TRY_AGAIN:
        # The files and their manifest are the record; the event is a notice. Logged, not retried: a
        # retry would find the day compiled and never announce it either.
        logger.warning("report ready event not published", extra={"prefix": prefix})


# --- daily files ---------------------------------------------------------------------------------


def compile_day(organization_id: str, day: date, *, now: datetime) -> list[report_store.StoredFile]:
    """Compile (or compile again) one organization's daily files; the same history gives the same bytes."""
    settings = organization_store.get_settings(organization_id)
    local = day_of(day, settings.zone)
    everyone = organization_store.list_people(organization_id)
    plans = _plans(organization_id, settings, day)
    files = _compile(settings, _agents(everyone, None), [local], everyone=everyone, plans=plans).files()
    facts = ManifestFacts(organization_id, "daily", day, day, local.start, local.end, settings.time_zone, None)
    return _publish(report_store.daily_prefix(organization_id, day), facts, files, now=now)


def _plans(organization_id: str, settings: OrganizationSettings, day: date) -> Plans:
    """The day's schedules and approved exceptions as they stand when the files are compiled."""
    plan = schedule_store.day_plan(organization_id, day)
    agents = {
        agent_id: AgentPlan(schedule.activities, [(e.start, e.end) for e in plan.exceptions.get(agent_id, [])])
        for agent_id, schedule in plan.schedules.items()
    }
    return Plans(settings.adherence, {day: agents})


# --- monthly rollup ------------------------------------------------------------------------------


def compile_month(organization_id: str, month: date, *, now: datetime) -> list[report_store.StoredFile]:
    """Compile (or compile again) one organization's monthly rollup: each agent's month from history,
    summed from the same per-day figures as the daily files."""
    settings = organization_store.get_settings(organization_id)
    first, last = month_days(month)
    days = days_between(first, last, settings.zone)
    everyone = organization_store.list_people(organization_id)
    compilation = _compile(settings, _agents(everyone, None), days, everyone=everyone)
    files = month_file(
        compilation.days(),
        first,
        last,
        [reason.code for reason in settings.unavailable_reasons],
        compilation.labels,
    )
    facts = ManifestFacts(
        organization_id, "monthly", first, last, days[0].start, days[-1].end, settings.time_zone, None
    )
    return _publish(report_store.monthly_prefix(organization_id, first), facts, files, now=now)


def last_compilable_month(now: datetime, zone: ZoneInfo) -> date:
    """The first day of the latest local month that has been over for the compile grace at `now`."""
    following = last_compilable_day(now, zone) + timedelta(days=1)  # the first day not yet compilable
    return (following.replace(day=1) - timedelta(days=1)).replace(day=1)


@dataclass
class CompileRun:
    compiled: list[tuple[str, str]] = field(default_factory=list)  # (organization, day)
    skipped: int = 0
    deferred: list[tuple[str, str]] = field(default_factory=list)  # left for the next run (time)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "compiled": [{"organizationId": o, "date": d} for o, d in self.compiled],
            "skipped": self.skipped,
            "deferred": [{"organizationId": o, "date": d} for o, d in self.deferred],
            "failed": [{"organizationId": o, "date": d} for o, d in self.failed],
        }


def compile_due(now: datetime, *, time_left_ms: Callable[[], int] | None = None) -> CompileRun:
    """Each organization's last ended day (and the one before, if missed) that has no manifest yet."""
    run = CompileRun()
    for organization_id, zone in _organizations_and_zones(run):
        last = last_compilable_day(now, zone)
        for day in (last - timedelta(days=back) for back in reversed(range(CATCH_UP_DAYS))):
            _compile_missing(
                run,
                (organization_id, day.isoformat()),
                report_store.daily_prefix(organization_id, day),
                partial(compile_day, organization_id, day, now=now),
                time_left_ms,
            )
    return run


def compile_due_months(now: datetime, *, time_left_ms: Callable[[], int] | None = None) -> CompileRun:
    """Each organization's last ended month that has no manifest yet (the monthly schedule runs hourly
    around month ends: the month ends at a different hour in each time zone)."""
    run = CompileRun()
    for organization_id, zone in _organizations_and_zones(run):
        month = last_compilable_month(now, zone)
        _compile_missing(
            run,
            (organization_id, f"{month:%Y-%m}"),
            report_store.monthly_prefix(organization_id, month),
            partial(compile_month, organization_id, month, now=now),
            time_left_ms,
        )
    return run


def _organizations_and_zones(run: CompileRun) -> Iterator[tuple[str, ZoneInfo]]:
    """Every organization with its zone; one whose zone cannot be read is failed, and the others go on."""
    for organization_id, time_zone in organization_store.list_organizations():
        try:
            zone = ZoneInfo(time_zone)
        except Exception:  # one organization's failure must not stop the others' payroll files
            logger.exception("scheduled compilation failed", extra={"organizationId": organization_id})
            run.failed.append((organization_id, ""))
            continue
        yield organization_id, zone


def _compile_missing(
    run: CompileRun,
    label: tuple[str, str],
    prefix: str,
    compile_it: Callable[[], object],
    time_left_ms: Callable[[], int] | None,
) -> None:
    try:
        if report_store.manifest_exists(prefix):
            run.skipped += 1
            return
        if time_left_ms is not None and time_left_ms() < COMPILE_RESERVE_MS:
            run.deferred.append(label)
            return
        compile_it()
    except _TRY_AGAIN:
        run.deferred.append(label)
        return
    except Exception:  # one organization's failure must not stop the others' payroll files
        logger.exception("scheduled compilation failed", extra={"organizationId": label[0], "period": label[1]})
        run.failed.append(label)
        return
    run.compiled.append(label)


def on_schedule(
    now: datetime, detail: Mapping[str, Any], *, time_left_ms: Callable[[], int] | None = None
) -> CompileRun:
    """The hourly runs (the daily files; `{"report": "monthly"}`: the monthly rollups). A `detail` naming an
    organization and a date or a month (an operator's one-off schedule or invocation, after a correction)
    compiles that day or month again instead."""
    monthly = detail.get("report") == MONTHLY
    if not detail.get("organizationId"):
        return (compile_due_months if monthly else compile_due)(now, time_left_ms=time_left_ms)
    organization_id = str(detail["organizationId"])
    zone = organization_store.get_settings(organization_id).zone
    if monthly or "month" in detail:
        month = parse_month(detail.get("month"))
        if month > last_compilable_month(now, zone):
            raise Invalid("that month is not over yet", field="month", rule="month_not_over")
        compile_month(organization_id, month, now=now)
        return CompileRun(compiled=[(organization_id, f"{month:%Y-%m}")])
    day = parse_date(detail.get("date"), field="date")
    if day > last_compilable_day(now, zone):
        raise Invalid("that day is not over yet", field="date", rule="day_not_over")
    compile_day(organization_id, day, now=now)
    return CompileRun(compiled=[(organization_id, day.isoformat())])


def parse_month(text: object) -> date:
    """A month written YYYY-MM, as its first day, or Invalid naming the field."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        raise Invalid("month must be written YYYY-MM", field="month", rule="month_format")
    return parse_date(text + "-01", field="month")


# --- on-demand jobs ------------------------------------------------------------------------------


def _scope(principal: Principal, settings: OrganizationSettings, unit_id: str | None) -> tuple[str, ...] | None:
    """Units the report covers (None: the whole organization), or why the caller may not ask for it."""
    if unit_id is not None and unit_id not in settings.unit_ids():
        raise Invalid(f"unknown unit {unit_id!r}", field="unitId", rule="unknown_unit")
    if principal.has(Permission.REPORTS_READ):  # finance and administrators see the whole organization
        return (unit_id,) if unit_id else None
    try:
        person = organization_store.get_person(principal.organization_id, principal.user_id)
    except NotFound as error:
        raise Forbidden("you supervise no unit", field="unitId", rule="unit_not_supervised") from error
    if unit_id is not None:
        if not person.supervises(unit_id):
            raise Forbidden(f"you do not supervise {unit_id!r}", field="unitId", rule="unit_not_supervised")
        return (unit_id,)
    if not person.supervised_units:
        raise Forbidden("you supervise no unit", field="unitId", rule="unit_not_supervised")
    return tuple(sorted(person.supervised_units))


def _job_id(principal: Principal, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    seed = f"{principal.organization_id}\n{principal.user_id}\n{idempotency_key}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def request_job(
    principal: Principal,
    *,
    first: date,
    last: date,
    unit_id: str | None,
    interval_minutes: int | None,
    now: datetime,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Store the job (its stream record starts the work) and answer its id; a retry with the same
    idempotency key gets the same job."""
    settings = organization_store.get_settings(principal.organization_id)
    if interval_minutes is not None:
        checked_minutes(interval_minutes)
    today = local_date(now, settings.zone)
    checked_period(
        first,
        last,
        today=today,
        max_days=MAX_INTERVAL_DAYS if interval_minutes else MAX_JOB_DAYS,
        oldest=today - timedelta(days=JOB_LOOKBACK_DAYS),
    )
    units = _scope(principal, settings, unit_id)
    job = ReportJob(
        organization_id=principal.organization_id,
        job_id=_job_id(principal, idempotency_key),
        requested_by=principal.user_id,
        requested_at=now,
        first=first,
        last=last,
        units=units,
        interval_minutes=interval_minutes,
    )
    try:
        report_store.create_job(job)
    except Conflict:
        existing = report_store.get_job(job.organization_id, job.job_id)
        if existing is None or _request_of(existing) != _request_of(job):
            raise Conflict(
                "this Idempotency-Key was used for another report request",
                field="Idempotency-Key",
                rule="idempotency_key_reused",
            ) from None
        job = existing
    return _job_view(job, links=False)


def _request_of(job: ReportJob) -> tuple[object, ...]:
    return (job.requested_by, job.first, job.last, job.units, job.interval_minutes)


def job_status(principal: Principal, job_id: str) -> dict[str, Any]:
    """The job's progress, and download links once it is done. Others' jobs are visible to those who
    read the organization's reports; to anyone else they do not exist."""
    job = report_store.get_job(principal.organization_id, job_id)
    if job is None or (job.requested_by != principal.user_id and not principal.has(Permission.REPORTS_READ)):
        raise NotFound("no such report job", field="jobId", rule="unknown_job")
    return _job_view(job, links=True)


def _job_view(job: ReportJob, *, links: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "jobId": job.job_id,
        "state": job.state,
        "period": {"from": job.first.isoformat(), "to": job.last.isoformat()},
        "unitIds": list(job.units) if job.units is not None else None,
        "intervalMinutes": job.interval_minutes,
        "requestedBy": job.requested_by,
        "requestedAt": job.requested_at.isoformat(timespec="milliseconds"),
        "progress": {
            "agentsDone": job.done,
            "agentsTotal": job.total,
            "percent": 100 if job.state == JobState.DONE else (job.done * 100 // job.total if job.total else 0),
        },
    }
    if job.error:
        view["error"] = job.error
    if links and job.state == JobState.DONE:
        view["expiresInSeconds"] = environment().report_link_seconds
        view["files"] = [
            {
                "name": f.name,
                "rows": f.rows,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "url": report_store.download_link(f.key, expires_seconds=environment().report_link_seconds),
            }
            for f in job.files
        ]
    return view


def run_job(organization_id: str, job_id: str, *, now: datetime) -> None:
    """Compile a job's files (the stream consumer calls this once per new job). A retried run compiles
    the same files again; a job that is done is left alone."""
    job = report_store.start_job(organization_id, job_id, now=now)
    if job is None:
        return
    try:
        settings = organization_store.get_settings(organization_id)
        days = days_between(job.first, job.last, settings.zone)
        # Cut at the end of the second the job was asked for in: reports count whole seconds, and a
        # change made earlier in that second (a clock-out just before asking) belongs in it.
        until = epoch_ms(job.requested_at) // 1000 + 1
        everyone = organization_store.list_people(organization_id)
        people = _agents(everyone, job.units)
        if job.interval_minutes and len(people) * len(days) > MAX_INTERVAL_AGENT_DAYS:
            raise Invalid(
                f"an interval report covers at most {MAX_INTERVAL_AGENT_DAYS} agent-days; this one would cover "
                f"{len(people) * len(days)}: ask for one unit or fewer days",
                field="intervalMinutes",
                rule="report_too_large",
            )

        def progress(done: int, total: int) -> None:
            report_store.record_progress(organization_id, job_id, done=done, total=total, now=now)

        progress(0, len(people))
        compilation = _compile(
            settings,
            people,
            days,
            until=until,
            interval_minutes=job.interval_minutes,
            progress=progress,
            everyone=everyone,
        )
        files = compilation.files()
        if len(days) > 1:  # the period per agent beside the days
            reasons = [reason.code for reason in settings.unavailable_reasons]
            files += month_file(compilation.days(), job.first, job.last, reasons, compilation.labels)
        facts = ManifestFacts(
            organization_id,
            "on_demand",
            job.first,
            job.last,
            days[0].start,
            min(days[-1].end, until),
            settings.time_zone,
            job.units,
            job.interval_minutes,
            job.job_id,
        )
        stored = _publish(report_store.job_prefix(organization_id, job_id), facts, files, now=now)
    except _TRY_AGAIN:
        raise  # throttled or timed out: the stream delivers the record again and the run starts over
    except DomainError as error:
        report_store.fail_job(organization_id, job_id, error.message, now=now)
        return
    except Exception as error:
        report_store.fail_job(
            organization_id, job_id, f"the report could not be compiled ({type(error).__name__})", now=now
        )
        raise  # retried by the stream, then kept in the on-failure destination for inspection
    report_store.finish_job(organization_id, job_id, stored, now=now)


# --- listing for finance -------------------------------------------------------------------------


def list_files(principal: Principal, first_text: str | None, last_text: str | None, *, now: datetime) -> dict[str, Any]:
    """The daily report folders of a period and the monthly rollups of its months, each file with a
    presigned download link."""
    first = parse_date(first_text, field="from")
    last = parse_date(last_text, field="to")
    settings = organization_store.get_settings(principal.organization_id)
    checked_period(first, last, today=local_date(now, settings.zone), max_days=MAX_LIST_DAYS)
    folders = report_store.daily_folders(principal.organization_id, first, last)
    months = report_store.monthly_folders(principal.organization_id, first, last)
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "timeZone": settings.time_zone,
        "expiresInSeconds": environment().report_link_seconds,
        "days": [{"date": folder.day.isoformat(), "files": _links(folder)} for folder in folders],
        # The monthly rollups of the months the period touches.
        "months": [{"month": f"{folder.day:%Y-%m}", "files": _links(folder)} for folder in months],
    }


def _links(folder: report_store.DailyFolder) -> list[dict[str, Any]]:
    seconds = environment().report_link_seconds
    return [
        {"name": f.name, "bytes": f.bytes, "url": report_store.download_link(f.key, expires_seconds=seconds)}
        for f in folder.files
    ]
