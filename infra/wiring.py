"""The one wiring table: functions, HTTP routes (each with the permission it needs), WebSocket routes,
stream consumers with their filters, and schedules.

Plain data, no aws_cdk import: the CDK app (infra/stack.py) and the local stack (local/) both read it,
and tests/infra/test_wiring.py proves the synthesized template equals it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The DynamoDB actions the store's code calls (tests/infra/test_table_actions.py reads them from the code,
# so a new call fails there until it is listed here). A transaction needs the action of each of its parts:
# TransactGetItems GetItem; TransactWriteItems PutItem, UpdateItem, DeleteItem (and ConditionCheckItem, which
# no transaction here has).
# IAM has no action for a transaction itself, only for its parts.
TABLE_READ_ACTIONS = ("GetItem", "Query", "BatchGetItem")
TABLE_WRITE_ACTIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")


@dataclass(frozen=True)
class Function:
    name: str  # logical name, also the CDK construct id suffix
    handler: str  # dotted path "functions.<area>.<module>.handler"; the asset is functions/<area>/
    description: str
    memory_mb: int = 512
    timeout_seconds: int = 10
    # What the function may touch; infra turns these into least-privilege grants.
    table_access: str = "read_write"  # "read", "read_write" or "none"
    bucket_access: str = "none"  # "none", "read", "read_write"
    manages_connections: bool = False  # posts to / closes WebSocket connections
    publishes_events: bool = False  # puts events on the default EventBridge bus
    manages_identities: bool = False  # creates, changes and disables users and app clients in the user pool
    sends_timers: bool = False  # changes agents, so may start timers (contactcenter/timers.py): sends to their queue

    @property
    def table_actions(self) -> tuple[str, ...]:
        """The DynamoDB actions this function is granted on the table and its indexes."""
        if self.table_access == "none":
            return ()
        return TABLE_READ_ACTIONS + (TABLE_WRITE_ACTIONS if self.table_access == "read_write" else ())

    @property
    def area(self) -> str:
        return self.handler.split(".")[1]

    @property
    def module(self) -> str:
        return self.handler.split(".")[2]

    @property
    def asset_handler(self) -> str:
        """The handler string inside the function's asset (functions/<area>/)."""
        return f"{self.module}.handler"


JWT = "jwt"
LAMBDA = "lambda"


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function: str
    permission: str  # a contactcenter.access.Permission value
    summary: str = ""
    # None: by the path (`authorized_by`); JWT or LAMBDA to choose.
    authorizer: str | None = None

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def authorized_by(self) -> str:
        """/me routes act on the caller themselves, a person: API Gateway's JWT authorizer (people's ID
        tokens; free, no function). Every other route serves whoever's permissions allow it, integrations
        created at run time included: the Lambda authorizer (docs/security.md, "Integrations' tokens")."""
        if self.authorizer is not None:
            return self.authorizer
        return JWT if self.path == "/me" or self.path.startswith("/me/") else LAMBDA


@dataclass(frozen=True)
class SocketRoute:
    route_key: str  # "$connect", "$disconnect", "$default" or an `action` value
    function: str


@dataclass(frozen=True)
class StreamConsumer:
    function: str
    # Lambda event filter patterns (each a JSON-able dict); a record matching any of them is delivered.
    filters: tuple[dict[str, object], ...]
    batch_size: int = 100
    max_batching_window_seconds: int = 0
    retry_attempts: int = 3
    max_record_age_seconds: int = 3600
    bisect_on_error: bool = True
    parallelization_factor: int = 1


@dataclass(frozen=True)
class TimerQueue:
    """The SQS queue of contactcenter.timers and the function it delivers to (an SQS event source)."""

    function: str
    # Timers reach the consumer as soon as their delay is over: no batching window. Ten is SQS's largest
    # batch without a window; a batch's timers are due within the same second.
    batch_size: int = 10
    max_batching_window_seconds: int = 0
    # AWS asks for at least six times the function's timeout, so a message is not received again while
    # an invocation that throttled is retried.
    visibility_timeout_seconds: int = 60
    # Then the timer goes to the dead-letter queue; the wrap-up sweep still records what it was for.
    max_receive_count: int = 5


@dataclass(frozen=True)
class Schedule:
    name: str
    function: str
    expression: str  # EventBridge: "rate(1 hour)" or "cron(...)"
    description: str = ""
    # The event's `detail` (a JSON object as text, as EventBridge sends it): tells one function's schedules apart.
    detail: str = "{}"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableDefinition:
    """The single table's shape; every key and expression lives in contactcenter/store/."""

    partition_key: str = "pk"
    sort_key: str = "sk"
    indexes: tuple[Index, ...] = (
        Index("gsi1", "gsi1pk", "gsi1sk"),  # agents by unit (dashboards)
        Index("gsi2", "gsi2pk", "gsi2sk"),  # queue logins by queue (routing), assignments by creator
    )
    ttl_attribute: str = "expiresAt"
    stream_view: str = "NEW_AND_OLD_IMAGES"


@dataclass(frozen=True)
class Cors:
    """The HTTP API's CORS configuration, but for the allowed origins: those are a deploy-time setting
    (infra/settings.py) and a flag of the local stack (`--allowed-origins`)."""

    # What a browser client sends: the bearer token, JSON bodies, the idempotency key, the admin API's version.
    allow_headers: tuple[str, ...] = ("authorization", "content-type", "idempotency-key", "if-match")
    allow_methods: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
    expose_headers: tuple[str, ...] = ("retry-after",)
    # Chromium caches a preflight for at most 2 hours whatever it is told, Firefox 24; 2 hours it is.
    max_age_seconds: int = 7200


@dataclass(frozen=True)
class Wiring:
    functions: tuple[Function, ...]
    http_routes: tuple[HttpRoute, ...]
    socket_routes: tuple[SocketRoute, ...]
    socket_authorizer: str  # function name verifying the token on $connect
    http_authorizer: str  # the Lambda REQUEST authorizer of the HTTP routes authorized_by LAMBDA
    stream_consumers: tuple[StreamConsumer, ...]
    schedules: tuple[Schedule, ...] = field(default=())
    timers: TimerQueue | None = None
    # The user pool's pre token generation trigger (event version V3_0, so it runs for client credentials too).
    token_trigger: str | None = None
    table: TableDefinition = field(default_factory=TableDefinition)
    cors: Cors = field(default_factory=Cors)

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)


# Entities whose stream records are pushed to WebSocket clients (the `entity` attribute of the item).
PUSHED_ENTITIES = ("AgentChange", "AgentMessage", "Assignment", "RuleFiring", "AgentAdherence")

WIRING = Wiring(
    functions=(
        Function("clock", "functions.clock.app.handler", "Clock in and out", sends_timers=True),
        Function(
            "status", "functions.status.app.handler", "Agent status, work items, queues, history", sends_timers=True
        ),
        Function(
            "wrap_up_sweep",
            "functions.status.sweep.handler",
            "Backstop: records elapsed wrap-ups whose timer never came (at the moment they elapsed)",
            timeout_seconds=60,
            sends_timers=True,
        ),
        Function(
            "timers",
            "functions.status.timers.handler",
            "Applies each timer at its moment (a wrap-up's end, a status rule's tier, adherence's next change)",
            sends_timers=True,  # a timer further off than SQS's 900 s goes round again
            publishes_events=True,  # a status rule's tier may publish an event
        ),
        Function(
            "supervision",
            "functions.supervision.app.handler",
            "Dashboards and supervisor actions",
            manages_connections=True,
            publishes_events=True,
            sends_timers=True,
        ),
        Function(
            "socket",
            "functions.supervision.socket.handler",
            "WebSocket sessions: connect, subscribe, ping, disconnect",
            manages_connections=True,  # replies (pong, subscribed, errors) go out over the management API
        ),
        Function(
            "socket_authorizer",
            "functions.supervision.authorizer.handler",
            "Verifies the JWT on WebSocket $connect",
            table_access="read",  # whether the caller's organization is disabled
        ),
        Function(
            "api_authorizer",
            "functions.identity.authorizer.handler",
            "HTTP routes beyond /me: verifies people's ID tokens and registered integrations' access tokens",
            timeout_seconds=5,
            table_access="read",  # the app client's registration
        ),
        Function(
            "fanout",
            "functions.supervision.fanout.handler",
            "Pushes stream changes to subscribed WebSocket connections",
            memory_mb=1024,
            timeout_seconds=60,
            manages_connections=True,
        ),
        Function(
            "assignments",
            "functions.assignments.app.handler",
            "Assignments: create and follow (supervisors), My Assignments, open/save/close (agents)",
        ),
        Function(
            "reports",
            "functions.reports.app.handler",
            "Attendance report files: scheduled compilation and on-demand jobs",
            memory_mb=2048,
            timeout_seconds=900,
            bucket_access="read_write",
            publishes_events=True,  # "Report Ready" per compiled day, month and job
        ),
        Function(
            "admin",
            "functions.admin.app.handler",
            "Organization administration: units, people, roles, queues, settings, the transition policy",
            manages_identities=True,
        ),
        Function(
            "schedules",
            "functions.schedules.app.handler",
            "Schedules (imports, changes), approved adherence exceptions, live adherence reads",
            timeout_seconds=30,  # an import of a few thousand agent-days recomputes today's adherence at once
            sends_timers=True,  # adherence's next moment of change
        ),
        Function(
            "watch",
            "functions.rules.watch.handler",
            "Arms status rules' timers for each new stint and recomputes live adherence on each change",
            timeout_seconds=60,
            sends_timers=True,
        ),
        Function(
            "token_claims",
            "functions.identity.tokens.handler",
            "Puts the organization of an integration's app client into its client-credentials access tokens",
            timeout_seconds=5,  # Cognito waits 5 seconds for a trigger
            table_access="read",
        ),
    ),
    http_routes=(
        HttpRoute("POST", "/me/clock-in", "clock", "attendance.self", "Clock in"),
        HttpRoute("POST", "/me/clock-out", "clock", "attendance.self", "Clock out"),
        HttpRoute("GET", "/me/state", "status", "attendance.self", "The caller's current state"),
        HttpRoute("PUT", "/me/status", "status", "attendance.self", "Change status (AWAY clocks out)"),
        HttpRoute("PUT", "/me/next-status", "status", "attendance.self", "Status to take when work is over"),
        HttpRoute("DELETE", "/me/next-status", "status", "attendance.self", "Cancel the next status"),
        HttpRoute("POST", "/me/stop-new", "status", "attendance.self", "Stop new offers while active"),
        HttpRoute("POST", "/me/resume", "status", "attendance.self", "Take new offers again"),
        HttpRoute("POST", "/me/wrap-up/end", "status", "attendance.self", "End wrap-up early (optional mode)"),
        HttpRoute("POST", "/me/queues/{queueId}/login", "status", "attendance.self", "Log into a queue"),
        HttpRoute("POST", "/me/queues/{queueId}/logout", "status", "attendance.self", "Log out of a queue"),
        HttpRoute("GET", "/me/history", "status", "attendance.self", "The caller's history, newest first"),
        HttpRoute("POST", "/me/work-items/{itemId}/events", "status", "work.self", "Own work offered/accepted/..."),
        HttpRoute(
            "POST", "/agents/{agentId}/work-items/{itemId}/events", "status", "work.report", "Work reported by a router"
        ),
        HttpRoute("GET", "/queues/{queueId}/routable-agents", "status", "routing.read", "Routable, longest idle first"),
        HttpRoute("GET", "/units/{unitId}/dashboard", "supervision", "supervision.view", "A unit's agents, live"),
        HttpRoute("GET", "/queues/{queueId}/dashboard", "supervision", "supervision.view", "A queue's agents, live"),
        HttpRoute("POST", "/agents/{agentId}/status", "supervision", "supervision.act", "Force a status"),
        HttpRoute("POST", "/agents/{agentId}/pause", "supervision", "supervision.act", "Pause with a reason"),
        HttpRoute("PUT", "/agents/{agentId}/next-status", "supervision", "supervision.act", "Set a next status"),
        HttpRoute("DELETE", "/agents/{agentId}/next-status", "supervision", "supervision.act", "Cancel next status"),
        HttpRoute("POST", "/agents/{agentId}/wrap-up/end", "supervision", "supervision.act", "End wrap-up"),
        HttpRoute("PUT", "/agents/{agentId}/auto-assignment", "supervision", "supervision.act", "Toggle auto-assign"),
        HttpRoute(
            "POST", "/agents/{agentId}/queues/{queueId}/login", "supervision", "supervision.act", "Log into a queue"
        ),
        HttpRoute(
            "POST", "/agents/{agentId}/queues/{queueId}/logout", "supervision", "supervision.act", "Log out of a queue"
        ),
        HttpRoute("POST", "/agents/{agentId}/monitoring", "supervision", "supervision.act", "Listen, whisper, barge"),
        HttpRoute(
            "DELETE", "/agents/{agentId}/monitoring/{sessionId}", "supervision", "supervision.act", "Stop monitoring"
        ),
        HttpRoute("POST", "/agents/{agentId}/messages", "supervision", "supervision.act", "Message an agent"),
        HttpRoute("GET", "/agents/{agentId}/changes", "supervision", "supervision.view", "Changes after a sequence"),
        HttpRoute("POST", "/assignments", "assignments", "assignments.manage", "Assign to agents or units"),
        HttpRoute("GET", "/assignments", "assignments", "assignments.manage", "Assignments the caller created"),
        HttpRoute("GET", "/assignments/{assignmentId}/progress", "assignments", "assignments.manage", "Per assignment"),
        HttpRoute("GET", "/agents/{agentId}/assignments", "assignments", "assignments.manage", "Per agent"),
        HttpRoute("GET", "/me/assignments", "assignments", "engage", "My Assignments: a page and the counts"),
        HttpRoute("GET", "/me/assignments/{assignmentId}", "assignments", "engage", "Open an assignment"),
        HttpRoute("POST", "/me/assignments/{assignmentId}/save", "assignments", "engage", "Save (state follows)"),
        HttpRoute("POST", "/me/assignments/{assignmentId}/close", "assignments", "engage", "Close: no change"),
        HttpRoute("POST", "/reports/jobs", "reports", "reports.request", "Ask for a report: 202 and a job id"),
        HttpRoute("GET", "/reports/jobs/{jobId}", "reports", "reports.request", "A job's progress, then links"),
        HttpRoute("GET", "/reports/files", "reports", "reports.read", "Daily report files of a period, links"),
        HttpRoute("GET", "/admin/settings", "admin", "administration", "The organization's settings and version"),
        HttpRoute("PATCH", "/admin/organization", "admin", "administration", "Name and time zone"),
        HttpRoute("POST", "/admin/units", "admin", "administration", "Add a unit"),
        HttpRoute("PATCH", "/admin/units/{unitId}", "admin", "administration", "Rename a unit"),
        HttpRoute("DELETE", "/admin/units/{unitId}", "admin", "administration", "Delete a unit nobody is in"),
        HttpRoute("POST", "/admin/groups", "admin", "administration", "Add a user group"),
        HttpRoute("PATCH", "/admin/groups/{groupId}", "admin", "administration", "Rename a user group"),
        HttpRoute("DELETE", "/admin/groups/{groupId}", "admin", "administration", "Delete an unused user group"),
        HttpRoute("PATCH", "/admin/attendance", "admin", "administration", "Attendance tracking settings"),
        HttpRoute("POST", "/admin/reasons/{kind}", "admin", "administration", "Add an unavailable or clock-out reason"),
        HttpRoute("PATCH", "/admin/reasons/{kind}/{code}", "admin", "administration", "Relabel, retire or reactivate"),
        HttpRoute("DELETE", "/admin/reasons/{kind}/{code}", "admin", "administration", "Delete a reason never in use"),
        HttpRoute("POST", "/admin/queues", "admin", "administration", "Add a queue, chat or campaign"),
        HttpRoute("PATCH", "/admin/queues/{queueId}", "admin", "administration", "Change a queue"),
        HttpRoute("DELETE", "/admin/queues/{queueId}", "admin", "administration", "Delete a queue with no members"),
        HttpRoute("PATCH", "/admin/routing", "admin", "administration", "Wrap-up, breaks, idle timeout, concurrency"),
        HttpRoute("GET", "/admin/roles", "admin", "administration", "Built-in and custom roles, and the permissions"),
        HttpRoute("PUT", "/admin/roles/{roleName}", "admin", "administration", "Define or replace a custom role"),
        HttpRoute("DELETE", "/admin/roles/{roleName}", "admin", "administration", "Delete a custom role nobody has"),
        HttpRoute("PUT", "/admin/policy", "admin", "administration", "Replace the transition policy"),
        HttpRoute("GET", "/admin/status-rules", "admin", "administration", "Status rules and the settings version"),
        HttpRoute("PUT", "/admin/status-rules", "admin", "administration", "Replace the status rules"),
        HttpRoute("PUT", "/admin/adherence", "admin", "administration", "What adheres to each scheduled activity"),
        HttpRoute("POST", "/schedules/imports", "schedules", "schedules.manage", "Import schedules as JSON"),
        HttpRoute("POST", "/schedules/imports/csv", "schedules", "schedules.manage", "Import schedules as CSV"),
        HttpRoute("GET", "/agents/{agentId}/schedules/{day}", "schedules", "schedules.manage", "One agent-day"),
        HttpRoute("PUT", "/agents/{agentId}/schedules/{day}", "schedules", "schedules.manage", "Replace an agent-day"),
        HttpRoute(
            "DELETE", "/agents/{agentId}/schedules/{day}", "schedules", "schedules.manage", "Delete an agent-day"
        ),
        HttpRoute(
            "POST", "/agents/{agentId}/adherence-exceptions", "schedules", "supervision.act", "Approve time as adherent"
        ),
        HttpRoute("GET", "/units/{unitId}/adherence", "schedules", "supervision.view", "A unit's live adherence"),
        HttpRoute("GET", "/me/adherence", "schedules", "attendance.self", "Today's schedule and own adherence"),
        HttpRoute("GET", "/admin/people", "admin", "administration", "People and integrations"),
        HttpRoute("POST", "/admin/people", "admin", "administration", "Add a person (a user of the identity provider)"),
        HttpRoute("GET", "/admin/people/{userId}", "admin", "administration", "A person"),
        HttpRoute("PATCH", "/admin/people/{userId}", "admin", "administration", "Change roles, units, groups, queues"),
        HttpRoute("DELETE", "/admin/people/{userId}", "admin", "administration", "Retire a person: no more sign-in"),
        HttpRoute("POST", "/admin/integrations", "admin", "administration", "Machine credentials for an integration"),
        HttpRoute("GET", "/admin/audit", "admin", "administration", "Configuration changes, newest first"),
        HttpRoute("POST", "/platform/organizations", "admin", "platform.operate", "An organization, its administrator"),
        HttpRoute("GET", "/platform/organizations", "admin", "platform.operate", "Every organization"),
        HttpRoute(
            "PATCH", "/platform/organizations/{organizationId}", "admin", "platform.operate", "Disable or enable"
        ),
    ),
    socket_routes=(
        SocketRoute("$connect", "socket"),
        SocketRoute("$disconnect", "socket"),
        SocketRoute("$default", "socket"),
        SocketRoute("subscribe", "socket"),
        SocketRoute("unsubscribe", "socket"),
        SocketRoute("ping", "socket"),
        SocketRoute("catchup", "socket"),
    ),
    socket_authorizer="socket_authorizer",
    http_authorizer="api_authorizer",
    token_trigger="token_claims",
    stream_consumers=(
        StreamConsumer(
            "fanout",
            filters=(
                {
                    "eventName": ["INSERT"],
                    "dynamodb": {"NewImage": {"entity": {"S": list(PUSHED_ENTITIES)}}},
                },
                # A saved assignment is an update of the agent's copy, not a new item; so is a new live adherence;
                # a changed person record (retired, roles) closes that person's sessions.
                {
                    "eventName": ["MODIFY"],
                    "dynamodb": {"NewImage": {"entity": {"S": ["Assignment", "AgentAdherence", "Person"]}}},
                },
            ),
        ),
        StreamConsumer(
            "watch",
            # Changes of status start stints (rules) and change adherence; queue logins can make a rule match.
            filters=(
                {
                    "eventName": ["INSERT"],
                    "dynamodb": {"NewImage": {"entity": {"S": ["AgentChange"]}, "kind": {"S": ["status", "queue"]}}},
                },
            ),
        ),
        StreamConsumer(
            "reports",
            filters=({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["ReportJob"]}}}},),
            batch_size=1,  # one job per invocation: each gets the function's whole time and memory
            retry_attempts=2,
            bisect_on_error=False,
            parallelization_factor=4,  # jobs landing on one shard run side by side, not one after another
        ),
    ),
    timers=TimerQueue("timers"),
    schedules=(
        Schedule(
            "settle-wrap-ups",
            "wrap_up_sweep",
            "rate(1 minute)",
            "Record wrap-ups that elapsed since the last run (reads already show them over)",
        ),
        Schedule(
            "compile-daily-attendance",
            "reports",
            "rate(1 hour)",
            "Compile each organization's attendance files once its local day is over",
        ),
        Schedule(
            "compile-monthly-attendance",
            "reports",
            # Hourly on the days a month can end on somewhere (UTC+14 to UTC-12), plus two to catch up.
            "cron(40 * 1,2,3,28-31 * ? *)",
            "Compile each organization's monthly attendance rollup once its local month is over",
            detail='{"report":"monthly"}',
        ),
    ),
)
