"""What `python -m local` prints once the stack is up: URLs, tokens and a walkthrough that works as shown."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from local.issuer import LocalUser


def first_with_role(users: Sequence[LocalUser], role: str) -> LocalUser | None:
    return next((user for user in users if role in user.roles), None)


def token_variable(user: LocalUser) -> str:
    """TOKEN_ALICE for alice: a shell variable name per user."""
    return "TOKEN_" + re.sub(r"[^A-Za-z0-9]", "_", user.username).upper()


def environment_lines(endpoints: Mapping[str, Any], tokens: Mapping[str, str], users: Sequence[LocalUser]) -> list[str]:
    """`export` lines for a shell: the URLs, a TOKEN_<USER> per user, and TOKEN / SUPERVISOR_TOKEN for the
    walkthrough's agent and supervisor."""
    lines = [
        f"export API={shlex.quote(endpoints['apiUrl'])}",
        f"export WS={shlex.quote(endpoints['wsUrl'])}",
        f"export ISSUER={shlex.quote(endpoints['issuer'])}",
    ]
    lines += [f"export {token_variable(user)}={tokens[user.username]}" for user in users]
    agent = first_with_role(users, "AGENT")
    supervisor = first_with_role(users, "SUPERVISOR")
    if agent is not None:
        lines.append(f"export TOKEN={tokens[agent.username]}")
    if supervisor is not None:
        lines.append(f"export SUPERVISOR_TOKEN={tokens[supervisor.username]}")
    return lines


def _people_by_role(users: Sequence[LocalUser]) -> list[str]:
    by_role: dict[str, list[str]] = {}
    for user in users:
        by_role.setdefault(", ".join(user.roles) or "no role", []).append(user.username)
    return [f"{role.lower()}: {' '.join(names)}" for role, names in by_role.items()]


def banner(
    endpoints: Mapping[str, Any],
    tokens: Mapping[str, str],
    users: Sequence[LocalUser],
    *,
    unit_id: str | None,
    env_file: str,
) -> str:
    """A screenful: where things are, who can sign in and how, where the tokens are, one thing to try."""
    del tokens  # they are in the env file, not on the screen
    lines = [
        "",
        "Local stack is up (Ctrl-C stops it).",
        f"  web console    {endpoints['apiUrl']}/   (sign in as anyone listed)",
        f"  HTTP API       {endpoints['apiUrl']}",
        f"  WebSocket API  {endpoints['wsUrl']}?token=<id token>",
        f"  Sign-in        {endpoints['issuer']}  (OpenID Connect, client id {endpoints['clientId']}:",
        "                 a browser app's code + PKCE sign-in shows a page listing everyone)",
        f"  Tokens         source {shlex.quote(env_file)}",
        "                 (API, WS, ISSUER, TOKEN_<USER> for each user, TOKEN, SUPERVISOR_TOKEN);",
        f"                 {endpoints.get('endpointsFile', 'the endpoints file')} has them as JSON",
    ]
    if users:
        lines.append("  People         " + "; ".join(_people_by_role(users)))
    agent = first_with_role(users, "AGENT")
    if agent is not None:
        unit = unit_id or "<unitId>"
        lines += [
            "",
            f"Try it: clock {agent.username} in, then read the state back:",
            f"  source {shlex.quote(env_file)}",
            f'  curl -X POST $API/me/clock-in -H "Authorization: Bearer $TOKEN" '
            f'-H \'content-type: application/json\' -d \'{{"unitId":"{unit}","platform":"web"}}\'',
            '  curl $API/me/state -H "Authorization: Bearer $TOKEN"',
        ]
    lines.append("")
    return "\n".join(lines)
