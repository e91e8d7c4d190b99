"""Resolving the patient a written resource belongs to, within the caller's programs."""

import uuid
from typing import Any

from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import invalid, reference_id
from speciosa.patients.models import Patient


def patient_for_write(ctx: FhirContext, reference: Any, path: str) -> Patient:
    """The referenced patient if the caller may see it; 422 if missing, 404 if not found."""
    if not reference:
        raise invalid(path, "is required (Patient/<id>)")
    uid = reference_id(reference, "Patient", path)
    try:
        parsed = uuid.UUID(uid)
    except ValueError:
        raise invalid(path, f"Patient/{uid} does not exist", 404) from None
    patient = (
        Patient.objects.filter(program_id__in=ctx.program_ids, uid=parsed)
        .select_related("program")
        .first()
    )
    if patient is None:
        raise invalid(path, f"Patient/{uid} does not exist", 404)
    return patient
