"""Helpers shared by the mapping modules: references, meta, dates, labels."""

from datetime import UTC as UTC_TZ
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from speciosa.fhir.outcome import FhirError

# Canonical base for Speciosa's own code systems and extensions. It identifies them; it
# is not a page clients must fetch (the CodeSystems are served at /fhir/CodeSystem).
CANONICAL = "http://speciosa.org/fhir"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PART2_LABELS = [
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
]
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


def cs(name: str) -> str:
    """Canonical URL of the Speciosa CodeSystem ``name``."""
    return f"{CANONICAL}/CodeSystem/{name}"


def ext(name: str) -> str:
    return f"{CANONICAL}/StructureDefinition/{name}"


def instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is UTC_TZ:  # what the database returns: skip the conversion (hot path)
        return value.isoformat().replace("+00:00", "Z")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.UTC)
    return value.astimezone(timezone.UTC).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def patient_ref(obj: Any) -> dict[str, str]:
    """Reference to the record's patient: from an export row (``patient_uid``) or a model."""
    uid = getattr(obj, "patient_uid", None) or obj.patient.uid
    return {"reference": f"Patient/{uid}"}


def ref(resource_type: str, uid: Any, display: str = "") -> dict[str, str]:
    out = {"reference": f"{resource_type}/{uid}"}
    if display:
        out["display"] = display
    return out


def meta(obj: Any, *, version: Any = None, updated: datetime | None = None, part2: bool = False):
    out: dict[str, Any] = {
        "versionId": str(version if version is not None else getattr(obj, "version", 1)),
        "lastUpdated": instant(updated or getattr(obj, "updated_at", None) or timezone.now()),
    }
    if part2:
        out["security"] = PART2_LABELS
    return out


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def prune(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: FHIR forbids empty strings, arrays and objects."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def number(value: Any) -> float | int:
    """JSON number for a Decimal: an int when whole (12, not 12.00), else a float."""
    if isinstance(value, Decimal):
        whole = int(value)
        return whole if whole == value else float(value)
    return value


# --- reading resources ----------------------------------------------------------------


def invalid(path: str, reason: str, status: int = 422) -> FhirError:
    return FhirError(status, f"{path}: {reason}", code="invalid", expression=[path])


def codes_in(concept_value: Any, system: str) -> list[str]:
    if not isinstance(concept_value, dict):
        return []
    return [
        c.get("code", "")
        for c in concept_value.get("coding") or []
        if c.get("system") == system and c.get("code")
    ]


def first_code(concept_value: Any, system: str) -> str | None:
    found = codes_in(concept_value, system)
    return found[0] if found else None


def reference_id(value: Any, resource_type: str, path: str) -> str:
    """``{"reference": "Patient/abc"}`` -> ``"abc"``; anything else is a 422."""
    reference = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(reference, str) or "/" not in reference:
        raise invalid(path, f"must be a reference to a {resource_type} ('{resource_type}/<id>')")
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if parts[-2] != resource_type:
        raise invalid(path, f"must reference a {resource_type}, not {parts[-2]}")
    return parts[-1]


def read_date(value: Any, path: str) -> date | None:
    if value in (None, ""):
        return None
    parsed = parse_date(str(value)[:10]) if isinstance(value, str) else None
    if parsed is None or (isinstance(value, str) and len(value) < 10):
        raise invalid(path, f"{value!r} is not a full date (YYYY-MM-DD)")
    return parsed


def read_datetime(value: Any, path: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        as_date = read_date(value, path)
        if as_date is None:
            return None
        parsed = datetime(as_date.year, as_date.month, as_date.day)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def read_decimal(value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise invalid(path, f"{value!r} is not a number") from exc
