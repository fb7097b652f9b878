"""The one family of domain errors; the edge maps each class to one HTTP status (see edge/http.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: `code` is a stable machine-readable name, `field` names the offending input."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule or self.code

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message, "rule": self.rule}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class Invalid(DomainError):
    """The request is well-formed but breaks a rule (unknown unit, transition not allowed...)."""

    code = "invalid"


class Unauthorized(DomainError):
    """No usable identity: missing, expired or forged token."""

    code = "unauthorized"


class Forbidden(DomainError):
    """The caller is known but may not do this (role, permission, tenant, unit)."""

    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """A concurrent change won, or the object's version is stale: reload and try again."""

    code = "conflict"


class Retryable(DomainError):
    """AWS throttled or timed out; nothing was written and the same request may be sent again."""

    code = "retryable"


class Throttled(DomainError):
    """The caller's organization sent more than its share (contactcenter/fairness.py): retry after a while."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after_seconds: int, rule: str | None = None) -> None:
        super().__init__(message, rule=rule)
        self.retry_after_seconds = retry_after_seconds
