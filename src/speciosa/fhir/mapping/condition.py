"""Condition <-> patients.Diagnosis (ICD-10-CM).

Substance-use disorder diagnoses (ICD-10-CM F10-F19) carry the 42 CFR Part 2 label:
they identify a patient as having a substance-use disorder.
"""

from typing import Any

from django.db.models import Q

from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    ICD10CM,
    day,
    first_code,
    instant,
    invalid,
    meta,
    prune,
    read_date,
    ref,
)
from speciosa.fhir.mapping.subject import patient_for_write
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.patients import services
from speciosa.patients.models import Diagnosis

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SUD_PREFIXES = tuple(f"F{n}" for n in range(10, 20))


def is_substance_use_disorder(icd10: str) -> bool:
    return icd10.upper().startswith(SUD_PREFIXES)


def condition_to_fhir(d: Diagnosis) -> dict[str, Any]:
    status = "active" if d.is_active else "inactive"
    return prune(
        {
            "resourceType": "Condition",
            "id": str(d.uid),
            "meta": meta(d, part2=is_substance_use_disorder(d.icd10_code)),
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}],
            "code": {
                "coding": [{"system": ICD10CM, "code": d.icd10_code, "display": d.text}],
                "text": d.text,
            },
            "subject": ref("Patient", d.patient.uid),
            "onsetDateTime": day(d.onset_on),
            "recordedDate": instant(d.created_at),
        }
    )


def condition_fields(resource: dict[str, Any]) -> dict[str, Any]:
    code_value = resource.get("code") or {}
    icd10 = first_code(code_value, ICD10CM)
    if not icd10:
        raise invalid("Condition.code", f"needs an ICD-10-CM coding ({ICD10CM})")
    display = next(
        (c.get("display") for c in code_value.get("coding") or [] if c.get("system") == ICD10CM),
        None,
    )
    text = code_value.get("text") or display or icd10
    clinical = first_code(resource.get("clinicalStatus"), CLINICAL) or "active"
    if clinical not in ("active", "recurrence", "relapse", "inactive", "remission", "resolved"):
        raise invalid("Condition.clinicalStatus", f"unknown status {clinical!r}")
    onset = resource.get("onsetDateTime")
    return {
        "icd10_code": icd10,
        "text": text[:200],
        "onset_on": read_date(onset[:10] if onset else None, "Condition.onsetDateTime"),
        "is_active": clinical in ("active", "recurrence", "relapse"),
    }


def create_condition(ctx: FhirContext, resource: dict[str, Any]) -> Diagnosis:
    patient = patient_for_write(ctx, resource.get("subject"), "Condition.subject")
    fields = condition_fields(resource)
    return services.record_diagnosis(actor=ctx.user, patient=patient, **fields)


def update_condition(ctx: FhirContext, d: Diagnosis, resource: dict[str, Any], version: int):
    fields = condition_fields(resource)
    changes = {k: v for k, v in fields.items() if getattr(d, k) != v}
    return services.update_diagnosis(
        actor=ctx.user, diagnosis=d, expected_version=version, **changes
    )


def code_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system not in (None, ICD10CM):
        return NOTHING
    return Q(icd10_code__iexact=code)


def clinical_status_filter(value: str) -> Q:
    _, code = token_parts(value)
    if code in ("active", "inactive"):
        return Q(is_active=code == "active")
    return NOTHING


CONDITION = register(
    ResourceType(
        name="Condition",
        sources=[
            Source(
                key="diagnosis",
                model=Diagnosis,
                to_fhir=condition_to_fhir,
                select_related=("patient",),
                filters={
                    "code": code_filter,
                    "clinical-status": clinical_status_filter,
                    "onset-date": date_filter("onset_on", is_date=True),
                    "date": date_filter("onset_on", is_date=True),
                },
            )
        ],
        params={
            "code": ParamDoc("token", "ICD-10-CM code (http://hl7.org/fhir/sid/icd-10-cm|F11.20)"),
            "clinical-status": ParamDoc("token", "active or inactive"),
            "onset-date": ParamDoc("date", "Onset date"),
            "date": ParamDoc("date", "Onset date (alias)"),
        },
        includes={"patient": ("Patient", "patient_id"), "subject": ("Patient", "patient_id")},
        create=create_condition,
        update=update_condition,
    )
)
