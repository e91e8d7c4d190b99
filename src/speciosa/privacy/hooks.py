"""The calls every disclosure path makes. One function per channel.

* PDF for a third party: ``record_disclosure(actor=..., patient=..., recipient=...,
  purpose=..., categories=[...], channel=Channel.PDF_EXPORT)`` before rendering; print
  ``receipt.notice`` and ``receipt.scope`` on the document (wired for plan PDFs in
  ``speciosa.plans.disclosure.disclose_plan_pdf``).
* FHIR by an external client app (``ApiToken.is_external_client``):
  ``guard_external_fhir_request`` before the view and ``disclose_external_fhir_response``
  after it (wired into ``speciosa.fhir.http.fhir_endpoint``).
* Bulk export to a registry: ``disclose_to_registry(actor, patients, recipient, ...)``
  returns the patients that may be included (with receipts) and those left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import transaction

from speciosa.clinical.errors import ConsentRequired
from speciosa.clinical.privacy.part2 import Channel, DataCategory, Purpose
from speciosa.patients.models import Patient
from speciosa.privacy.services import DisclosureReceipt, record_disclosure

ALL_CATEGORIES = frozenset(DataCategory)
# What a FHIR resource type discloses. Observation is read from labs, substance use and
# scores, so it needs all three; a type not listed here needs every category (fail closed).
FHIR_CATEGORIES: dict[str, frozenset[DataCategory]] = {
    "Patient": frozenset({DataCategory.DEMOGRAPHICS}),
    "EpisodeOfCare": frozenset({DataCategory.EPISODES}),
    "Condition": frozenset({DataCategory.DIAGNOSES}),
    "MedicationStatement": frozenset({DataCategory.MEDICATIONS}),
    "MedicationRequest": frozenset({DataCategory.MEDICATIONS}),
    "Observation": frozenset({DataCategory.LABS, DataCategory.SUBSTANCE_USE, DataCategory.SCORES}),
    "QuestionnaireResponse": frozenset({DataCategory.SCORES}),
    "CarePlan": frozenset({DataCategory.PLANS}),
    "DetectedIssue": frozenset({DataCategory.ALERTS}),
    "ResearchSubject": frozenset({DataCategory.STUDY_DATA}),
}
# HL7 v3 ActCode security labels (HL7 DS4P): the Part 2 privacy law and the obligation
# "no redisclosure without consent directive".
PART2_SECURITY_LABELS = [
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NORDSCLCD"},
]
PURPOSE_HEADER = "X-Purpose-Of-Use"
NOTICE_HEADER = "X-Part2-Notice"


def _resources(body: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(body, dict):
        return
    if body.get("resourceType") == "Bundle":
        for item in body.get("entry") or []:
            resource = item.get("resource") if isinstance(item, dict) else None
            if isinstance(resource, dict):
                yield from _resources(resource)
    else:
        yield body


def _patient_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref.split("/")[-2:-1] == ["Patient"]:
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from _patient_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patient_refs(value)


def categories_by_patient(body: Any) -> dict[str, set[DataCategory]]:
    """Patient id -> the categories of data about that patient in a FHIR response."""
    out: dict[str, set[DataCategory]] = {}
    for resource in _resources(body):
        kind = str(resource.get("resourceType", ""))
        wanted = FHIR_CATEGORIES.get(kind, ALL_CATEGORIES)
        ids = [str(resource.get("id"))] if kind == "Patient" else list(_patient_refs(resource))
        for pid in ids:
            out.setdefault(pid, set()).update(wanted)
    return out


def _label(body: Any) -> Any:
    for resource in [body, *list(_resources(body))]:
        if isinstance(resource, dict):
            meta = resource.setdefault("meta", {})
            have = {(s.get("system"), s.get("code")) for s in meta.get("security", [])}
            meta["security"] = meta.get("security", []) + [
                s for s in PART2_SECURITY_LABELS if (s["system"], s["code"]) not in have
            ]
    return body


def external_purpose(request) -> Purpose:
    raw = request.headers.get(PURPOSE_HEADER, Purpose.TREATMENT.value).strip().lower()
    try:
        return Purpose(raw)
    except ValueError:
        return Purpose.OTHER  # still needs a consent naming "other"


def guard_external_fhir_request(ctx, request) -> None:
    """Bulk $export streams whole programs: not to an external client (use the registry
    export, which checks consent patient by patient)."""
    if "$export" in request.path:
        raise ConsentRequired(
            Purpose.REGISTRY_REPORTING.value,
            "Bulk export to an external client needs per-patient consent: use the registry "
            "export (speciosa.privacy.hooks.disclose_to_registry)",
        )


def disclose_external_fhir_response(ctx, request, response):
    """Refuse the whole response unless every patient in it consented to this client;
    log one disclosure per patient and label the data with the Part 2 notice."""
    if response.status_code >= 300 or "json" not in response.get("Content-Type", ""):
        return response
    body = orjson.loads(response.content)
    wanted = categories_by_patient(body)
    if wanted:
        patients = {
            str(p.uid): p
            for p in Patient.objects.filter(
                uid__in=[pid for pid in wanted if _is_uuid(pid)], program_id__in=ctx.program_ids
            )
        }
        purpose = external_purpose(request)
        with transaction.atomic():  # all patients or none: no half-logged disclosure
            for pid, categories in sorted(wanted.items()):
                patient = patients.get(pid)
                if patient is None:
                    raise ConsentRequired(purpose.value, "Response names an unknown patient")
                record_disclosure(
                    actor=ctx.user,
                    patient=patient,
                    recipient=ctx.token.name,
                    purpose=purpose.value,
                    categories=[c.value for c in categories],
                    channel=Channel.FHIR_EXTERNAL_CLIENT,
                    description=f"{request.method} {request.path}"[:300],
                    via_token=ctx.token,
                )
    response.content = orjson.dumps(_label(body))
    response[NOTICE_HEADER] = (
        "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
    )
    return response


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class RegistryDisclosure:
    included: list[tuple[Patient, DisclosureReceipt]] = field(default_factory=list)
    left_out: list[tuple[Patient, str]] = field(default_factory=list)


def disclose_to_registry(
    actor,
    patients: Iterable[Patient],
    *,
    recipient: str,
    categories: Iterable[str],
    purpose: str = Purpose.REGISTRY_REPORTING.value,
    description: str = "",
) -> RegistryDisclosure:
    """Split a registry export into consented patients (logged, with receipts) and the
    rest (left out, with the reason). The export writes only ``included``."""
    result = RegistryDisclosure()
    wanted = list(categories)
    for patient in patients:
        try:
            receipt = record_disclosure(
                actor=actor,
                patient=patient,
                recipient=recipient,
                purpose=purpose,
                categories=wanted,
                channel=Channel.BULK_EXPORT,
                description=description,
            )
        except ConsentRequired as exc:
            result.left_out.append((patient, exc.message))
        else:
            result.included.append((patient, receipt))
    return result
