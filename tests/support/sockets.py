"""Watch and break the API Gateway management API through botocore's event hooks (no mocks of our code)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Status:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


# API Gateway's limit on one WebSocket message: a post carrying more is refused with 413.
MESSAGE_BYTES_MAX = 128 * 1024


class ManagementApiTap:
    """Records every post; answers 410 for connections marked gone and 500 for ones marked broken, and 413
    for a message over 128 KB, as API Gateway does."""

    def __init__(self, client: Any) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.deleted: list[str] = []
        self.gone: set[str] = set()
        self.broken: set[str] = set()
        client.meta.events.register("before-call.apigatewaymanagementapi.PostToConnection", self._post)
        client.meta.events.register("before-call.apigatewaymanagementapi.DeleteConnection", self._delete)

    def _post(self, params: dict[str, Any], **_: Any) -> Any:
        connection_id = _connection_id(params)
        if connection_id in self.gone:
            return _Status(410), {"Error": {"Code": "GoneException", "Message": "gone"}}
        if connection_id in self.broken:
            return _Status(500), {"Error": {"Code": "InternalServerError", "Message": "broken"}}
        if len(params["body"]) > MESSAGE_BYTES_MAX:
            return _Status(413), {"Error": {"Code": "PayloadTooLargeException", "Message": "Message too long"}}
        self.posts.append((connection_id, json.loads(params["body"])))
        return None

    def _delete(self, params: dict[str, Any], **_: Any) -> Any:
        self.deleted.append(_connection_id(params))
        return None

    def received(self, connection_id: str) -> list[dict[str, Any]]:
        return [message for cid, message in self.posts if cid == connection_id]


def _connection_id(params: dict[str, Any]) -> str:
    # The serialized request: url_path ends with /@connections/{id}
    return str(params["url_path"]).rsplit("/", 1)[-1]
