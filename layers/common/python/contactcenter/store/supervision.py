"""What supervisors do beside changing an agent: messages, monitoring sessions, and the action log.

Keys (nobody else builds them):
  message     pk=ORG#{org}#AGENT#{agent}    sk=MSG#{at}#{id}        entity=AgentMessage (streamed, pushed)
  monitoring  pk=ORG#{org}#MONITORING       sk={sessionId}          entity=MonitoringSession
  action log  pk=ORG#{org}#ACTIONS#{day}    sk={at}#{id}            entity=SupervisorAction (reports read it)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.errors import NotFound
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class SupervisorAction:
    """One line of the supervisor-actions report: who did what to whom, when and why."""

    organization_id: str
    action_id: str
    at: datetime
    day: str  # the organization's local day
    supervisor_id: str
    agent_id: str
    action: str  # message, monitoring_started, monitoring_stopped, forced_status, ...
    detail: str = ""
    reason: str = ""


def action_put(action: SupervisorAction) -> dict[str, Any]:
    """The action log line as a transaction's Put (written beside what it logs)."""
    return {"Put": {"TableName": environment().table_name, "Item": _action_item(action)}}


def _action_item(action: SupervisorAction) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORG#{action.organization_id}#ACTIONS#{action.day}"},
        "sk": {"S": f"{_iso(action.at)}#{action.action_id}"},
        **to_item(
            {
                "entity": "SupervisorAction",
                "organizationId": action.organization_id,
                "actionId": action.action_id,
                "at": _iso(action.at),
                "supervisorId": action.supervisor_id,
                "agentId": action.agent_id,
                "action": action.action,
                "detail": action.detail,
                "reason": action.reason,
            }
        ),
    }


def record_message(action: SupervisorAction, *, text: str, sender_name: str, client: Any = None) -> dict[str, Any]:
    """The message (pushed to the agent by the stream) and its log line, in one transaction."""
    client = client or clients.dynamodb()
    table = environment().table_name
    message = {
        "organizationId": action.organization_id,
        "agentId": action.agent_id,
        "messageId": action.action_id,
        "at": _iso(action.at),
        "fromId": action.supervisor_id,
        "fromName": sender_name,
        "text": text,
    }
    item = {
        "pk": {"S": f"ORG#{action.organization_id}#AGENT#{action.agent_id}"},
        "sk": {"S": f"MSG#{_iso(action.at)}#{action.action_id}"},
        **to_item({"entity": "AgentMessage", **message}),
    }
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": _action_item(action)}},
        ]
    )
    return message


def start_monitoring(action: SupervisorAction, *, mode: str, item_id: str, client: Any = None) -> dict[str, Any]:
    client = client or clients.dynamodb()
    table = environment().table_name
    session = {
        "sessionId": action.action_id,
        "organizationId": action.organization_id,
        "agentId": action.agent_id,
        "supervisorId": action.supervisor_id,
        "mode": mode,
        "itemId": item_id,
        "startedAt": _iso(action.at),
    }
    item = {
        "pk": {"S": f"ORG#{action.organization_id}#MONITORING"},
        "sk": {"S": action.action_id},
        **to_item({"entity": "MonitoringSession", **session}),
    }
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": _action_item(action)}},
        ]
    )
    return session


def stop_monitoring(action: SupervisorAction, *, session_id: str, client: Any = None) -> dict[str, Any]:
    """End a session this supervisor started; NotFound if there is none open."""
    client = client or clients.dynamodb()
    table = environment().table_name
    key = {"pk": {"S": f"ORG#{action.organization_id}#MONITORING"}, "sk": {"S": session_id}}
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key,
                        "UpdateExpression": "SET endedAt = :at",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(endedAt) "
                        "AND supervisorId = :me AND agentId = :agent",
                        "ExpressionAttributeValues": {
                            ":at": {"S": _iso(action.at)},
                            ":me": {"S": action.supervisor_id},
                            ":agent": {"S": action.agent_id},
                        },
                    }
                },
                {"Put": {"TableName": table, "Item": _action_item(action)}},
            ]
        )
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            raise NotFound(
                "no open monitoring session of yours with this id", field="sessionId", rule="unknown_session"
            ) from error
        raise translate(error, conflict_message="the session changed meanwhile") from error
    return {"sessionId": session_id, "endedAt": _iso(action.at)}


def actions_of_day(organization_id: str, day: str, *, client: Any = None) -> list[dict[str, Any]]:
    """The supervisor-actions log of one local day, in time order."""
    client = client or clients.dynamodb()
    rows: list[dict[str, Any]] = []
    for page in client.get_paginator("query").paginate(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{organization_id}#ACTIONS#{day}"}},
    ):
        rows.extend(from_item(item) for item in page.get("Items", []))
    return rows
