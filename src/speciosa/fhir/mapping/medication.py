"""MedicationStatement <-> patients.Medication (generic name + RxNorm)."""

from typing import Any

from django.db.models import Q

from speciosa.fhir.codesystems import ROUTE
from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    RXNORM,
    first_code,
    instant,
    invalid,
    meta,
    number,
    prune,
    read_datetime,
    read_decimal,
    ref,
)
from speciosa.fhir.mapping.subject import patient_for_write
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.patients import services
from speciosa.patients.models import Medication

FHIR_STATUS = {"active": "active", "ordered": "intended", "stopped": "stopped"}
MODEL_STATUS = {v: k for k, v in FHIR_STATUS.items()} | {"completed": "stopped"}


def medication_to_fhir(m: Medication) -> dict[str, Any]:
    med_coding = (
        [{"system": RXNORM, "code": m.rxnorm_code, "display": m.name}] if m.rxnorm_code else []
    )
    dosage = prune(
        {
            "text": str(m),
            "timing": {"code": {"text": m.frequency}} if m.frequency else None,
            "route": {"coding": [{"system": ROUTE.url, "code": m.route}]} if m.route else None,
            "doseAndRate": [{"doseQuantity": prune({"value": number(m.dose), "unit": m.unit})}]
            if m.dose is not None
            else [],
        }
    )
    return prune(
        {
            "resourceType": "MedicationStatement",
            "id": str(m.uid),
            "meta": meta(m),
            "status": FHIR_STATUS.get(m.status, "unknown"),
            "medicationCodeableConcept": prune({"coding": med_coding, "text": m.name}),
            "subject": ref("Patient", m.patient.uid),
            "effectivePeriod": prune({"start": instant(m.start_at), "end": instant(m.stop_at)}),
            "dateAsserted": instant(m.created_at),
            "informationSource": ref("Practitioner", m.prescriber.uid) if m.prescriber else None,
            "reasonCode": [{"text": m.indication}] if m.indication else [],
            "dosage": [dosage],
        }
    )


def medication_fields(resource: dict[str, Any]) -> dict[str, Any]:
    med = resource.get("medicationCodeableConcept")
    if not med:
        raise invalid(
            "MedicationStatement.medication[x]",
            "medicationCodeableConcept is required (medicationReference is not supported)",
        )
    rxnorm = first_code(med, RXNORM) or ""
    display = next((c.get("display") for c in med.get("coding") or [] if c.get("display")), "")
    name = med.get("text") or display
    if not name:
        raise invalid("MedicationStatement.medicationCodeableConcept.text", "the name is required")
    status = resource.get("status")
    if status not in MODEL_STATUS:
        raise invalid(
            "MedicationStatement.status", f"{status!r}: use active, intended, stopped or completed"
        )
    dosages = resource.get("dosage") or [{}]
    dosage = dosages[0]
    quantity = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity") or {}
    route = first_code(dosage.get("route"), ROUTE.url) or ""
    if route and route not in ROUTE.codes():
        raise invalid("MedicationStatement.dosage.route", f"unknown route {route!r}")
    period = resource.get("effectivePeriod") or {}
    reasons = resource.get("reasonCode") or []
    return {
        "name": name,
        "rxnorm_code": rxnorm,
        "dose": read_decimal(quantity.get("value"), "MedicationStatement.dosage.doseQuantity"),
        "unit": quantity.get("unit", "") or "",
        "route": route,
        "frequency": ((dosage.get("timing") or {}).get("code") or {}).get("text", "") or "",
        "status": MODEL_STATUS[status],
        "start_at": read_datetime(period.get("start"), "MedicationStatement.effectivePeriod.start"),
        "stop_at": read_datetime(period.get("end"), "MedicationStatement.effectivePeriod.end"),
        "indication": (reasons[0].get("text") or "") if reasons else "",
    }


def create_medication(ctx: FhirContext, resource: dict[str, Any]) -> Medication:
    patient = patient_for_write(ctx, resource.get("subject"), "MedicationStatement.subject")
    fields = medication_fields(resource)
    return services.record_medication(actor=ctx.user, patient=patient, **fields)


def update_medication(ctx: FhirContext, m: Medication, resource: dict[str, Any], version: int):
    fields = medication_fields(resource)
    fields["name"] = fields["name"].strip().lower()
    changes = {k: v for k, v in fields.items() if getattr(m, k) != v}
    return services.update_medication(
        actor=ctx.user, medication=m, expected_version=version, **changes
    )


def code_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system == RXNORM:
        return Q(rxnorm_code=code)
    if system is None:
        return Q(rxnorm_code=code) | Q(name__iexact=code)
    return NOTHING


def status_filter(value: str) -> Q:
    _, code = token_parts(value)
    return Q(status=MODEL_STATUS[code]) if code in MODEL_STATUS else NOTHING


MEDICATION_STATEMENT = register(
    ResourceType(
        name="MedicationStatement",
        sources=[
            Source(
                key="medication",
                model=Medication,
                to_fhir=medication_to_fhir,
                select_related=("patient", "prescriber"),
                filters={
                    "code": code_filter,
                    "status": status_filter,
                    "effective": date_filter("start_at"),
                    "date": date_filter("start_at"),
                },
            )
        ],
        params={
            "code": ParamDoc("token", "RxNorm code or generic name"),
            "status": ParamDoc("token", "active, intended, stopped"),
            "effective": ParamDoc("date", "Start of the medication"),
            "date": ParamDoc("date", "Start of the medication (alias)"),
        },
        includes={"patient": ("Patient", "patient_id"), "subject": ("Patient", "patient_id")},
        create=create_medication,
        update=update_medication,
    )
)
