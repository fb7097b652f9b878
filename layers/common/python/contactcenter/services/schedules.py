"""Schedules and approved adherence exceptions: imported (JSON or CSV: every bad row reported, the good
ones applied), replaced and deleted per agent-day with a version, audited; each change recomputes the
live adherence of the agents it touches at once (when it is about today)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from contactcenter.access import Permission, Principal, may_supervise
from contactcenter.administration import AuditEntry
from contactcenter.agents import local_day
from contactcenter.attendance import day_of, parse_date
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.schedules import (
    ActivityDraft,
    AgentSchedule,
    ApprovedException,
    ImportPlan,
    ImportRow,
    build_schedule,
    csv_rows,
    exception_view,
    parse_moment,
    plan_import,
    schedule_view,
)
from contactcenter.services import adherence as live_adherence
from contactcenter.store import agents as agent_store
from contactcenter.store import organizations as organization_store
from contactcenter.store import schedules as schedule_store

MAX_NOTE = 500


def _agents(organization_id: str) -> frozenset[str]:
    return frozenset(p.user_id for p in organization_store.list_people(organization_id) if p.units)


def _today(organization_id: str, now: datetime) -> date:
    return date.fromisoformat(local_day(now, organization_store.get_settings(organization_id)))


def _recompute_today(organization_id: str, schedules: Sequence[AgentSchedule], *, now: datetime) -> int:
    today = _today(organization_id, now)
    agents = [s.agent_id for s in schedules if s.date == today]
    if not agents:
        return 0
    return live_adherence.recompute(organization_id, agent_ids=agents, now=now).changed


# --- imports -------------------------------------------------------------------------------------


def import_rows(
    principal: Principal, rows: Sequence[ImportRow], problems: Sequence[Any] = (), *, now: datetime, source: str
) -> dict[str, Any]:
    organization_id = principal.organization_id
    settings = organization_store.get_settings(organization_id)
    plan: ImportPlan = plan_import(
        rows, settings.zone, known_agents=_agents(organization_id), today=_today(organization_id, now)
    )
    reported = sorted([*problems, *plan.problems], key=lambda p: p.row)
    if plan.schedules:
        audit = AuditEntry(
            organization_id=organization_id,
            at=now,
            actor_id=principal.user_id,
            action=f"schedule.import.{source}",
            target="schedules",
            version=0,
            after={
                "agentDays": len(plan.schedules),
                "rowsApplied": plan.rows_applied,
                "rowsRefused": len(reported),
                "dates": sorted({s.date.isoformat() for s in plan.schedules}),
            },
        )
        schedule_store.import_schedules(organization_id, plan.schedules, audit)
        _recompute_today(organization_id, plan.schedules, now=now)
    return {
        "agentDays": len(plan.schedules),
        "rowsApplied": plan.rows_applied,
        "rowsRefused": len(reported),
        "problems": [p.view() for p in reported],
    }


def import_json(principal: Principal, schedules: Sequence[dict[str, Any]], *, now: datetime) -> dict[str, Any]:
    """`schedules`: [{agentId, date, activities: [{kind, start, end}]}]; rows are numbered by activity, in
    order, from 1 (an agent-day with no activities clears that day)."""
    rows: list[ImportRow] = []
    number = 0
    for day in schedules:
        for activity in day.get("activities") or []:
            number += 1
            rows.append(
                ImportRow(number, day["agentId"], day["date"], activity["kind"], activity["start"], activity["end"])
            )
    return import_rows(principal, rows, now=now, source="json")


def import_csv(principal: Principal, text: str, *, now: datetime) -> dict[str, Any]:
    rows, problems = csv_rows(text)
    return import_rows(principal, rows, problems, now=now, source="csv")


# --- one agent-day -------------------------------------------------------------------------------


def _require_agent(organization_id: str, agent_id: str) -> None:
    if agent_id not in _agents(organization_id):
        raise NotFound(f"no agent {agent_id!r} in this organization", field="agentId", rule="unknown_agent")


def schedule_of(principal: Principal, agent_id: str, day_text: str) -> dict[str, Any]:
    day = parse_date(day_text, field="date")
    settings = organization_store.get_settings(principal.organization_id)
    schedule, exceptions = schedule_store.agent_plan(principal.organization_id, agent_id, day)
    schedule = schedule_store.require_schedule(schedule, agent_id, day)
    return schedule_view(schedule, settings.zone) | {
        "exceptions": [exception_view(e, settings.zone) for e in exceptions]
    }


def replace_schedule(
    principal: Principal,
    agent_id: str,
    day_text: str,
    drafts: Sequence[ActivityDraft],
    *,
    expected_version: int,
    now: datetime,
) -> dict[str, Any]:
    """Replace one agent-day (version 0: create it)."""
    organization_id = principal.organization_id
    day = parse_date(day_text, field="date")
    _require_agent(organization_id, agent_id)
    settings = organization_store.get_settings(organization_id)
    schedule = build_schedule(agent_id, day, drafts, settings.zone)
    before = schedule_store.get_schedule(organization_id, agent_id, day)
    audit = AuditEntry(
        organization_id=organization_id,
        at=now,
        actor_id=principal.user_id,
        action="schedule.replace",
        target=f"schedule/{agent_id}/{day.isoformat()}",
        version=expected_version + 1,
        before=schedule_view(before, settings.zone) if before else None,
        after=schedule_view(schedule, settings.zone),
    )
    schedule_store.save_schedule(organization_id, schedule, audit, expected_version=expected_version)
    _recompute_today(organization_id, [schedule], now=now)
    saved = schedule_store.get_schedule(organization_id, agent_id, day)
    return schedule_view(saved or schedule, settings.zone)


def delete_schedule(
    principal: Principal, agent_id: str, day_text: str, *, expected_version: int, now: datetime
) -> dict[str, Any]:
    organization_id = principal.organization_id
    day = parse_date(day_text, field="date")
    settings = organization_store.get_settings(organization_id)
    before = schedule_store.require_schedule(schedule_store.get_schedule(organization_id, agent_id, day), agent_id, day)
    audit = AuditEntry(
        organization_id=organization_id,
        at=now,
        actor_id=principal.user_id,
        action="schedule.delete",
        target=f"schedule/{agent_id}/{day.isoformat()}",
        version=expected_version,
        before=schedule_view(before, settings.zone),
    )
    schedule_store.delete_schedule(organization_id, agent_id, day, audit, expected_version=expected_version)
    _recompute_today(organization_id, [before], now=now)
    return {"agentId": agent_id, "date": day.isoformat(), "deleted": True}


# --- approved exceptions -------------------------------------------------------------------------


def approve_exception(
    principal: Principal, agent_id: str, *, start: str, end: str, note: str, now: datetime
) -> dict[str, Any]:
    """A supervisor of the agent's unit approves time as adherent (a coaching, a system outage), with a note."""
    organization_id = principal.organization_id
    known = agent_store.get_state(organization_id, agent_id)
    if known is None:
        raise NotFound(f"no agent {agent_id!r} in this organization", field="agentId", rule="unknown_agent")
    supervised = (
        organization_store.get_settings(organization_id).unit_ids()
        if principal.has(Permission.ADMINISTRATION)
        else organization_store.get_person(organization_id, principal.user_id, cached=True).supervised_units
    )
    if not may_supervise(principal, supervised, known.state.units):
        raise Forbidden("you do not supervise this agent's units", field="agentId", rule="agent_not_supervised")
    if not note.strip():
        raise Invalid("an exception needs a note saying why", field="note", rule="note_required")
    settings = organization_store.get_settings(organization_id)
    zone = settings.zone
    start_at = _instant(start, "start")
    day = datetime.fromtimestamp(start_at, zone).date()
    local = day_of(day, zone)
    end_at = parse_moment(end, local, zone, field_name="end")
    if end_at <= start_at:
        raise Invalid("the exception ends before it starts", field="end", rule="exception_order")
    if end_at > local.end:
        raise Invalid("an exception lies within one local day", field="end", rule="exception_outside_day")
    exception = ApprovedException(
        exception_id=uuid.uuid4().hex[:16],
        agent_id=agent_id,
        start=start_at,
        end=end_at,
        note=note.strip()[:MAX_NOTE],
        approved_by=principal.user_id,
        approved_at=now,
    )
    view = exception_view(exception, zone)
    audit = AuditEntry(
        organization_id=organization_id,
        at=now,
        actor_id=principal.user_id,
        action="adherence_exception.approve",
        target=f"schedule/{agent_id}/{day.isoformat()}",
        version=0,
        after=view,
    )
    try:
        schedule_store.save_exception(organization_id, day, exception, audit)
    except Conflict:
        raise
    if day == _today(organization_id, now):
        live_adherence.recompute(organization_id, states=[known.state], now=now)
    return view


def _instant(text: str, field_name: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{field_name} must be an ISO 8601 time with an offset", field=field_name, rule="time_format"
        ) from None
    if moment.tzinfo is None:
        raise Invalid(f"{field_name} needs an offset", field=field_name, rule="time_format")
    return int(moment.timestamp())


# --- reads for supervisors ------------------------------------------------------------------------


def unit_adherence(principal: Principal, unit_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
    organization_id = principal.organization_id
    settings = organization_store.get_settings(organization_id)
    if unit_id not in settings.unit_ids():
        raise NotFound(f"no unit {unit_id!r}", field="unitId", rule="unknown_unit")
    supervised = (
        settings.unit_ids()
        if principal.has(Permission.ADMINISTRATION)
        else organization_store.get_person(organization_id, principal.user_id, cached=True).supervised_units
    )
    if unit_id not in supervised:
        raise Forbidden("you do not supervise this unit", field="unitId", rule="unit_not_supervised")
    states, next_cursor = agent_store.agents_of_unit(organization_id, unit_id, limit=limit, cursor=cursor)
    views = live_adherence.stored_views(organization_id, [s.agent_id for s in states])
    return {
        "unitId": unit_id,
        "agents": [
            {"agentId": s.agent_id, "displayName": s.display_name, "adherence": views.get(s.agent_id)} for s in states
        ],
        "nextCursor": next_cursor,
    }
