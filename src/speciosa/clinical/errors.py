"""Domain errors raised by the core and the service layer.

Each error has a stable ``code`` that clients switch on, a human ``message`` and optional
``detail`` (e.g. the item or field at fault). The HTTP layer maps them to status codes;
the core knows nothing of HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = detail or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class InvalidInput(DomainError):
    """A value failed validation. ``detail['field']`` names the field at fault."""

    code = "invalid_input"

    def __init__(self, field: str, reason: str, **extra: Any) -> None:
        super().__init__(f"{field}: {reason}", detail={"field": field, "reason": reason, **extra})
        self.field = field
        self.reason = reason


class InvalidAnswer(InvalidInput):
    """A questionnaire answer is missing or out of range."""

    code = "invalid_answer"

    def __init__(self, item_id: str, reason: str) -> None:
        super().__init__(item_id, reason)
        self.item_id = item_id


class NotFound(DomainError):
    """The object does not exist *or* the caller may not know it exists (no 403 leaks)."""

    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class StaleVersion(DomainError):
    """Optimistic-lock failure: someone else saved a newer version first."""

    code = "stale_version"

    def __init__(self, kind: str, expected: int, current: int) -> None:
        super().__init__(
            f"{kind} was changed by someone else (you edited version {expected}, "
            f"current is {current}); reload and apply your change again",
            detail={"expected_version": expected, "current_version": current},
        )


class ConsentRequired(DomainError):
    code = "consent_required"

    def __init__(self, purpose: str, message: str | None = None) -> None:
        super().__init__(
            message or f"No active patient consent covers this disclosure ({purpose})",
            detail={"purpose": purpose},
        )


class Conflict(DomainError):
    code = "conflict"
