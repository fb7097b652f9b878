"""Stream consumer: each agent's recorded change arms the status rules' timers for the stint it starts and
recomputes the agent's live adherence (stored, and so pushed, only when it changed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from contactcenter.edge.clock import utc_now
from contactcenter.services import adherence, status_rules
from contactcenter.store.agents import state_from_item
from contactcenter.store.items import from_item

logger = Logger(service="watch")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def watch_record(record: DynamoDBRecord) -> None:
    image = from_item(record.raw_event["dynamodb"]["NewImage"])
    if image.get("entity") != "AgentChange" or not image.get("agent"):
        return  # the filter criteria keep these out; tolerate them anyway
    state = state_from_item(image["agent"])
    now = utc_now()
    armed = (
        status_rules.arm(state, now=now) if image.get("kind") == "status" or image.get("detail", {}).get("queue") else 0
    )
    if image.get("kind") == "status":
        adherence.recompute(state.organization_id, states=[state], now=now)
    logger.debug("watched", extra={"agentId": state.agent_id, "timers": armed})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=watch_record, processor=processor, context=context)
    )
