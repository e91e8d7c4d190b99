"""OperationOutcome: the one error shape on every FHIR route.

``FhirError`` carries an HTTP status, an issue code (from the FHIR ``issue-type`` value
set) and a diagnostic a person can act on. Domain errors from the service layer are
translated here so the FHIR layer never invents its own rules.
"""

from typing import Any

from speciosa.clinical import errors

# http://hl7.org/fhir/R4/valueset-issue-type.html
ISSUE_CODE_FOR_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    500: "exception",
}


class FhirError(Exception):
    """An error answered as an OperationOutcome with ``status``."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str | None = None,
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or ISSUE_CODE_FOR_STATUS.get(status, "processing")
        self.expression = expression or []
        self.headers = headers or {}


def operation_outcome(
    diagnostics: str,
    *,
    code: str = "processing",
    severity: str = "error",
    expression: list[str] | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_for_error(exc: FhirError) -> dict[str, Any]:
    return operation_outcome(exc.diagnostics, code=exc.code, expression=exc.expression)


STATUS_FOR_DOMAIN_ERROR: list[tuple[type[errors.DomainError], int, str]] = [
    (errors.NotFound, 404, "not-found"),
    (errors.ConsentRequired, 403, "security"),
    (errors.PermissionDenied, 403, "forbidden"),
    (errors.StaleVersion, 412, "conflict"),
    (errors.Conflict, 409, "conflict"),
    (errors.InvalidInput, 422, "invalid"),
]


def fhir_error_from_domain(exc: errors.DomainError) -> FhirError:
    """Translate a service-layer error; the FHIR expression names the field when known."""
    for cls, status, code in STATUS_FOR_DOMAIN_ERROR:
        if isinstance(exc, cls):
            field = exc.detail.get("field")
            return FhirError(
                status,
                f"{exc.message} [{exc.code}]",
                code=code,
                expression=[field] if field else [],
            )
    return FhirError(400, f"{exc.message} [{exc.code}]", code="processing")
