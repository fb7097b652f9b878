"""Events for other systems (the telephony platform, finance's systems) on the EventBridge bus."""

from __future__ import annotations

import json
from typing import Any

from contactcenter.environment import environment
from contactcenter.errors import Retryable
from contactcenter.store import clients

SOURCE = "contactcenter.supervision"


def publish(detail_type: str, detail: dict[str, Any], *, source: str = SOURCE, client: Any = None) -> None:
    client = client or clients.events()
    response = client.put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":")),
                "EventBusName": environment().event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise Retryable("the event could not be published: retry", rule="event_not_published")
