"""Status rule firings in the table: one item per agent, rule, stint and tier, written once.

Keys (nobody else builds them):
  firing  pk=ORG#{org}#AGENT#{agent}  sk=RULE#{rule}#{stint}#{tier:02d}  entity=RuleFiring (streamed, pushed)

The firing and its line in the supervisor-actions log are one transaction conditional on the firing not
existing: a timer delivered twice (SQS is at least once) records and pushes the firing once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.environment import environment
from contactcenter.store import clients
from contactcenter.store.items import from_item, to_item, translate
from contactcenter.store.supervision import SupervisorAction, action_put


def _pk(organization_id: str, agent_id: str) -> str:
    return f"ORG#{organization_id}#AGENT#{agent_id}"


def _sk(rule_id: str, stint: str, tier: int) -> str:
    return f"RULE#{rule_id}#{stint}#{tier:02d}"


@dataclass(frozen=True)
class LastFiring:
    stint: str
    tier: int
    at: datetime


def last_firing(organization_id: str, agent_id: str, rule_id: str, *, client: Any = None) -> LastFiring | None:
    """The agent's latest firing of this rule (stints sort by time in the key)."""
    client = client or clients.dynamodb()
    response = client.query(
        TableName=environment().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :rule)",
        ExpressionAttributeValues={":pk": {"S": _pk(organization_id, agent_id)}, ":rule": {"S": f"RULE#{rule_id}#"}},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = response.get("Items", [])
    if not items:
        return None
    values = from_item(items[0])
    return LastFiring(values["stint"], int(values["tierIndex"]), datetime.fromisoformat(values["at"]))


def record_firing(firing: Mapping[str, Any], action: SupervisorAction, *, client: Any = None) -> bool:
    """Writes the firing and its log line; False if this firing is recorded already."""
    client = client or clients.dynamodb()
    item = {
        "pk": {"S": _pk(firing["organizationId"], firing["agentId"])},
        "sk": {"S": _sk(firing["ruleId"], firing["stint"], int(firing["tierIndex"]))},
        **to_item({"entity": "RuleFiring", **firing}),
    }
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": environment().table_name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                action_put(action),
            ]
        )
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            return False
        raise translate(error, conflict_message="") from error
    return True
