"""Scoped reads for the research app.

Staff see studies of their programs. Researchers (no clinical role) see study data only
for subjects with an active research consent, and only by study subject id. The
randomization list is read through ``allocated_entries`` only: unallocated slots stay
concealed from everyone.
"""

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet

from speciosa.accounts.access import memberships_for
from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import ConsentRequired, NotFound
from speciosa.clinical.research.visits import VisitDefinition as VisitDef
from speciosa.clinical.research.visits import VisitDue, plan_visits
from speciosa.research.models import (
    AdverseEvent,
    Enrolment,
    RandomizationEntry,
    Study,
    StudyConsent,
)


def studies_for_user(user) -> QuerySet[Study]:
    program_ids = {m.program_id for m in memberships_for(user)}
    return Study.objects.filter(program_id__in=program_ids).select_related("program")


def get_study_for_user(user, protocol_id: str, action: Action = Action.VIEW_STUDY_DATA) -> Study:
    """The study if ``user`` belongs to its program (else NotFound) and may do ``action``."""
    study = studies_for_user(user).filter(protocol_id=protocol_id).first()
    if study is None:
        raise NotFound("Study not found")
    require(user, action, study.program_id)
    return study


def active_consent(study: Study, patient) -> StudyConsent | None:
    return (
        StudyConsent.objects.filter(study=study, patient=patient, withdrawn_at__isnull=True)
        .order_by("-signed_at")
        .first()
    )


def require_active_consent(study: Study, patient) -> StudyConsent:
    consent = active_consent(study, patient)
    if consent is None:
        raise ConsentRequired(
            "research",
            f"No active research consent for {study.protocol_id}: study data cannot be recorded",
        )
    return consent


def consented_enrolments(study: Study) -> QuerySet[Enrolment]:
    """Enrolments whose patient holds an active consent: all a researcher may see."""
    active = StudyConsent.objects.filter(
        study=study, patient=OuterRef("patient"), withdrawn_at__isnull=True
    )
    return (
        Enrolment.objects.filter(study=study)
        .filter(Exists(active))
        .select_related("arm")
        .order_by("subject_id")
    )


def allocated_entries(study: Study) -> QuerySet[RandomizationEntry]:
    """Only slots already given to an enrolled subject; the rest of the list is concealed."""
    return (
        RandomizationEntry.objects.filter(study=study, enrolment__isnull=False)
        .select_related("arm", "enrolment")
        .order_by("allocated_at", "id")
    )


def visits_due(enrolment: Enrolment, today: date) -> list[VisitDue]:
    schedule = [
        VisitDef(v.code, v.label, v.day, v.window_days)
        for v in enrolment.study.visit_definitions.all()
    ]
    done = frozenset(enrolment.assessments.values_list("visit_code", flat=True))
    return plan_visits(schedule, enrolment.randomized_at.date(), today, done)


def pending_sae_deadlines(study: Study) -> QuerySet[AdverseEvent]:
    """Serious events with a report still due, soonest first (for the dashboard)."""
    return (
        AdverseEvent.objects.filter(enrolment__study=study, next_deadline_at__isnull=False)
        .select_related("enrolment", "enrolment__arm")
        .order_by("next_deadline_at")
    )
