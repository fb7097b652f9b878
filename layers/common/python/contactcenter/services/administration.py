"""Setting an organization up and changing it: read fresh, decide with the rules of
contactcenter/administration.py, write the change and its audit entry in one conditional transaction.

Versions: the client sends the version it read; a stale one is refused before anything is decided
(409 `stale_version`), and a change landing between this read and this write fails the transaction's
condition (409 `concurrent_change`). People are created in the identity directory first (it makes their
subject), then stored; a failed store leaves a user that a retried creation adopts (and only then
brings in line with the request).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from contactcenter import administration as rules
from contactcenter.administration import (
    AuditEntry,
    Command,
    IdentityKind,
    PersonChanges,
    PersonDraft,
    PersonRecord,
    RemoveQueue,
    Usage,
)
from contactcenter.agents import AgentState
from contactcenter.errors import Conflict, Invalid
from contactcenter.identity import IdentityDirectory, NewUser
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.store import agents as agent_store
from contactcenter.store import identities
from contactcenter.store import organizations as organization_store
from contactcenter.store.organizations import AgentProfile, SettingsRecord

# --- what tests and the demo use to set an organization up directly ------------------------------


def register_organization(settings: OrganizationSettings) -> None:
    organization_store.put_settings(settings, expected_version=None)


def register_person(person: Person, settings: OrganizationSettings) -> None:
    """Store the person; an agent also gets the item that carries their live state."""
    unknown = (set(person.units) | set(person.supervised_units)) - settings.unit_ids()
    if unknown:
        raise Invalid(f"unknown units {sorted(unknown)}", field="units", rule="unknown_unit")
    unknown_queues = sorted(q for q in person.queues if settings.queue(q) is None)
    if unknown_queues:
        raise Invalid(f"unknown queues {unknown_queues}", field="queues", rule="unknown_queue")
    organization_store.put_person(person)
    if rules.is_agent(person, settings):
        agent_store.create_profile(_profile(person))


# --- the organization and its settings -----------------------------------------------------------


def create_organization(settings: OrganizationSettings, *, actor_id: str, now: datetime) -> dict[str, Any]:
    """A new organization with its first settings (version 0), audited."""
    rules.check_settings(settings)
    settings = settings.model_copy(update={"version": 0})
    audit = rules.settings_audit(None, settings, action="organization.create", actor_id=actor_id, at=now)
    organization_store.put_settings(settings, expected_version=None, audit=audit)
    return rules.settings_view(settings)


def settings_of(organization_id: str) -> dict[str, Any]:
    return rules.settings_view(organization_store.read_settings(organization_id).settings)


def status_rules_of(organization_id: str) -> dict[str, Any]:
    return rules.status_rules_view(organization_store.read_settings(organization_id).settings)


def roles_of(organization_id: str) -> dict[str, Any]:
    return rules.roles_view(organization_store.read_settings(organization_id).settings)


def change_settings(
    organization_id: str, command: Command, *, expected_version: int, actor_id: str, now: datetime
) -> dict[str, Any]:
    record = organization_store.read_settings(organization_id)
    _require_version("the settings", record.settings.version, expected_version)
    after = rules.change(record.settings, command, _usage(organization_id, command))
    audit = rules.settings_audit(record.settings, after, action=command.action, actor_id=actor_id, at=now)
    organization_store.save_settings(record, after, audit)
    return rules.settings_view(after)


def _usage(organization_id: str, command: Command) -> Usage:
    if not command.needs_usage:
        return Usage()
    people = tuple(r.person for r in organization_store.list_person_records(organization_id) if not r.retired)
    logged_in: frozenset[str] = frozenset()
    if isinstance(command, RemoveQueue):
        agents, _ = agent_store.agents_in_queue(organization_id, command.queue_id, limit=1)
        logged_in = frozenset({command.queue_id}) if agents else frozenset()
    return Usage(people=people, logged_in_queues=logged_in)


# --- people --------------------------------------------------------------------------------------


def people_of(organization_id: str) -> dict[str, Any]:
    records = organization_store.list_person_records(organization_id)
    return {"people": [rules.person_view(r) for r in sorted(records, key=lambda r: r.person.user_id)]}


def person_of(organization_id: str, user_id: str) -> dict[str, Any]:
    return rules.person_view(organization_store.get_person_record(organization_id, user_id))


def create_person(
    organization_id: str,
    draft: PersonDraft,
    *,
    actor_id: str,
    now: datetime,
    directory: IdentityDirectory | None = None,
) -> dict[str, Any]:
    settings = organization_store.read_settings(organization_id)
    rules.check_person(draft.person(organization_id, "pending"), settings.settings)
    rules.check_human(draft.person(organization_id, "pending"))
    email = draft.email.strip().lower()
    directory = directory or identities.directory()
    created = directory.create_user(NewUser(organization_id, email, draft.display_name, draft.roles))
    record = PersonRecord(person=draft.person(organization_id, created.subject), version=1, email=email)
    view = _save_person(settings, None, record, action="person.create", actor_id=actor_id, now=now)
    if created.adopted:
        # Only now the person is stored: adopting someone who is a person already must not touch them.
        directory.update_user(organization_id, created.subject, display_name=draft.display_name, roles=draft.roles)
    return view


def create_integration(
    organization_id: str,
    name: str,
    *,
    actor_id: str,
    now: datetime,
    directory: IdentityDirectory | None = None,
) -> dict[str, Any]:
    """A machine client (router, ticketing) with the INTEGRATION role; its secret is returned once."""
    settings = organization_store.read_settings(organization_id)
    directory = directory or identities.directory()
    credentials = directory.create_client(organization_id, name)
    person = Person(
        organization_id=organization_id,
        user_id=credentials.client_id,
        display_name=name,
        roles=frozenset({"INTEGRATION"}),
    )
    rules.check_person(person, settings.settings)
    record = PersonRecord(person=person, version=1, kind=IdentityKind.CLIENT)
    view = _save_person(settings, None, record, action="integration.create", actor_id=actor_id, now=now)
    return view | {"credentials": {"clientId": credentials.client_id, "clientSecret": credentials.client_secret}}


def update_person(
    organization_id: str,
    user_id: str,
    changes: PersonChanges,
    *,
    expected_version: int,
    actor_id: str,
    now: datetime,
    directory: IdentityDirectory | None = None,
) -> dict[str, Any]:
    settings = organization_store.read_settings(organization_id)
    before = organization_store.get_person_record(organization_id, user_id)
    _require_version(f"person {user_id}", before.version, expected_version)
    person = changes.apply(before.person)
    rules.check_update(before, person, settings.settings, actor_id=actor_id)
    if before.kind is IdentityKind.USER:
        # Always, not only on a difference: a retry after a failed write brings the identity in line.
        (directory or identities.directory()).update_user(
            organization_id, user_id, display_name=person.display_name, roles=person.roles
        )
    after = replace(before, person=person, version=before.version + 1)
    return _save_person(settings, before, after, action="person.update", actor_id=actor_id, now=now)


def retire_person(
    organization_id: str,
    user_id: str,
    *,
    expected_version: int,
    actor_id: str,
    now: datetime,
    directory: IdentityDirectory | None = None,
) -> dict[str, Any]:
    """The person can no longer sign in; their item and history stay (reports and audits name them)."""
    settings = organization_store.read_settings(organization_id)
    before = organization_store.get_person_record(organization_id, user_id)
    _require_version(f"person {user_id}", before.version, expected_version)
    known = agent_store.get_state(organization_id, user_id)
    rules.check_retire(before, actor_id=actor_id, clocked_in=bool(known and known.state.clocked_in))
    directory = directory or identities.directory()
    if before.kind is IdentityKind.CLIENT:
        directory.revoke_client(organization_id, user_id)
    else:
        directory.disable_user(organization_id, user_id)
    after = replace(before, retired=True, version=before.version + 1)
    # The agent item leaves its units, so no unit's dashboard lists a retired agent; the person record
    # keeps them for reports and the audit trail.
    agent = None
    if known is not None:
        state = replace(known.state, unit_id=None, units=(), groups=(), assigned_queues=())
        agent = AgentProfile(state=state, revision=known.revision, changed_at=known.changed_at)
    return _save_person(settings, before, after, action="person.retire", actor_id=actor_id, now=now, agent=agent)


def _save_person(
    settings: SettingsRecord,
    before: PersonRecord | None,
    after: PersonRecord,
    *,
    action: str,
    actor_id: str,
    now: datetime,
    agent: AgentProfile | None = None,
) -> dict[str, Any]:
    audit: AuditEntry = rules.person_audit(before, after, action=action, actor_id=actor_id, at=now)
    if not after.retired:
        agent = _agent_profile(after.person, settings.settings, creating=before is None)
    organization_store.save_person(settings, before, after, audit, agent=agent)
    return rules.person_view(after)


def _agent_profile(person: Person, settings: OrganizationSettings, *, creating: bool) -> AgentProfile | None:
    """The agent item to write beside the person: created with them, or its profile brought in line."""
    if not rules.is_agent(person, settings):
        return None
    known = None if creating else agent_store.get_state(person.organization_id, person.user_id)
    if known is None:
        return AgentProfile(state=_profile(person))
    state = replace(
        known.state,
        display_name=person.display_name,
        units=person.units,
        groups=person.groups,
        assigned_queues=person.queues,
    )
    if state == known.state:
        return None
    return AgentProfile(state=state, revision=known.revision, changed_at=known.changed_at)


def _profile(person: Person) -> AgentState:
    return AgentState(
        organization_id=person.organization_id,
        agent_id=person.user_id,
        display_name=person.display_name,
        units=person.units,
        groups=person.groups,
        assigned_queues=person.queues,
    )


# --- audit ---------------------------------------------------------------------------------------


def audit_trail(organization_id: str, *, limit: int, cursor: str | None = None) -> dict[str, Any]:
    entries, next_cursor = organization_store.audit_page(organization_id, limit=limit, cursor=cursor)
    return {"entries": entries, "cursor": next_cursor}


def _require_version(what: str, current: int, expected: int) -> None:
    if current != expected:
        raise Conflict(
            f"{what} changed: version {current}, not {expected}; reload and retry",
            field="If-Match",
            rule="stale_version",
        )
