"""The chart's Research panel: the program's open studies and this patient's state in each.

The chart is an identified page for the patient's clinicians, so it may show the study
subject id and arm next to the name (research pages show subject ids only). Five queries
whatever the number of studies.
"""

from dataclasses import dataclass

from django.db.models import Q

from speciosa.accounts.permissions import Action, can
from speciosa.clinical.research.study_status import StudyStatus
from speciosa.research.models import (
    ConsentDocument,
    ConsentMethod,
    Enrolment,
    ScreeningDecision,
    ScreeningLog,
    Study,
    StudyConsent,
)

SCREENING_OPEN = {StudyStatus.APPROVED, StudyStatus.ENROLLING, StudyStatus.PAUSED}


@dataclass
class StudyState:
    """One study as the chart shows it, with the buttons this user may press now."""

    study: Study
    document: ConsentDocument | None  # the current version, the one a new consent signs
    screening: ScreeningLog | None  # the latest: randomization reads only this one
    consent: StudyConsent | None  # the latest, active or withdrawn
    enrolment: Enrolment | None
    can_screen: bool = False
    can_consent: bool = False
    can_withdraw: bool = False
    can_enrol: bool = False

    @property
    def has_active_consent(self) -> bool:
        return self.consent is not None and self.consent.is_active

    @property
    def is_eligible(self) -> bool:
        return self.screening is not None and self.screening.decision == ScreeningDecision.ELIGIBLE


def _latest_by_study(rows) -> dict:
    latest: dict = {}
    for row in rows:  # ordered newest first
        latest.setdefault(row.study_id, row)
    return latest


def chart_research_panel(user, patient) -> dict:
    """Studies open to screening or enrolment in the patient's program, plus any study the
    patient has already consented to or joined (so a closed study's subject still shows)."""
    studies = list(
        Study.objects.filter(program_id=patient.program_id)
        .filter(
            Q(status__in=[StudyStatus.ENROLLING, StudyStatus.PAUSED])
            | Q(pk__in=StudyConsent.objects.filter(patient=patient).values("study_id"))
            | Q(pk__in=Enrolment.objects.filter(patient=patient).values("study_id"))
        )
        .order_by("protocol_id")
    )
    if not studies:
        return {"research_studies": []}
    ids = [s.pk for s in studies]
    screenings = _latest_by_study(
        ScreeningLog.objects.filter(study_id__in=ids, patient=patient).order_by(
            "-screened_at", "-id"
        )
    )
    consents = _latest_by_study(
        StudyConsent.objects.filter(study_id__in=ids, patient=patient)
        .select_related("document")
        .order_by("-signed_at", "-id")
    )
    enrolments = {
        e.study_id: e
        for e in Enrolment.objects.filter(study_id__in=ids, patient=patient).select_related("arm")
    }
    documents = {
        d.study_id: d for d in ConsentDocument.objects.filter(study_id__in=ids, is_current=True)
    }
    may_screen = can(user, Action.VIEW_CHART, patient.program_id)
    may_consent = can(user, Action.MANAGE_CONSENT, patient.program_id)
    may_enrol = can(user, Action.ENROL_SUBJECT, patient.program_id)
    states = []
    for study in studies:
        state = StudyState(
            study=study,
            document=documents.get(study.pk),
            screening=screenings.get(study.pk),
            consent=consents.get(study.pk),
            enrolment=enrolments.get(study.pk),
        )
        not_enrolled = state.enrolment is None
        state.can_screen = may_screen and not_enrolled and study.status in SCREENING_OPEN
        state.can_consent = (
            may_consent
            and not state.has_active_consent
            and state.document is not None
            and study.status in SCREENING_OPEN
        )
        state.can_withdraw = may_consent and state.has_active_consent
        state.can_enrol = (
            may_enrol
            and not_enrolled
            and study.is_enrolling
            and state.is_eligible
            and state.has_active_consent
        )
        states.append(state)
    return {"research_studies": states, "consent_methods": ConsentMethod.choices}
