"""Consent <-> privacy.Part2Consent (a 42 CFR Part 2 consent to disclose).

Read and search only: consents are signed and revoked in the privacy app
(``speciosa.privacy.services``), which also checks every disclosure against them.
"""

from typing import Any

from django.db.models import Q
from django.utils import timezone

from speciosa.clinical.privacy.part2 import DataCategory, Purpose
from speciosa.fhir.codesystems import CodeSystemDef, Concept, register_code_system
from speciosa.fhir.mapping.common import ACT_CODE, ext, instant, meta, prune, ref
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.privacy.models import Part2Consent

PURPOSE = CodeSystemDef(
    name="disclosure-purpose",
    title="Speciosa disclosure purpose",
    description="Purposes a Part 2 consent may name (Consent.provision.purpose).",
    concepts=tuple(Concept(p.value, p.value.replace("_", " ").capitalize()) for p in Purpose),
)
CATEGORY = CodeSystemDef(
    name="data-category",
    title="Speciosa data category",
    description="Categories of record a Part 2 consent covers (Consent.provision.code).",
    concepts=tuple(Concept(c.value, c.value.replace("_", " ").capitalize()) for c in DataCategory),
)
register_code_system(PURPOSE)
register_code_system(CATEGORY)
RECIPIENT_URL = ext("consent-recipient")
SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CATEGORY_LOINC = "http://loinc.org"


def consent_status(c: Any) -> str:
    if c.revoked_at or c.expires_at <= timezone.now():
        return "inactive"
    return "active" if c.signed_at else "proposed"


def consent_to_fhir(c: Part2Consent) -> dict[str, Any]:
    return prune(
        {
            "resourceType": "Consent",
            "id": str(c.uid),
            "meta": meta(c, part2=True),
            "extension": [{"url": RECIPIENT_URL, "valueString": c.recipient}],
            "status": consent_status(c),
            "scope": {"coding": [{"system": SCOPE, "code": "patient-privacy"}]},
            "category": [
                {"coding": [{"system": CATEGORY_LOINC, "code": "59284-0", "display": "Consent"}]}
            ],
            "patient": ref("Patient", c.patient.uid),
            "dateTime": instant(c.signed_at or c.created_at),
            "policyRule": {"coding": [{"system": ACT_CODE, "code": "42CFRPart2"}]},
            "provision": prune(
                {
                    "type": "permit",
                    "period": {"start": instant(c.effective_at), "end": instant(c.expires_at)},
                    "purpose": [{"system": PURPOSE.url, "code": p} for p in c.purposes or []],
                    "code": [
                        {"coding": [{"system": CATEGORY.url, "code": k}]}
                        for k in c.categories or []
                    ],
                }
            ),
        }
    )


def status_filter(value: str) -> Q:
    code = token_parts(value)[1]
    now = timezone.now()
    if code == "active":
        return Q(revoked_at__isnull=True, expires_at__gt=now, signed_at__isnull=False)
    if code == "inactive":
        return Q(revoked_at__isnull=False) | Q(expires_at__lte=now)
    if code == "proposed":
        return Q(revoked_at__isnull=True, expires_at__gt=now, signed_at__isnull=True)
    return NOTHING


CONSENT = register(
    ResourceType(
        name="Consent",
        sources=[
            Source(
                key="consent",
                model=Part2Consent,
                to_fhir=consent_to_fhir,
                select_related=("patient",),
                filters={
                    "status": status_filter,
                    "date": date_filter("effective_at"),
                },
            )
        ],
        params={
            "status": ParamDoc("token", "active, inactive, proposed"),
            "date": ParamDoc("date", "When the consent takes effect"),
        },
        includes={"patient": ("Patient", "patient_id")},
        documentation="42 CFR Part 2 consents to disclose (privacy app); read-only",
    )
)
