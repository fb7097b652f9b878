"""DynamoDB attribute-value marshalling and AWS-error translation shared by the store modules."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsConnectionError

from contactcenter.errors import Conflict, Invalid, Retryable

logger = logging.getLogger(__name__)

_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
# AWS could not be reached or did not answer in time, after botocore's own retries. Safe to send again:
# a write carries its condition and its idempotency record, so one that did arrive is not applied twice.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (HTTPClientError, AwsConnectionError)
# S3 (report files) asks to slow down, or failed on its side.
_RETRYABLE_S3_CODES = frozenset({"SlowDown", "InternalError", "RequestTimeout"})
# Why a transaction was cancelled when nothing about the request itself was wrong: DynamoDB throttled one
# of its items, or another transaction held one of them. Nothing was written; the same request may be sent
# again (botocore retries neither: TransactionCanceledException is not a throttling code).
_RETRYABLE_CANCELLATIONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB attribute values; None values are left out (absent, not NULL)."""
    serializer = _marshallers()[0]
    return {key: serializer.serialize(_plain(value)) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    deserializer = _marshallers()[1]
    return {key: _native(deserializer.deserialize(value)) for key, value in item.items()}


@cache
def _marshallers() -> tuple[Any, Any]:
    # boto3's marshallers pull in all of boto3: loaded with the first item, like the clients.
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _native(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, set):
        return {_native(v) for v in value}
    return value


def beyond_limits() -> Invalid:
    """The domain error for DynamoDB's ValidationException: a value the database cannot hold (a key over
    its size, a number over 38 digits, an item over 400 KB). The edge bounds every input so this should
    not happen; if something slips through, the caller gets a 422, not a 500."""
    return Invalid("a value is beyond what the database can hold", rule="beyond_database_limits")


def refuse_validation_errors(parsed: Mapping[str, Any], **_: Any) -> None:
    """botocore's `after-call` hook on the DynamoDB client (store/clients.py): every request's
    ValidationException becomes `beyond_limits()` before a ClientError is raised, for reads and writes
    alike, so no store function can let one through."""
    if parsed.get("Error", {}).get("Code") == "ValidationException":
        logger.warning("DynamoDB refused a request", extra={"error": parsed["Error"].get("Message")})
        raise beyond_limits()


def translate(error: ClientError, *, conflict_message: str) -> Exception:
    """AWS error -> domain error, so nothing above the store sees botocore."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons", [])}
        if "ValidationError" in reasons:
            return beyond_limits()
        if "ConditionalCheckFailed" not in reasons and reasons & _RETRYABLE_CANCELLATIONS:
            rule = (
                "transaction_conflict" if reasons & _RETRYABLE_CANCELLATIONS == {"TransactionConflict"} else "throttled"
            )
            return Retryable("the database is busy: retry the same request", rule=rule)
    if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
        return Conflict(conflict_message, rule="concurrent_change")
    if code in _RETRYABLE_CODES:
        return Retryable("the database is busy: retry the same request", rule="throttled")
    if code in _RETRYABLE_S3_CODES:
        return Retryable("the file store is busy: retry the same request", rule="throttled")
    return error


def unanswered() -> Retryable:
    """The domain error for one of TRANSIENT_ERRORS."""
    return Retryable("AWS did not answer in time: retry the same request", rule="timeout")
