"""Stream consumer: pushes each recorded change to the connections subscribed to it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from contactcenter.edge.clock import utc_now
from contactcenter.services import fanout
from contactcenter.store.items import from_item

logger = Logger(service="fanout")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def push_record(record: DynamoDBRecord) -> None:
    image = from_item(record.raw_event["dynamodb"]["NewImage"])
    if image.get("entity") == "Assignment":  # an agent's copy, new or saved
        old = record.raw_event["dynamodb"].get("OldImage")
        outcome = fanout.push_assignment(image, from_item(old) if old else None)
        logger.debug("pushed", extra={"delivered": outcome.delivered, "gone": len(outcome.gone)})
        return
    if image.get("entity") == "AgentMessage":
        fanout.push_message(image)
        return
    if image.get("entity") == "RuleFiring":
        fanout.push_rule_firing(image)
        return
    if image.get("entity") == "AgentAdherence":
        old = record.raw_event["dynamodb"].get("OldImage")
        fanout.push_adherence(image, from_item(old) if old else None)
        return
    if image.get("entity") == "Person":  # retired, or roles changed: their sessions are closed
        old = record.raw_event["dynamodb"].get("OldImage")
        fanout.close_changed_person_sessions(image, from_item(old) if old else None)
        return
    if image.get("entity") != "AgentChange":
        return  # the filter criteria keep these out; tolerate them anyway
    outcome = fanout.push_change(image)
    fanout.close_forced_out_sessions(image)
    logger.debug("pushed", extra={"delivered": outcome.delivered, "gone": len(outcome.gone)})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Pushes are collected while the records are processed, then delivered together, in record order.
    with fanout.batch(now=utc_now()):
        response = process_partial_response(
            event=event, record_handler=push_record, processor=processor, context=context
        )
    return dict(response)
