"""JSON API of the measures app (django-ninja router, mounted at /api/measures/)."""

from typing import Any
from uuid import UUID

from django.db import transaction
from ninja import Router
from ninja.responses import Status

from speciosa.accounts.models import Program
from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import NotFound
from speciosa.clinical.instruments import get_instrument, load_catalog, questionnaire_for_display
from speciosa.clinical.instruments.schedules import DueStatus
from speciosa.measures import queries, services
from speciosa.measures.schemas import (
    DueOut,
    InstrumentOut,
    ResponseIn,
    ScheduleIn,
    ScheduleOut,
    ScoreOut,
)
from speciosa.patients.queries import get_patient_for_user

router = Router(tags=["measures"])


@router.get("/instruments", response=list[InstrumentOut])
def list_instruments(request):
    catalog = load_catalog(services.instrument_dir())
    return [InstrumentOut.from_instrument(i) for i in catalog.values()]


@router.get("/instruments/{instrument_id}", response=dict[str, Any])
def read_questionnaire(request, instrument_id: str):
    """The FHIR R4 Questionnaire, with program-supplied wording merged in where present."""
    instrument = get_instrument(instrument_id, services.instrument_dir())
    return questionnaire_for_display(instrument, services.instrument_dir())


@router.post("/patients/{patient_id}/responses", response={201: ScoreOut})
def submit_response(request, patient_id: UUID, body: ResponseIn):
    # atomic around the lookup too: an invalid answer leaves no row and no audit entry
    with transaction.atomic():
        patient = get_patient_for_user(request.auth, patient_id)
        row = services.record_response(
            actor=request.auth,
            patient=patient,
            instrument_id=body.instrument_id,
            answers=body.answers,
            taken_at=body.taken_at,
            source=body.source,
        )
    return Status(201, ScoreOut.from_model(row))


@router.get("/patients/{patient_id}/scores", response=list[ScoreOut])
def list_scores(request, patient_id: UUID, instrument: str = "", limit: int = 500):
    patient = get_patient_for_user(request.auth, patient_id, audit_read=True)
    rows = queries.score_history(patient, instrument or None, max(1, min(limit, 2000)))
    return [ScoreOut.from_model(s) for s in rows.select_related("response")]


@router.get("/patients/{patient_id}/schedules", response=list[ScheduleOut])
def list_schedules(request, patient_id: UUID):
    patient = get_patient_for_user(request.auth, patient_id)
    rows = patient.assessment_schedules.select_related("patient").order_by("starts_at", "id")
    return [ScheduleOut.from_model(s) for s in rows]


@router.post("/patients/{patient_id}/schedules", response={201: ScheduleOut})
def add_schedule(request, patient_id: UUID, body: ScheduleIn):
    patient = get_patient_for_user(request.auth, patient_id)
    schedule = services.create_schedule(actor=request.auth, patient=patient, **body.model_dump())
    return Status(201, ScheduleOut.from_model(schedule))


@router.get("/due", response=list[DueOut])
def list_due(request, program: str, include_upcoming: bool = False, limit: int = 500):
    """Due and overdue assessments of one program (by program code)."""
    found = Program.objects.filter(code=program).first()
    if found is None:
        raise NotFound("Program not found")
    require(request.auth, Action.VIEW_CHART, found.pk)
    statuses = (DueStatus.DUE, DueStatus.OVERDUE) + (
        (DueStatus.UPCOMING,) if include_upcoming else ()
    )
    pairs = queries.due_assessments(
        actor=request.auth, program=found, statuses=statuses, limit=max(1, min(limit, 2000))
    )
    return [DueOut.from_pair(s, d) for s, d in pairs]
