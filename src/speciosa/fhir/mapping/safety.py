"""DetectedIssue <-> safety.Alert (a cited safety-rule finding about one patient).

Read and search only: alerts are raised by the rule engine when the data change
(``patient_facts_changed``), and acknowledged in the app, never written by clients.
"""

from typing import Any

from django.db.models import Q

from speciosa.clinical.safety.rules import load_rules
from speciosa.fhir.codesystems import CodeSystemDef, Concept, register_code_system
from speciosa.fhir.mapping.common import ext, instant, meta, prune, ref
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.safety.models import Alert, AlertStatus

ALERT_STATUS = CodeSystemDef(
    name="alert-status",
    title="Speciosa alert status",
    description="Where an alert is in its acknowledgement trail.",
    concepts=tuple(Concept(v, str(label)) for v, label in AlertStatus.choices),
)
SAFETY_RULE_CS = CodeSystemDef(
    name="safety-rule",
    title="Speciosa safety rules",
    description=(
        "DetectedIssue.code: the id of the cited safety rule that raised the alert "
        "(clinical/safety/data/rules; each rule carries its citations)."
    ),
    concepts=tuple(Concept(r.id, r.title) for r in load_rules()),
)
SAFETY_RULE = SAFETY_RULE_CS.url
register_code_system(ALERT_STATUS)
register_code_system(SAFETY_RULE_CS)
ALERT_STATUS_URL = ext("alert-status")
SEVERITY = {"critical": "high", "high": "high", "moderate": "moderate", "info": "low"}
SUBSTANCE_WORDS = (
    "kratom",
    "opioid",
    "alcohol",
    "benzodiazepine",
    "substance",
    "withdrawal",
    "naltrexone",
    "buprenorphine",
    "fentanyl",
    "seven",
    "7-oh",
    "stimulant",
)


def is_substance_related(alert: Any) -> bool:
    text = f"{alert.rule_id} {alert.triggers}".lower()
    return any(word in text for word in SUBSTANCE_WORDS)


def alert_to_fhir(alert: Alert) -> dict[str, Any]:
    mitigation = []
    acknowledgement = f"{alert.get_status_display()}: {alert.acknowledgement_reason}".strip(": ")
    if alert.acknowledged_at:
        mitigation.append(
            prune(
                {
                    "action": {"text": acknowledgement},
                    "date": instant(alert.acknowledged_at),
                    "author": ref("Practitioner", alert.acknowledged_by.uid)
                    if alert.acknowledged_by
                    else None,
                }
            )
        )
    detail = alert.message
    if alert.action:
        detail = f"{detail}\nRecommended action: {alert.action}"
    if alert.citations:
        detail = f"{detail}\nEvidence: " + "; ".join(alert.citations)
    return prune(
        {
            "resourceType": "DetectedIssue",
            "id": str(alert.uid),
            "meta": meta(alert, part2=is_substance_related(alert)),
            "extension": [{"url": ALERT_STATUS_URL, "valueCode": alert.status}],
            "status": "cancelled" if alert.resolved_at else "final",
            "code": {
                "coding": [{"system": SAFETY_RULE, "code": alert.rule_id, "display": alert.title}],
                "text": alert.title,
            },
            "severity": SEVERITY.get(alert.severity, "moderate"),
            "patient": ref("Patient", alert.patient.uid),
            "identifiedDateTime": instant(alert.opened_at),
            "detail": detail,
            "mitigation": mitigation,
        }
    )


def status_filter(value: str) -> Q:
    code = token_parts(value)[1]
    if code == "final":
        return Q(resolved_at__isnull=True)
    if code == "cancelled":
        return Q(resolved_at__isnull=False)
    return NOTHING


def severity_filter(value: str) -> Q:
    code = token_parts(value)[1]
    ours = [k for k, v in SEVERITY.items() if v == code]
    return Q(severity__in=ours) if ours else NOTHING


DETECTED_ISSUE = register(
    ResourceType(
        name="DetectedIssue",
        sources=[
            Source(
                key="alert",
                model=Alert,
                to_fhir=alert_to_fhir,
                select_related=("patient", "acknowledged_by"),
                filters={
                    "code": lambda v: Q(rule_id=token_parts(v)[1]),
                    "status": status_filter,
                    "severity": severity_filter,
                    "identified": date_filter("opened_at"),
                    "date": date_filter("opened_at"),
                },
            )
        ],
        params={
            "code": ParamDoc("token", "Safety rule id"),
            "status": ParamDoc("token", "final (active) or cancelled (resolved)"),
            "severity": ParamDoc("token", "high, moderate, low"),
            "identified": ParamDoc("date", "When the alert was raised"),
            "date": ParamDoc("date", "When the alert was raised (alias)"),
        },
        includes={"patient": ("Patient", "patient_id")},
        documentation="Safety alerts; raised by the rule engine, read-only over FHIR",
    )
)
