"""Who calls: a caller of every built-in role in three organizations of the local stack (and the platform
operator, the demo's olga, who belongs to none).

- demo (the stack's demo data): ada ADMIN, sofia SUPERVISOR of sales, alice AGENT in sales, fabio FINANCE;
  created here through the admin API: a UNIT_MANAGER of sales only (ugo manages both units, so he has no
  "other unit") and an INTEGRATION client. marco (SUPERVISOR of support) creates what belongs to the other unit.
- globex: a second organization, whose callers try demo's ids. The admin API has no route that creates an
  organization, so its settings are stored by the admin service in a subprocess (as local/demo.py seeds
  demo); its people are then created through the admin API by a founding administrator.
- initech: the organization the contract fuzzing may change at will, so that demo and globex stay as the
  authorization matrix expects them.

Tokens come from the local issuer (`/_local/tokens`): a created person's token is a demo user's with every
identity claim replaced (sub, username, email, name, organization, groups), as the issuer mints for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.conftest import ROOT, LocalStack

ROLES = ("ADMIN", "SUPERVISOR", "UNIT_MANAGER", "AGENT", "FINANCE", "INTEGRATION", "OPERATOR")
# The platform operator belongs to no organization: the same caller stands in every tenant.

BASE_USER = "ada"  # the issuer's user whose token a created person's is made from (every claim replaced)

# Stores an organization's first settings with the admin service, as local/demo.py does for demo.
_SEED_ORGANIZATION = """
import json, sys
from contactcenter.edge.clock import utc_now
from contactcenter.organization import OrganizationSettings
from contactcenter.people import Person
from contactcenter.services.administration import create_organization, register_person
settings = OrganizationSettings.model_validate(json.loads(sys.argv[1]))
create_organization(settings, actor_id="security-tests", now=utc_now())
founder = Person(organization_id=settings.organization_id, user_id=sys.argv[2], display_name="Founder",
                 roles=frozenset({"ADMIN"}))
register_person(founder, settings)
"""


@dataclass(frozen=True)
class Caller:
    role: str
    organization_id: str
    user_id: str
    username: str  # the issuer's user the token is minted for
    claims: Mapping[str, Any] = field(default_factory=dict)  # claims replacing that user's

    def token(self, stack: LocalStack, *, expires_in: int | None = None, **claims: Any) -> str:
        return stack.mint(self.username, expires_in=expires_in, claims={**self.claims, **claims})


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    callers: Mapping[str, Caller]  # one per built-in role

    def __getitem__(self, role: str) -> Caller:
        return self.callers[role]


@dataclass(frozen=True)
class Tenants:
    demo: Tenant
    globex: Tenant
    fuzzing: Tenant
    marco: Caller  # SUPERVISOR of demo's other unit (support): owns what belongs to it


def person_claims(organization_id: str, user_id: str, email: str, name: str, role: str) -> dict[str, Any]:
    return {
        "sub": user_id,
        "cognito:username": email,
        "email": email,
        "name": name,
        "custom:organization": organization_id,
        "cognito:groups": [role],
    }


def seed_organization(stack: LocalStack, settings: Mapping[str, Any], founder_id: str) -> None:
    """Store a new organization's settings and its founding administrator's record in the stack's table
    (a subprocess: its AWS setup stays its own)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment |= {
        "AWS_ENDPOINT_URL": stack.moto_url,
        "AWS_DEFAULT_REGION": str(stack.endpoints["region"]),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "TABLE_NAME": stack.table_name,
    }
    subprocess.run(
        [sys.executable, "-c", _SEED_ORGANIZATION, json.dumps(settings), founder_id],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=60,
    )


class Administration:
    """The admin API, as one administrator."""

    def __init__(self, stack: LocalStack, token: str) -> None:
        self.stack = stack
        self.headers = {"authorization": f"Bearer {token}"}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.stack.api_url}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code == 201, (path, response.status_code, response.text)
        return dict(response.json())

    def person(self, organization_id: str, role: str, email: str, name: str, **memberships: list[str]) -> Caller:
        created = self._post("/admin/people", {"email": email, "displayName": name, "roles": [role], **memberships})
        user_id = str(created["userId"])
        claims = person_claims(organization_id, user_id, email, name, role)
        return Caller(role, organization_id, user_id, BASE_USER, claims)

    def integration(self, organization_id: str, name: str) -> Caller:
        client_id = str(self._post("/admin/integrations", {"name": name})["credentials"]["clientId"])
        # A machine client's token: its client id as subject, the organization, the INTEGRATION group.
        claims = person_claims(organization_id, client_id, f"{client_id}@clients.invalid", name, "INTEGRATION")
        return Caller("INTEGRATION", organization_id, client_id, BASE_USER, claims)


def _operator() -> Caller:
    # The platform operator belongs to no organization: the same caller stands in every tenant.
    return Caller("OPERATOR", "platform", "op-olga", "olga")


def _demo_user(username: str, user_id: str, role: str) -> Caller:
    return Caller(role, "demo", user_id, username)


def _open_organization(stack: LocalStack, organization_id: str, name: str, unit: str, queue: str) -> Tenant:
    seed_organization(
        stack,
        {
            "organization_id": organization_id,
            "name": name,
            "time_zone": "America/New_York",
            "units": [{"unit_id": unit, "name": unit.title()}],
            "queues": [{"queue_id": queue, "name": queue.title(), "kind": "queue"}],
        },
        f"{organization_id}-founder",
    )
    founder_claims = person_claims(
        organization_id, f"{organization_id}-founder", f"founder@{organization_id}.example", "Founder", "ADMIN"
    )
    founder = Caller("ADMIN", organization_id, f"{organization_id}-founder", BASE_USER, founder_claims)
    admin = Administration(stack, founder.token(stack))
    domain = f"{organization_id}.example"
    agent_memberships = {"units": [unit], "groups": ["agents"], "queues": [queue]}
    callers = {
        "ADMIN": admin.person(organization_id, "ADMIN", f"admin@{domain}", "Admin"),
        "SUPERVISOR": admin.person(organization_id, "SUPERVISOR", f"sup@{domain}", "Sup", supervisedUnits=[unit]),
        "UNIT_MANAGER": admin.person(organization_id, "UNIT_MANAGER", f"um@{domain}", "Um", supervisedUnits=[unit]),
        "AGENT": admin.person(organization_id, "AGENT", f"agent@{domain}", "Agent", **agent_memberships),
        "FINANCE": admin.person(organization_id, "FINANCE", f"finance@{domain}", "Finance"),
        "INTEGRATION": admin.integration(organization_id, f"{organization_id} router"),
        "OPERATOR": _operator(),
    }
    return Tenant(organization_id, callers)


def open_tenants(stack: LocalStack) -> Tenants:
    ada = _demo_user("ada", "admin-ada", "ADMIN")
    admin = Administration(stack, ada.token(stack))
    demo = Tenant(
        "demo",
        {
            "ADMIN": ada,
            "SUPERVISOR": _demo_user("sofia", "sup-sofia", "SUPERVISOR"),
            "UNIT_MANAGER": admin.person(
                "demo", "UNIT_MANAGER", "uma@example.com", "Uma Unit Manager", supervisedUnits=["sales"]
            ),
            "AGENT": _demo_user("alice", "agent-alice", "AGENT"),
            "FINANCE": _demo_user("fabio", "fin-fabio", "FINANCE"),
            "INTEGRATION": admin.integration("demo", "security router"),
            "OPERATOR": _operator(),
        },
    )
    return Tenants(
        demo=demo,
        globex=_open_organization(stack, "globex", "Globex", "north", "globex-line"),
        fuzzing=_open_organization(stack, "initech", "Initech", "east", "initech-line"),
        marco=_demo_user("marco", "sup-marco", "SUPERVISOR"),
    )
