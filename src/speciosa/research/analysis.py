"""Study data -> the pure analysis inputs (CONSORT flows, outcome observations, retention).

Outcome values come only from subjects with an active research consent (as in the
export); CONSORT counts and retention times are aggregate flow data over everyone
screened / randomized (a withdrawal is itself the retention event).
"""

from datetime import datetime

from django.utils import timezone

from speciosa.clinical.research.analysis import (
    ConsortCounts,
    OutcomeObservation,
    RetentionRecord,
    SubjectFlow,
    consort_counts,
)
from speciosa.research.models import (
    Enrolment,
    EnrolmentStatus,
    Outcome,
    ScreeningLog,
    Study,
    StudyAssessment,
    StudyConsent,
)
from speciosa.research.queries import consented_enrolments


def primary_outcome(study: Study) -> Outcome | None:
    return study.outcomes.filter(is_primary=True).first()


def study_observations(study: Study, instrument_id: str) -> list[OutcomeObservation]:
    days = {v.code: v.day for v in study.visit_definitions.all()}
    rows = StudyAssessment.objects.filter(
        enrolment__in=consented_enrolments(study).values("pk"), instrument_id=instrument_id
    ).values_list("enrolment__subject_id", "enrolment__arm__code", "visit_code", "value")
    return [
        OutcomeObservation(subject, arm, days[visit] / 7, value)
        for subject, arm, visit, value in rows
        if visit in days
    ]


def study_consort(study: Study) -> ConsortCounts:
    latest: dict[int, str] = {}
    for patient_id, decision in (
        ScreeningLog.objects.filter(study=study)
        .order_by("screened_at", "id")
        .values_list("patient_id", "decision")
    ):
        latest[patient_id] = decision
    consented = set(StudyConsent.objects.filter(study=study).values_list("patient_id", flat=True))
    enrolments = {
        e.patient_id: e for e in Enrolment.objects.filter(study=study).select_related("arm")
    }
    outcome = primary_outcome(study)
    analysed: set[str] = set()
    if outcome is not None:
        analysed = {
            o.subject_id for o in study_observations(study, outcome.instrument_id) if o.week > 0
        }
    completed_visit = (
        study.visit_definitions.order_by("-day").values_list("code", flat=True).first()
    )
    completed = set(
        StudyAssessment.objects.filter(
            enrolment__study=study, visit_code=completed_visit
        ).values_list("enrolment__subject_id", flat=True)
    )
    flows = []
    for patient_id in set(latest) | set(enrolments):
        e = enrolments.get(patient_id)
        flows.append(
            SubjectFlow(
                subject_id=e.subject_id if e else f"screen-{patient_id}",
                eligible=e is not None or latest.get(patient_id) == "eligible",
                consented=e is not None or patient_id in consented,
                arm=e.arm.code if e else None,
                completed=bool(
                    e and (e.status == EnrolmentStatus.COMPLETED or e.subject_id in completed)
                ),
                withdrew=bool(e and e.status in {EnrolmentStatus.WITHDRAWN, EnrolmentStatus.LOST}),
                analysed=bool(e and e.subject_id in analysed),
            )
        )
    return consort_counts(flows, [a.code for a in study.arms.all()])


def study_retention(study: Study, now: datetime | None = None) -> list[RetentionRecord]:
    now = now or timezone.now()
    last_seen = {}
    for subject, at in StudyAssessment.objects.filter(enrolment__study=study).values_list(
        "enrolment__subject_id", "assessed_at"
    ):
        last_seen[subject] = max(at, last_seen.get(subject, at))
    records = []
    for e in Enrolment.objects.filter(study=study).select_related("arm"):
        dropped = e.status in {EnrolmentStatus.WITHDRAWN, EnrolmentStatus.LOST}
        if dropped:
            end = e.ended_at or now
        elif e.status == EnrolmentStatus.COMPLETED:
            end = e.ended_at or last_seen.get(e.subject_id, now)
        else:
            end = now
        days = max((end - e.randomized_at).total_seconds() / 86400, 0.5)
        records.append(RetentionRecord(e.subject_id, e.arm.code, days, dropped))
    return records
