"""One authorization matrix for the whole HTTP API, asserted on the local stack (real HTTP, real JWT checks).

Every route of infra/wiring.py by every built-in role by scope (own organization and unit, another unit of
the organization, another organization), plus bad tokens. What each cell must answer comes from three
tables written as data: ROLE_PERMISSIONS (what each built-in role is granted, pinned against
contactcenter.access), ROUTES (what a route reaches, and a request that gets past its validation to its
rules) and SCOPE_RULES (what a caller holding the route's permission may reach). A route added to the
wiring without a row in ROUTES fails here. See docs/security.md.

Requests that would change the shared demo state are chosen to stop at a domain rule once authorization
has passed (409 stale_version, not_clocked_in, ...): an allowed cell proves its caller got past every
check without writing. Messages are the exception (a message to an agent the caller supervises is always
sent); the last test checks that nothing else was written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm

from contactcenter.access import BUILT_IN_ROLES, PLATFORM_ROLES
from infra.wiring import WIRING, HttpRoute
from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack
from tests.security.table import Items, table_items
from tests.security.tenants import ROLES, Caller, Tenants

JOB_SECONDS = 60


class Scope(StrEnum):
    OWN = "own"  # the caller's organization, the caller's unit (for an agent: the caller itself)
    OTHER_UNIT = "other-unit"  # the caller's organization, a unit the caller is not in and does not supervise
    OTHER_ORGANIZATION = "other-org"  # a caller of globex naming demo's agents, units, queues and ids


class TokenFault(StrEnum):
    NO_TOKEN = "no-token"
    EXPIRED = "expired"
    WRONG_ISSUER = "wrong-issuer"
    WRONG_SIGNATURE = "wrong-signature"
    ALG_NONE = "alg-none"
    ALG_CONFUSION = "alg-hs256-public-key"  # HMAC keyed with the issuer's public key


class Outcome(StrEnum):
    ALLOWED = "allowed"  # authorization passed: 2xx or a domain answer (404, 409, 422), never 401/403/5xx
    DENIED = "denied"  # 403 with the rule that refused
    HIDDEN = "hidden"  # 404: the target does not exist for this caller
    UNKNOWN = "unknown"  # 422: an id named in the body is unknown in the caller's organization
    UNAUTHENTICATED = "unauthenticated"  # 401 from the gateway's JWT authorizer: no function ran


# --- table 1: what each built-in role is granted -------------------------------------------------
# Written out, not imported: a grant added to or removed from contactcenter.access must be made here too.

_ENGAGE = frozenset({"engage", "engage.evaluations", "engage.coaching", "engage.elearning"})
_SUPERVISING = frozenset({"supervision.view", "supervision.act", "assignments.manage", "reports.request", "connect"})
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "ADMIN": _SUPERVISING | _ENGAGE | {"reports.read", "administration", "schedules.manage"},
    "SUPERVISOR": _SUPERVISING | _ENGAGE,
    "UNIT_MANAGER": _SUPERVISING | _ENGAGE,
    "AGENT": _ENGAGE | {"attendance.self", "work.self", "connect"},
    "FINANCE": frozenset({"reports.read", "reports.request"}),
    "INTEGRATION": frozenset({"work.report", "routing.read"}),
    "OPERATOR": frozenset({"platform.operate"}),
}


# --- table 2: what each kind of target lets a caller holding the permission reach ----------------


class Target(StrEnum):
    SELF = "self"  # /me/...: the caller itself; nothing else can be named
    MY_ASSIGNMENT = "my assignment"  # an assignment by id, among the caller's own
    AGENT = "supervised agent"  # an agent of a unit the caller supervises
    ANY_AGENT = "any agent"  # any agent of the caller's organization (integrations report work)
    UNIT = "unit"  # a unit the caller supervises
    QUEUE = "queue"  # a queue of the organization; dashboards list only the caller's units' agents
    ORGANIZATION = "organization"  # the caller's organization as a whole
    PERSON = "person"  # a person of the caller's organization, by id (administration)
    ASSIGNMENT = "assignment"  # progress of an assignment the caller created or whose agents they supervise
    ASSIGNMENT_TARGETS = "assignment targets"  # agents named in the body of a new assignment
    REPORT_JOB = "report job"  # a job the caller asked for; finance and administrators see all
    REPORT_UNIT = "report unit"  # the unit named in the body of a report request
    PLATFORM = "platform"  # organizations as a whole: the operator's, whatever organization a caller names


@dataclass(frozen=True)
class ScopeRule:
    own: Outcome
    other_unit: Outcome
    other_organization: Outcome
    organization_wide: frozenset[str] = frozenset()  # roles that reach every unit of their organization

    def outcome(self, role: str, scope: Scope) -> Outcome:
        if scope is Scope.OWN or (scope is Scope.OTHER_UNIT and role in self.organization_wide):
            return self.own
        return self.other_unit if scope is Scope.OTHER_UNIT else self.other_organization


A, D, H, U = Outcome.ALLOWED, Outcome.DENIED, Outcome.HIDDEN, Outcome.UNKNOWN
SCOPE_RULES: Mapping[Target, ScopeRule] = {
    Target.SELF: ScopeRule(A, A, A),
    Target.PLATFORM: ScopeRule(A, A, A),  # another organization's caller acts on itself, in its organization
    Target.MY_ASSIGNMENT: ScopeRule(A, H, H),
    Target.AGENT: ScopeRule(A, D, H, organization_wide=frozenset({"ADMIN"})),
    Target.ANY_AGENT: ScopeRule(A, A, H),
    Target.UNIT: ScopeRule(A, D, H, organization_wide=frozenset({"ADMIN"})),
    Target.QUEUE: ScopeRule(A, A, H),
    Target.ORGANIZATION: ScopeRule(A, A, A),  # another organization's caller sees its own, never demo's
    Target.PERSON: ScopeRule(A, A, H),
    Target.ASSIGNMENT: ScopeRule(A, D, H, organization_wide=frozenset({"ADMIN"})),
    Target.ASSIGNMENT_TARGETS: ScopeRule(A, D, U, organization_wide=frozenset({"ADMIN"})),
    Target.REPORT_JOB: ScopeRule(A, H, H, organization_wide=frozenset({"ADMIN", "FINANCE"})),
    Target.REPORT_UNIT: ScopeRule(A, D, U, organization_wide=frozenset({"ADMIN", "FINANCE"})),
}
# The rules a 403 names when the permission is held but the target is out of reach.
SCOPE_DENIALS = frozenset({"agent_not_supervised", "unit_not_supervised", "not_supervised"})


# --- table 3: every route, what it reaches, and a request that gets to its rules -----------------

REPORT_DAY = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
STALE = {"If-Match": '"999999"'}  # a version no settings reach: an allowed change stops at 409 stale_version
# The setup made these requests once, per unit: the matrix's are replays (an allowed cell writes nothing).
KEY = {"Idempotency-Key": "security-matrix-$unit"}
NOWHERE = "security-nowhere"  # a unit no agent belongs to: clock-in and new people stop at 422


@dataclass(frozen=True)
class Row:
    target: Target
    body: Any = None  # "$agent", "$unit": the scope's agent or unit
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


_AWAY = {"status": "UNAVAILABLE", "reason": "BREAK"}  # to an agent who is AWAY: 409 not_clocked_in
_ASSIGNMENT = {"type": "coaching", "title": "Security matrix", "instructions": "Read me", "agentIds": ["$agent"]}

ROUTES: Mapping[str, Row] = {
    "POST /me/clock-in": Row(Target.SELF, {"platform": "web", "unitId": NOWHERE}),
    "POST /me/clock-out": Row(Target.SELF, {"reason": "END_OF_SHIFT"}),
    "GET /me/state": Row(Target.SELF),
    "PUT /me/status": Row(Target.SELF, _AWAY),
    "PUT /me/next-status": Row(Target.SELF, _AWAY),
    "DELETE /me/next-status": Row(Target.SELF),
    "POST /me/stop-new": Row(Target.SELF),
    "POST /me/resume": Row(Target.SELF),
    "POST /me/wrap-up/end": Row(Target.SELF),
    "POST /me/queues/{queueId}/login": Row(Target.SELF),
    "POST /me/queues/{queueId}/logout": Row(Target.SELF),
    "GET /me/history": Row(Target.SELF, query={"limit": "1"}),
    "POST /me/work-items/{itemId}/events": Row(Target.SELF, {"type": "ended"}),
    "POST /agents/{agentId}/work-items/{itemId}/events": Row(Target.ANY_AGENT, {"type": "ended"}),
    "GET /queues/{queueId}/routable-agents": Row(Target.QUEUE, query={"limit": "1"}),
    "GET /units/{unitId}/dashboard": Row(Target.UNIT, query={"limit": "1"}),
    "GET /queues/{queueId}/dashboard": Row(Target.QUEUE, query={"limit": "1"}),
    "POST /agents/{agentId}/status": Row(Target.AGENT, _AWAY),
    "POST /agents/{agentId}/pause": Row(Target.AGENT, {"reason": "BREAK"}),
    "PUT /agents/{agentId}/next-status": Row(Target.AGENT, _AWAY),
    "DELETE /agents/{agentId}/next-status": Row(Target.AGENT),
    "POST /agents/{agentId}/wrap-up/end": Row(Target.AGENT),
    "PUT /agents/{agentId}/auto-assignment": Row(Target.AGENT, {"enabled": True}),
    "POST /agents/{agentId}/queues/{queueId}/login": Row(Target.AGENT),
    "POST /agents/{agentId}/queues/{queueId}/logout": Row(Target.AGENT),
    "POST /agents/{agentId}/monitoring": Row(Target.AGENT, {"mode": "listen"}),
    "DELETE /agents/{agentId}/monitoring/{sessionId}": Row(Target.AGENT),
    "POST /agents/{agentId}/messages": Row(Target.AGENT, {"text": "security matrix: please ignore"}),
    "GET /agents/{agentId}/changes": Row(Target.AGENT, query={"after": "0", "limit": "1"}),
    "POST /assignments": Row(Target.ASSIGNMENT_TARGETS, _ASSIGNMENT, headers=KEY),
    "GET /assignments": Row(Target.ORGANIZATION, query={"limit": "1"}),
    "GET /assignments/{assignmentId}/progress": Row(Target.ASSIGNMENT),
    "GET /agents/{agentId}/assignments": Row(Target.AGENT, query={"limit": "1"}),
    "GET /me/assignments": Row(Target.SELF, query={"limit": "1"}),
    "GET /me/assignments/{assignmentId}": Row(Target.MY_ASSIGNMENT),
    "POST /me/assignments/{assignmentId}/save": Row(Target.MY_ASSIGNMENT, {"version": 999999}),
    "POST /me/assignments/{assignmentId}/close": Row(Target.MY_ASSIGNMENT),
    "POST /reports/jobs": Row(
        Target.REPORT_UNIT, {"from": REPORT_DAY, "to": REPORT_DAY, "unitId": "$unit"}, headers=KEY
    ),
    "GET /reports/jobs/{jobId}": Row(Target.REPORT_JOB),
    "GET /reports/files": Row(Target.ORGANIZATION, query={"from": REPORT_DAY, "to": REPORT_DAY}),
    "GET /admin/settings": Row(Target.ORGANIZATION),
    "PATCH /admin/organization": Row(Target.ORGANIZATION, {"name": "Renamed"}, headers=STALE),
    "POST /admin/units": Row(Target.ORGANIZATION, {"unitId": "security-unit", "name": "Unit"}, headers=STALE),
    "PATCH /admin/units/{unitId}": Row(Target.ORGANIZATION, {"name": "Renamed"}, headers=STALE),
    "DELETE /admin/units/{unitId}": Row(Target.ORGANIZATION, headers=STALE),
    "POST /admin/groups": Row(Target.ORGANIZATION, {"groupId": "security-group", "name": "Group"}, headers=STALE),
    "PATCH /admin/groups/{groupId}": Row(Target.ORGANIZATION, {"name": "Renamed"}, headers=STALE),
    "DELETE /admin/groups/{groupId}": Row(Target.ORGANIZATION, headers=STALE),
    "PATCH /admin/attendance": Row(Target.ORGANIZATION, {"trackingEnabled": True}, headers=STALE),
    "POST /admin/reasons/{kind}": Row(Target.ORGANIZATION, {"code": "SECURITY", "label": "Security"}, headers=STALE),
    "PATCH /admin/reasons/{kind}/{code}": Row(Target.ORGANIZATION, {"label": "Renamed"}, headers=STALE),
    "DELETE /admin/reasons/{kind}/{code}": Row(Target.ORGANIZATION, headers=STALE),
    "POST /admin/queues": Row(Target.ORGANIZATION, {"queueId": "security-queue", "name": "Queue"}, headers=STALE),
    "PATCH /admin/queues/{queueId}": Row(Target.ORGANIZATION, {"name": "Renamed"}, headers=STALE),
    "DELETE /admin/queues/{queueId}": Row(Target.ORGANIZATION, headers=STALE),
    "PATCH /admin/routing": Row(Target.ORGANIZATION, {"wrapUpSeconds": 20}, headers=STALE),
    "GET /admin/roles": Row(Target.ORGANIZATION),
    "PUT /admin/roles/{roleName}": Row(Target.ORGANIZATION, {"permissions": ["engage"]}, headers=STALE),
    "DELETE /admin/roles/{roleName}": Row(Target.ORGANIZATION, headers=STALE),
    "PUT /admin/policy": Row(Target.ORGANIZATION, {"policy": "default"}, headers=STALE),
    "GET /admin/status-rules": Row(Target.ORGANIZATION),
    "PUT /admin/status-rules": Row(Target.ORGANIZATION, {"statusRules": []}, headers=STALE),
    "PUT /admin/adherence": Row(Target.ORGANIZATION, {"severeMinutes": 20}, headers=STALE),
    "GET /admin/people": Row(Target.ORGANIZATION),
    "POST /admin/people": Row(
        Target.ORGANIZATION,
        {"email": "nobody@example.com", "displayName": "Nobody", "roles": ["AGENT"], "units": [NOWHERE]},
    ),
    "GET /admin/people/{userId}": Row(Target.PERSON),
    "PATCH /admin/people/{userId}": Row(Target.PERSON, {"displayName": "Renamed"}, headers=STALE),
    "DELETE /admin/people/{userId}": Row(Target.PERSON, headers=STALE),
    # No domain rule comes before the credentials are made; the permission is checked before validation,
    # so a name the model refuses (422) proves the gate was passed without creating anything.
    "POST /admin/integrations": Row(Target.ORGANIZATION, {"name": "security/not a valid name"}),
    "GET /admin/audit": Row(Target.ORGANIZATION, query={"limit": "1"}),
    # An import with no rows writes nothing; a CSV upload without a body stops at 422 empty_import.
    "POST /schedules/imports": Row(Target.ORGANIZATION, {"schedules": []}),
    "POST /schedules/imports/csv": Row(Target.ORGANIZATION),
    "GET /agents/{agentId}/schedules/{day}": Row(Target.PERSON),
    "PUT /agents/{agentId}/schedules/{day}": Row(Target.PERSON, {"activities": []}, headers=STALE),
    "DELETE /agents/{agentId}/schedules/{day}": Row(Target.PERSON, headers=STALE),
    # Checked for supervision before the times are read: a time that is not one stops at 422.
    "POST /agents/{agentId}/adherence-exceptions": Row(
        Target.AGENT, {"start": "soon", "end": "later", "note": "security matrix"}
    ),
    "GET /units/{unitId}/adherence": Row(Target.UNIT, query={"limit": "1"}),
    "GET /me/adherence": Row(Target.SELF),
    # An organization that exists (409 organization_exists before anyone is invited), and one that does not.
    "POST /platform/organizations": Row(
        Target.PLATFORM,
        {
            "organizationId": "demo",
            "name": "Demo again",
            "timeZone": "UTC",
            "administratorEmail": "nobody@security.invalid",
            "administratorName": "Nobody",
        },
    ),
    "GET /platform/organizations": Row(Target.PLATFORM),
    "PATCH /platform/organizations/{organizationId}": Row(Target.PLATFORM, {"disabled": True}),
}

# Path parameters that name no scope-dependent target.
FIXED_PATH_VALUES = {
    "organizationId": "security-nowhere",
    "itemId": "security-item",
    "sessionId": "security-session",
    "groupId": "agents",
    "kind": "unavailable",
    "code": "BREAK",
    "roleName": "SECURITY_AUDITOR",
    "day": REPORT_DAY,
}
# Text of demo's that another organization's caller must never be shown.
DEMO_MARKERS = ('"demo"', "Demo Contact Center", "agent-alice", "agent-chiara", "sup-sofia", "admin-ada")


def expected(route: HttpRoute, role: str, scope: Scope) -> Outcome:
    if route.permission not in ROLE_PERMISSIONS[role]:
        return Outcome.DENIED
    return SCOPE_RULES[ROUTES[route.route_key].target].outcome(role, scope)


# --- the places each scope names -----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    unit: str
    agent: str
    queue: str
    assignment: str
    job: str

    def value(self, parameter: str) -> str:
        by_parameter = {
            "agentId": self.agent,
            "userId": self.agent,
            "unitId": self.unit,
            "queueId": self.queue,
            "assignmentId": self.assignment,
            "jobId": self.job,
        }
        return by_parameter.get(parameter) or FIXED_PATH_VALUES[parameter]


@dataclass
class Matrix:
    """What the setup made: per role the demo caller's own job; the assignments of each unit."""

    stack: LocalStack
    tenants: Tenants
    jobs: dict[str, str]  # role -> the job its demo caller asked for
    other_unit_job: str  # asked for by marco, supervisor of support
    sales_assignment: str  # for agent-alice, created by sofia
    support_assignment: str  # for agent-chiara, created by marco
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def caller(self, role: str, scope: Scope) -> Caller:
        tenant = self.tenants.globex if scope is Scope.OTHER_ORGANIZATION else self.tenants.demo
        return tenant[role]

    def place(self, role: str, scope: Scope) -> Place:
        if scope is Scope.OTHER_UNIT:
            return Place("support", "agent-chiara", "support-chat", self.support_assignment, self.other_unit_job)
        job = self.jobs["FINANCE"] if scope is Scope.OTHER_ORGANIZATION else self.jobs.get(role, self.jobs["FINANCE"])
        return Place("sales", "agent-alice", "sales-line", self.sales_assignment, job)

    def token(self, caller: Caller, fault: str = "") -> str:
        key = (f"{caller.organization_id}/{caller.user_id}", fault)
        if key not in self.tokens:
            self.tokens[key] = _token(self.stack, caller, fault)
        return self.tokens[key]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(stack: LocalStack, caller: Caller, fault: str) -> str:
    if fault == TokenFault.EXPIRED:
        return caller.token(stack, expires_in=-60)
    if fault == TokenFault.WRONG_ISSUER:
        return caller.token(stack, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Forged")
    good = caller.token(stack)
    if not fault:
        return good
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    if fault == TokenFault.WRONG_SIGNATURE:  # the same token, signed by a key the issuer never published
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": header["kid"]})
    if fault == TokenFault.ALG_NONE:
        unsigned = {"alg": "none", "typ": "JWT", "kid": header["kid"]}
        return f"{_b64(json.dumps(unsigned).encode())}.{_b64(json.dumps(claims).encode())}."
    assert fault == TokenFault.ALG_CONFUSION
    jwk = httpx.get(str(stack.endpoints["jwksUrl"]), timeout=10).json()["keys"][0]
    # What a verifier trusting the token's `alg` would take as the HMAC secret: the public key's PEM.
    secret = RSAAlgorithm.from_jwk(jwk).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'kid': header['kid']}).encode())}.{_b64(json.dumps(claims).encode())}"
    )
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _substitute(value: Any, place: Place) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, place) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, place) for item in value]
    if isinstance(value, str):
        return value.replace("$agent", place.agent).replace("$unit", place.unit)
    return value


def _path(route: HttpRoute, place: Place) -> str:
    path = route.path
    for parameter in _parameters(route.path):
        path = path.replace(f"{{{parameter}}}", place.value(parameter))
    return path


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


# --- setup ---------------------------------------------------------------------------------------


SALES = Place("sales", "agent-alice", "sales-line", "", "")
SUPPORT = Place("support", "agent-chiara", "support-chat", "", "")


def _made(stack: LocalStack, caller: Caller, route_key: str, place: Place, expect: int) -> str:
    """The request the matrix makes for this route and place, made once by the setup; returns the new id."""
    route = next(route for route in WIRING.http_routes if route.route_key == route_key)
    with httpx.Client(base_url=stack.api_url, timeout=30) as http:
        response = _request(http, route, place, caller.token(stack))
    assert response.status_code == expect, (route_key, response.status_code, response.text)
    body = response.json()
    return str(body["assignment"]["assignmentId"] if "assignment" in body else body["jobId"])


def _replayed(route_key: str) -> list[tuple[str, Place]]:
    """The allowed cells of a route keyed by Idempotency-Key: every holder in its unit, and in the other
    unit those who reach the whole organization."""
    route = next(route for route in WIRING.http_routes if route.route_key == route_key)
    rule = SCOPE_RULES[ROUTES[route_key].target]
    holders = [role for role in ROLES if route.permission in ROLE_PERMISSIONS[role]]
    return [(role, SALES) for role in holders] + [(role, SUPPORT) for role in holders if role in rule.organization_wide]


def _as(stack: LocalStack, caller: Caller) -> Api:
    return Api(stack, None, token=caller.token(stack))


def _wait_for_jobs(stack: LocalStack, jobs: list[tuple[Caller, str]]) -> None:
    """The setup's jobs run through the stream: they must be over before the table is compared."""
    stack.drain(timeout=JOB_SECONDS)
    for caller, job_id in jobs:
        state = _as(stack, caller).call("GET", f"/reports/jobs/{job_id}")["state"]
        assert state in ("done", "failed"), (job_id, state)


@pytest.fixture(scope="module")
def matrix(local_stack: LocalStack, tenants: Tenants) -> Iterator[Matrix]:
    demo, marco = tenants.demo, tenants.marco
    for username in ("alice", "chiara"):  # AWAY: the agents' own changes and supervisors' stop at 409
        Api(local_stack, username).ensure_clocked_out()
    for role, place in _replayed("POST /assignments"):
        _made(local_stack, demo[role], "POST /assignments", place, 201)
    # What the other unit's supervisor owns: an assignment of its agent, a report on its unit.
    support_assignment = _made(local_stack, marco, "POST /assignments", SUPPORT, 201)
    other_unit_job = _made(local_stack, marco, "POST /reports/jobs", SUPPORT, 202)
    made, jobs = [(marco, other_unit_job)], {}
    for role, place in _replayed("POST /reports/jobs"):
        job = _made(local_stack, demo[role], "POST /reports/jobs", place, 202)
        made.append((demo[role], job))
        if place is SALES:
            jobs[role] = job  # the caller's own job, about its own unit
    _wait_for_jobs(local_stack, made)
    sales_assignment = _made(local_stack, demo["SUPERVISOR"], "POST /assignments", SALES, 201)  # a replay
    yield Matrix(local_stack, tenants, jobs, other_unit_job, sales_assignment, support_assignment)


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.api_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def table_before(local_stack: LocalStack, matrix: Matrix) -> Items:
    return table_items(local_stack)


# --- the cells -----------------------------------------------------------------------------------

CELLS = [
    pytest.param(route, role, scope, id=f"{route.route_key} | {role} | {scope}")
    for route in WIRING.http_routes
    for role in ROLES
    for scope in Scope
] + [
    pytest.param(route, "", fault, id=f"{route.route_key} | token | {fault}")
    for route in WIRING.http_routes
    for fault in TokenFault
]


def _request(client: httpx.Client, route: HttpRoute, place: Place, token: str | None) -> httpx.Response:
    row = ROUTES[route.route_key]
    headers = _substitute(dict(row.headers), place)
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = _substitute(row.body, place)
    return client.request(route.method, _path(route, place), params=dict(row.query), json=body, headers=headers)


def _first_role_with(permission: str) -> str:
    return next(role for role in ROLES if permission in ROLE_PERMISSIONS[role])


def assert_outcome(outcome: Outcome, response: httpx.Response, *, missing_permission: bool) -> None:
    status, text = response.status_code, response.text
    if outcome is Outcome.ALLOWED:
        assert status < 300 or status in (404, 409, 422), (status, text)
        return
    if outcome is Outcome.UNAUTHENTICATED:
        assert (status, response.json()) == (401, {"message": "Unauthorized"}), (status, text)
        return
    wanted = {Outcome.DENIED: 403, Outcome.HIDDEN: 404, Outcome.UNKNOWN: 422}[outcome]
    assert status == wanted, (status, text)
    error = response.json()["error"]
    if outcome is Outcome.DENIED:
        rules = {"missing_permission"} if missing_permission else SCOPE_DENIALS
        assert (error["code"], error["rule"] in rules) == ("forbidden", True), text


@pytest.mark.parametrize(("route", "role", "scope"), CELLS)
def test_cell(
    matrix: Matrix,
    client: httpx.Client,
    table_before: Items,
    route: HttpRoute,
    role: str,
    scope: Scope | TokenFault,
) -> None:
    assert route.route_key in ROUTES, f"{route.route_key} has no row in ROUTES: say what it reaches"
    if isinstance(scope, TokenFault):
        fault = scope
        caller = matrix.caller(_first_role_with(route.permission), Scope.OWN)
        token = None if fault is TokenFault.NO_TOKEN else matrix.token(caller, fault)
        response = _request(client, route, matrix.place(caller.role, Scope.OWN), token)
        assert_outcome(Outcome.UNAUTHENTICATED, response, missing_permission=False)
        return
    where = scope
    caller = matrix.caller(role, where)
    outcome = expected(route, role, where)
    response = _request(client, route, matrix.place(role, where), matrix.token(caller))
    assert_outcome(outcome, response, missing_permission=route.permission not in ROLE_PERMISSIONS[role])
    # The operator belongs to no organization and lists them all: that is its job, not a leak.
    if where is Scope.OTHER_ORGANIZATION and outcome is Outcome.ALLOWED and role != "OPERATOR":
        leaked = [marker for marker in DEMO_MARKERS if marker in response.text]
        assert not leaked, (leaked, response.text)


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    wired = {route.route_key for route in WIRING.http_routes}
    assert sorted(wired - ROUTES.keys()) == [], "routes without a row: say what each reaches"
    assert sorted(ROUTES.keys() - wired) == [], "rows of routes that are not wired"


def test_the_role_table_is_the_one_enforced() -> None:
    granted = {**BUILT_IN_ROLES, **PLATFORM_ROLES}
    enforced = {str(role): {str(p) for p in permissions} for role, permissions in granted.items()}
    assert enforced == {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()}


def test_every_route_is_open_to_some_role_and_closed_to_another() -> None:
    for route in WIRING.http_routes:
        holders = {role for role in ROLES if route.permission in ROLE_PERMISSIONS[role]}
        assert holders and holders != set(ROLES), (route.route_key, holders)


def test_the_matrix_wrote_nothing_but_its_messages(local_stack: LocalStack, table_before: Items) -> None:
    after = table_items(local_stack)
    changed = {key for key in after.keys() & table_before.keys() if after[key] != table_before[key]}
    removed = table_before.keys() - after.keys()
    added = {key: after[key].get("entity", {}).get("S") for key in after.keys() - table_before.keys()}
    assert (changed, removed) == (set(), set())
    assert set(added.values()) <= {"AgentMessage", "SupervisorAction"}, added
