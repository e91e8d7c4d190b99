"""ResearchStudy <-> research.Study, ResearchSubject <-> research.Enrolment,
AdverseEvent <-> research.AdverseEvent. Read and search only: studies, randomisation and
adverse-event reports change through the research app's services (IRB approval,
concealed allocation, reporting clocks), which have no FHIR equivalent to drive them.

The verbatim adverse-event term stays inside the program (the model says so); FHIR
carries the coded category, seriousness, CTCAE grade and relatedness.
"""

from typing import Any

from django.db.models import Q

from speciosa.fhir.codesystems import CodeSystemDef, Concept, register_code_system
from speciosa.fhir.mapping.common import (
    CANONICAL,
    concept,
    day,
    ext,
    instant,
    meta,
    prune,
    ref,
)
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.research.models import AdverseEvent, AdverseEventCategory, Enrolment, Study

STUDY_STATUS = {
    "draft": "in-review",
    "approved": "approved",
    "enrolling": "active",
    "paused": "temporarily-closed-to-accrual",
    "closed": "closed-to-accrual",
}
SUBJECT_STATUS = {
    "active": "on-study",
    "completed": "off-study",
    "withdrawn": "withdrawn",
    "lost": "off-study",
}
AE_CATEGORY = CodeSystemDef(
    name="adverse-event-category",
    title="Speciosa adverse-event category",
    description="Coded category of a study adverse event (the verbatim term is not shared).",
    concepts=tuple(Concept(v, str(label)) for v, label in AdverseEventCategory.choices),
)
AE_RELATEDNESS = CodeSystemDef(
    name="adverse-event-relatedness",
    title="Speciosa adverse-event relatedness",
    description="Investigator's causality assessment; possible, probable and definite make "
    "a suspected adverse reaction (21 CFR 312.32(a)).",
    concepts=tuple(
        Concept(c, c.replace("_", " ").capitalize())
        for c in ("not_related", "unlikely", "possible", "probable", "definite")
    ),
)
register_code_system(AE_CATEGORY)
register_code_system(AE_RELATEDNESS)
CTCAE_GRADE_URL = ext("ctcae-grade")
RELATEDNESS_URL = ext("adverse-event-relatedness")
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
SUBSTANCE_RELATED_CATEGORIES = {"withdrawal", "overdose"}


def study_to_fhir(study: Study) -> dict[str, Any]:
    arms = [prune({"name": arm.code, "description": arm.name}) for arm in study.arms.all()]
    return prune(
        {
            "resourceType": "ResearchStudy",
            "id": str(study.uid),
            "meta": meta(study),
            "identifier": [{"system": f"{CANONICAL}/sid/protocol", "value": study.protocol_id}],
            "title": study.title,
            "status": STUDY_STATUS.get(study.status, "in-review"),
            "description": study.summary,
            "period": prune(
                {"start": day(study.irb_approved_on), "end": day(study.irb_expires_on)}
            ),
            "sponsor": ref("Organization", study.program.uid, study.program.name),
            "arm": arms,
        }
    )


def subject_to_fhir(e: Enrolment) -> dict[str, Any]:
    return prune(
        {
            "resourceType": "ResearchSubject",
            "id": str(e.uid),
            "meta": meta(e),
            "identifier": [
                {"system": f"{CANONICAL}/sid/subject/{e.study.protocol_id}", "value": e.subject_id}
            ],
            "status": SUBJECT_STATUS.get(e.status, "on-study"),
            "period": prune({"start": instant(e.randomized_at), "end": instant(e.ended_at)}),
            "study": ref("ResearchStudy", e.study.uid),
            "individual": ref("Patient", e.patient.uid),
            "assignedArm": e.arm.code,
            "actualArm": e.arm.code,
        }
    )


def severity_for_grade(grade: int) -> str:
    return "mild" if grade <= 1 else "moderate" if grade == 2 else "severe"


def adverse_event_to_fhir(ae: AdverseEvent) -> dict[str, Any]:
    seriousness = "serious" if ae.is_serious else "non-serious"
    severity = severity_for_grade(ae.grade)
    return prune(
        {
            "resourceType": "AdverseEvent",
            "id": str(ae.uid),
            "meta": meta(ae, part2=ae.category in SUBSTANCE_RELATED_CATEGORIES),
            "extension": [
                {"url": CTCAE_GRADE_URL, "valueInteger": ae.grade},
                {
                    "url": RELATEDNESS_URL,
                    "valueCoding": {"system": AE_RELATEDNESS.url, "code": ae.relatedness},
                },
            ],
            "actuality": "actual",
            "event": concept(AE_CATEGORY.url, ae.category, AE_CATEGORY.display(ae.category)),
            "subject": ref("Patient", ae.enrolment.patient.uid),
            "date": day(ae.onset_on),
            "detected": instant(ae.aware_at),
            "recordedDate": instant(ae.created_at),
            "seriousness": concept(SERIOUSNESS, seriousness, seriousness.capitalize()),
            "severity": concept(SEVERITY, severity, severity.capitalize()),
            "outcome": concept(
                AE_OUTCOME,
                "resolved" if ae.resolved_on else "ongoing",
                "Resolved" if ae.resolved_on else "Ongoing",
            ),
            "study": [ref("ResearchStudy", ae.enrolment.study.uid)],
        }
    )


def status_filter(mapping: dict[str, str], field: str = "status"):
    def build(value: str) -> Q:
        code = token_parts(value)[1]
        ours = [k for k, v in mapping.items() if v == code]
        return Q(**{f"{field}__in": ours}) if ours else NOTHING

    return build


def study_ref_filter(path: str):
    def build(value: str) -> Q:
        import uuid

        try:
            return Q(**{path: uuid.UUID(value.rstrip("/").split("/")[-1])})
        except ValueError:
            return NOTHING

    return build


RESEARCH_STUDY = register(
    ResourceType(
        name="ResearchStudy",
        sources=[
            Source(
                key="study",
                model=Study,
                to_fhir=study_to_fhir,
                patient_path=None,
                select_related=("program",),
                filters={
                    "status": status_filter(STUDY_STATUS),
                    "identifier": lambda v: Q(protocol_id=token_parts(v)[1]),
                    "title": lambda v: Q(title__icontains=v),
                },
            )
        ],
        params={
            "status": ParamDoc("token", "active, approved, in-review, ..."),
            "identifier": ParamDoc("token", "Protocol id"),
            "title": ParamDoc("string", "Part of the title"),
        },
    )
)

RESEARCH_SUBJECT = register(
    ResourceType(
        name="ResearchSubject",
        sources=[
            Source(
                key="enrolment",
                model=Enrolment,
                to_fhir=subject_to_fhir,
                select_related=("patient", "study", "arm"),
                filters={
                    "status": status_filter(SUBJECT_STATUS),
                    "study": study_ref_filter("study__uid"),
                    "individual": study_ref_filter("patient__uid"),
                    "date": date_filter("randomized_at"),
                },
            )
        ],
        params={
            "status": ParamDoc("token", "on-study, off-study, withdrawn"),
            "study": ParamDoc("reference", "ResearchStudy/<id>"),
            "individual": ParamDoc("reference", "Patient/<id>"),
            "date": ParamDoc("date", "Randomisation time"),
        },
        includes={
            "patient": ("Patient", "patient_id"),
            "individual": ("Patient", "patient_id"),
            "study": ("ResearchStudy", "study_id"),
        },
    )
)

ADVERSE_EVENT = register(
    ResourceType(
        name="AdverseEvent",
        sources=[
            Source(
                key="adverse_event",
                model=AdverseEvent,
                to_fhir=adverse_event_to_fhir,
                patient_path="enrolment__patient",
                select_related=("enrolment__patient", "enrolment__study"),
                filters={
                    "study": study_ref_filter("enrolment__study__uid"),
                    "date": date_filter("onset_on", is_date=True),
                    "seriousness": lambda v: Q(is_serious=token_parts(v)[1] == "serious"),
                    "event": lambda v: Q(category=token_parts(v)[1]),
                },
            )
        ],
        params={
            "study": ParamDoc("reference", "ResearchStudy/<id>"),
            "date": ParamDoc("date", "Onset date"),
            "seriousness": ParamDoc("token", "serious or non-serious"),
            "event": ParamDoc("token", "adverse-event-category code"),
        },
    )
)
