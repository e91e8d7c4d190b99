"""Structural validation with fhir.resources.

fhir.resources 8.x ships R5 as its default package, R4B (4.3.0) and STU3; there is no
plain R4 package any more. R4B kept R4's definitions of every resource Speciosa speaks
(it changed only medication-knowledge and evidence resources, which we do not use), so
R4B models are the closest validator for the R4 (4.0.1) resources this server emits.
"""

from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from speciosa.fhir.outcome import FhirError


@cache
def model_class(resource_type: str) -> Any:
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError) as exc:
        raise FhirError(400, f"Unknown resourceType {resource_type!r}") from exc


def describe_errors(exc: ValidationError) -> tuple[str, list[str]]:
    parts, paths = [], []
    for err in exc.errors()[:5]:
        path = ".".join(str(p) for p in err.get("loc", ()))
        paths.append(path)
        parts.append(f"{path or '(resource)'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts), paths


def validate_resource(data: Any, expected_type: str | None = None) -> dict[str, Any]:
    """Check ``data`` is a well-formed resource of ``expected_type``; 400/422 otherwise."""
    if not isinstance(data, dict):
        raise FhirError(400, "The body must be a JSON object (a FHIR resource)")
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str):
        raise FhirError(400, "The resource has no resourceType", expression=["resourceType"])
    if expected_type is not None and resource_type != expected_type:
        raise FhirError(
            400,
            f"Expected a {expected_type} resource but the body is a {resource_type}",
            expression=["resourceType"],
        )
    cls = model_class(resource_type)
    try:
        cls.model_validate(data)
    except ValidationError as exc:
        message, paths = describe_errors(exc)
        raise FhirError(
            422, f"Invalid {resource_type}: {message}", code="structure", expression=paths
        ) from exc
    return data


def is_valid_resource(data: dict[str, Any]) -> bool:
    """For tests and the export self-check: True when fhir.resources accepts ``data``."""
    try:
        validate_resource(data)
    except FhirError:
        return False
    return True
