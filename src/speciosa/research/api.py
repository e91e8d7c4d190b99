"""JSON API of the research app (django-ninja router, mounted at /api/research/).

Subjects appear by study subject id only. Lists of study data are limited to subjects
with an active research consent; the randomization list shows allocated slots only.
"""

from dataclasses import asdict
from uuid import UUID

from django.utils import timezone
from ninja import Router, Status

from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import InvalidInput, NotFound
from speciosa.measures.models import Score
from speciosa.patients.queries import get_patient_for_user
from speciosa.research import services
from speciosa.research.analysis import study_consort
from speciosa.research.models import AdverseEvent, Enrolment, StudyConsent
from speciosa.research.queries import (
    allocated_entries,
    consented_enrolments,
    get_study_for_user,
    studies_for_user,
    visits_due,
)
from speciosa.research.schemas import (
    AdverseEventIn,
    AdverseEventOut,
    AllocationOut,
    AssessmentFromScoreIn,
    AssessmentIn,
    AssessmentOut,
    ConsentIn,
    ConsentOut,
    ConsortOut,
    EnrolmentOut,
    FollowUpEndIn,
    PatientRef,
    ReportFiledIn,
    ScreeningOut,
    StatusIn,
    StudyAlertOut,
    StudyOut,
    VisitDueOut,
    WithdrawIn,
)

router = Router(tags=["research"])


def _enrolment(request, protocol_id: str, subject_id: str, action: Action) -> Enrolment:
    study = get_study_for_user(request.auth, protocol_id, action)
    enrolment = consented_enrolments(study).filter(subject_id=subject_id).first()
    if enrolment is None:
        raise NotFound("Subject not found")
    return enrolment


@router.get("/studies", response=list[StudyOut])
def list_studies(request):
    qs = studies_for_user(request.auth).prefetch_related("arms", "outcomes", "visit_definitions")
    return [StudyOut.from_model(s) for s in qs.order_by("protocol_id")]


@router.get("/studies/{protocol_id}", response=StudyOut)
def read_study(request, protocol_id: str):
    study = studies_for_user(request.auth).filter(protocol_id=protocol_id).first()
    if study is None:
        raise NotFound("Study not found")
    return StudyOut.from_model(study)


@router.post("/studies/{protocol_id}/status", response=StudyOut)
def change_status(request, protocol_id: str, body: StatusIn):
    study = get_study_for_user(request.auth, protocol_id, Action.MANAGE_STUDY)
    services.change_study_status(
        actor=request.auth, study=study, status=body.status, reason=body.reason
    )
    return StudyOut.from_model(study)


@router.post("/studies/{protocol_id}/screenings", response={201: ScreeningOut})
def screen(request, protocol_id: str, body: PatientRef):
    patient = get_patient_for_user(request.auth, body.patient)
    study = get_study_for_user(request.auth, protocol_id, Action.VIEW_CHART)
    log = services.screen_patient(actor=request.auth, study=study, patient=patient)
    return Status(
        201,
        ScreeningOut(
            decision=log.decision,
            reasons=log.reasons,
            results=log.results,
            screened_at=log.screened_at,
        ),
    )


@router.post("/studies/{protocol_id}/consents", response={201: ConsentOut})
def consent(request, protocol_id: str, body: ConsentIn):
    patient = get_patient_for_user(request.auth, body.patient)
    study = get_study_for_user(request.auth, protocol_id, Action.MANAGE_CONSENT)
    c = services.record_consent(
        actor=request.auth,
        study=study,
        patient=patient,
        signature_name=body.signature_name,
        method=body.method,
    )
    return Status(
        201,
        ConsentOut(
            id=c.uid,
            document_version=c.document.version,
            signed_at=c.signed_at,
            method=c.method,
            withdrawn_at=c.withdrawn_at,
        ),
    )


@router.post("/consents/{consent_id}/withdraw", response=ConsentOut)
def withdraw(request, consent_id: UUID, body: WithdrawIn):
    c = StudyConsent.objects.filter(uid=consent_id).select_related("study", "document").first()
    if c is None:
        raise NotFound("Consent not found")
    get_patient_for_user(request.auth, c.patient.uid)  # scoping: 404 for other programs
    services.withdraw_consent(actor=request.auth, consent=c, reason=body.reason)
    return ConsentOut(
        id=c.uid,
        document_version=c.document.version,
        signed_at=c.signed_at,
        method=c.method,
        withdrawn_at=c.withdrawn_at,
    )


@router.post("/studies/{protocol_id}/enrolments", response={201: EnrolmentOut})
def enrol(request, protocol_id: str, body: PatientRef):
    patient = get_patient_for_user(request.auth, body.patient)
    study = get_study_for_user(request.auth, protocol_id, Action.ENROL_SUBJECT)
    enrolment = services.randomize_patient(actor=request.auth, study=study, patient=patient)
    return Status(201, EnrolmentOut.from_model(enrolment))


@router.get("/studies/{protocol_id}/enrolments", response=list[EnrolmentOut])
def list_enrolments(request, protocol_id: str):
    study = get_study_for_user(request.auth, protocol_id)
    return [EnrolmentOut.from_model(e) for e in consented_enrolments(study)]


@router.get("/studies/{protocol_id}/allocations", response=list[AllocationOut])
def list_allocations(request, protocol_id: str):
    study = get_study_for_user(request.auth, protocol_id)
    return [
        AllocationOut(
            subject_id=e.enrolment.subject_id,
            stratum=e.stratum,
            sequence=e.sequence,
            arm=e.arm.code,
            allocated_at=e.allocated_at,
        )
        for e in allocated_entries(study)
    ]


@router.get("/studies/{protocol_id}/subjects/{subject_id}/visits", response=list[VisitDueOut])
def subject_visits(request, protocol_id: str, subject_id: str):
    enrolment = _enrolment(request, protocol_id, subject_id, Action.VIEW_STUDY_DATA)
    return [VisitDueOut(**asdict(v)) for v in visits_due(enrolment, timezone.localdate())]


@router.get(
    "/studies/{protocol_id}/subjects/{subject_id}/assessments", response=list[AssessmentOut]
)
def subject_assessments(request, protocol_id: str, subject_id: str):
    enrolment = _enrolment(request, protocol_id, subject_id, Action.VIEW_STUDY_DATA)
    return [AssessmentOut.from_model(a) for a in enrolment.assessments.select_related("score")]


@router.post(
    "/studies/{protocol_id}/subjects/{subject_id}/assessments", response={201: AssessmentOut}
)
def add_assessment(request, protocol_id: str, subject_id: str, body: AssessmentIn):
    study = get_study_for_user(request.auth, protocol_id, Action.RECORD_STUDY_DATA)
    # clinicians record for any enrolled subject; the service refuses without consent
    enrolment = Enrolment.objects.filter(study=study, subject_id=subject_id).first()
    if enrolment is None:
        raise NotFound("Subject not found")
    a = services.record_assessment(actor=request.auth, enrolment=enrolment, **body.dict())
    return Status(201, AssessmentOut.from_model(a))


@router.post(
    "/studies/{protocol_id}/subjects/{subject_id}/assessments/from-score",
    response={201: AssessmentOut},
)
def add_assessment_from_score(
    request, protocol_id: str, subject_id: str, body: AssessmentFromScoreIn
):
    """The visit's value taken from one of the subject's scored questionnaires."""
    study = get_study_for_user(request.auth, protocol_id, Action.RECORD_STUDY_DATA)
    enrolment = Enrolment.objects.filter(study=study, subject_id=subject_id).first()
    if enrolment is None:
        raise NotFound("Subject not found")
    # the subject's own score in this program; any other id is the same bad input (an
    # answer must not tell whether another patient's score exists)
    score = Score.objects.filter(
        uid=body.score_id, program_id=enrolment.program_id, patient_id=enrolment.patient_id
    ).first()
    if score is None:
        raise InvalidInput("score_id", "no score of this subject has this id")
    a = services.record_assessment_from_score(
        actor=request.auth, enrolment=enrolment, visit_code=body.visit_code, score=score
    )
    return Status(201, AssessmentOut.from_model(a))


@router.post(
    "/studies/{protocol_id}/subjects/{subject_id}/adverse-events",
    response={201: AdverseEventOut},
)
def add_adverse_event(request, protocol_id: str, subject_id: str, body: AdverseEventIn):
    study = get_study_for_user(request.auth, protocol_id, Action.RECORD_STUDY_DATA)
    enrolment = Enrolment.objects.filter(study=study, subject_id=subject_id).first()
    if enrolment is None:
        raise NotFound("Subject not found")
    fields = body.dict()
    fields["seriousness"] = [s.value for s in body.seriousness]
    fields["relatedness"] = body.relatedness.value
    ae = services.report_adverse_event(actor=request.auth, enrolment=enrolment, **fields)
    return Status(201, AdverseEventOut.from_model(ae))


@router.get("/studies/{protocol_id}/adverse-events", response=list[AdverseEventOut])
def list_adverse_events(request, protocol_id: str):
    study = get_study_for_user(request.auth, protocol_id)
    subjects = consented_enrolments(study).values("pk")
    qs = AdverseEvent.objects.filter(enrolment__in=subjects).select_related(
        "enrolment", "enrolment__arm"
    )
    return [AdverseEventOut.from_model(ae) for ae in qs]


@router.get("/studies/{protocol_id}/alerts", response=list[StudyAlertOut])
def list_alerts(request, protocol_id: str):
    study = get_study_for_user(request.auth, protocol_id)
    return [StudyAlertOut.from_model(a) for a in study.alerts.all()]


@router.post("/studies/{protocol_id}/alerts/{study_alert_id}/acknowledge", response=StudyAlertOut)
def acknowledge_alert(request, protocol_id: str, study_alert_id: int):
    """The study team has seen a stopping-rule alert (the pause, if any, stays)."""
    study = get_study_for_user(request.auth, protocol_id, Action.MANAGE_STUDY)
    alert = study.alerts.filter(pk=study_alert_id).first()
    if alert is None:
        raise NotFound("Alert not found")
    return StudyAlertOut.from_model(
        services.acknowledge_study_alert(actor=request.auth, alert=alert)
    )


@router.post(
    "/studies/{protocol_id}/adverse-events/{event_id}/filed-reports", response=AdverseEventOut
)
def file_report(request, protocol_id: str, event_id: UUID, body: ReportFiledIn):
    """An expedited report (one clock: ``next_deadline_clock``) was sent; its clock stops."""
    study = get_study_for_user(request.auth, protocol_id, Action.RECORD_STUDY_DATA)
    ae = (
        AdverseEvent.objects.filter(uid=event_id, enrolment__study=study)
        .select_related("enrolment", "enrolment__arm")
        .first()
    )
    if ae is None:
        raise NotFound("Adverse event not found")
    ae = services.mark_report_filed(actor=request.auth, adverse_event=ae, clock_id=body.clock_id)
    return AdverseEventOut.from_model(ae)


@router.post("/studies/{protocol_id}/subjects/{subject_id}/end-follow-up", response=EnrolmentOut)
def end_follow_up(request, protocol_id: str, subject_id: str, body: FollowUpEndIn):
    """A subject's follow-up ends: completed, or lost to follow-up."""
    study = get_study_for_user(request.auth, protocol_id, Action.RECORD_STUDY_DATA)
    enrolment = (
        Enrolment.objects.filter(study=study, subject_id=subject_id).select_related("arm").first()
    )
    if enrolment is None:
        raise NotFound("Subject not found")
    ended = services.end_follow_up(actor=request.auth, enrolment=enrolment, status=body.status)
    return EnrolmentOut.from_model(ended)


@router.get("/studies/{protocol_id}/consort", response=ConsortOut)
def consort(request, protocol_id: str):
    study = get_study_for_user(request.auth, protocol_id)
    require(request.auth, Action.VIEW_STUDY_DATA, study.program_id)
    return ConsortOut(**asdict(study_consort(study)))
