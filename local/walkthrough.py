"""What `python -m local` prints once the stack is up: URLs, tokens and a walkthrough that works as shown."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from local.issuer import LocalUser


def first_with_role(users: Sequence[LocalUser], role: str) -> LocalUser | None:
    return next((user for user in users if role in user.roles), None)


def environment_lines(endpoints: Mapping[str, Any], tokens: Mapping[str, str], users: Sequence[LocalUser]) -> list[str]:
    """`export` lines for a shell: the URLs, and TOKEN / SUPERVISOR_TOKEN for the walkthrough's users."""
    lines = [
        f"export API={shlex.quote(endpoints['apiUrl'])}",
        f"export WS={shlex.quote(endpoints['wsUrl'])}",
    ]
    agent = first_with_role(users, "AGENT")
    supervisor = first_with_role(users, "SUPERVISOR")
    if agent is not None:
        lines.append(f"export TOKEN={tokens[agent.username]}")
    if supervisor is not None:
        lines.append(f"export SUPERVISOR_TOKEN={tokens[supervisor.username]}")
    return lines


def banner(
    endpoints: Mapping[str, Any],
    tokens: Mapping[str, str],
    users: Sequence[LocalUser],
    *,
    unit_id: str | None,
    env_file: str,
) -> str:
    lines = [
        "",
        "Local stack is up (Ctrl-C stops it).",
        f"  web console         {endpoints['apiUrl']}/   (sign in as any user below; agents, supervisors, finance)",
        f"  HTTP API            {endpoints['apiUrl']}",
        f"  WebSocket API       {endpoints['wsUrl']}?token=<id token>",
        f"  management API      {endpoints['managementUrl']}/@connections/<connectionId>",
        f"  JWKS                {endpoints['jwksUrl']}",
        f"  moto (AWS services) {endpoints['motoUrl']}   table {endpoints['tableName']}",
        "",
    ]
    if users:
        lines.append(
            'Users and ID tokens (mint a fresh one: curl -X POST $API/_local/tokens -d \'{"username":"..."}\'):'
        )
        for user in users:
            lines.append(f"  {user.username} ({', '.join(user.roles) or 'no role'}):")
            lines.append(f"    {tokens[user.username]}")
        lines.append("")
    lines += ["In each terminal (sets API, WS, TOKEN and SUPERVISOR_TOKEN):", f"  source {shlex.quote(env_file)}"]
    agent = first_with_role(users, "AGENT")
    supervisor = first_with_role(users, "SUPERVISOR")
    unit = unit_id or "<unitId>"
    if supervisor is not None:
        lines += [
            "",
            f"Watch as {supervisor.username} (supervisor), then type the subscribe message:",
            '  .venv/bin/python -m websockets "$WS?token=$SUPERVISOR_TOKEN"',
            f'  {{"action":"subscribe","units":["{unit}"]}}',
        ]
    if agent is not None:
        lines += [
            "",
            f"Clock in as {agent.username} (agent), and read the state back:",
            f'  curl -X POST $API/me/clock-in -H "Authorization: Bearer $TOKEN" '
            f'-H \'content-type: application/json\' -d \'{{"unitId":"{unit}","platform":"web"}}\'',
            '  curl $API/me/state -H "Authorization: Bearer $TOKEN"',
        ]
    lines += [
        "",
        'Local controls: POST $API/_local/streams/drain, POST $API/_local/clock {"now": "..."},',
        "  POST $API/_local/schedules/<name>/fire (see docs/local-stack.md).",
        "",
    ]
    return "\n".join(lines)
