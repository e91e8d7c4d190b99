"""Write actions of the measures app: one function per action.

``record_response`` is the single way a questionnaire answer enters Speciosa (API, web
forms, self-report links, imports). Stable signature: other apps call it.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import InvalidInput, NotFound, PermissionDenied
from speciosa.clinical.instruments import Instrument, get_instrument, score
from speciosa.clinical.instruments import Score as ComputedScore
from speciosa.clinical.instruments.responses import build_questionnaire_response
from speciosa.clinical.instruments.schedules import load_presets
from speciosa.core.compiled import insert_new, new_instance, shared_cursor
from speciosa.core.signals import patient_facts_changed
from speciosa.measures.models import (
    AssessmentSchedule,
    QuestionnaireResponse,
    ResponseSource,
    ScheduleKind,
    Score,
)
from speciosa.patients.models import Patient

# a response may be back-dated (paper forms) but not stamped in the future (clock skew ok)
MAX_CLOCK_SKEW = timedelta(minutes=5)
_SOURCES = frozenset(ResponseSource.values)  # the enum's .values builds a list per call


def instrument_dir() -> str:
    return getattr(settings, "SPECIOSA_INSTRUMENT_DIR", "") or ""


def instrument_named(instrument_id: str) -> Instrument:
    """The instrument a request names; an unknown id is bad input (422), not a 404."""
    try:
        return get_instrument(instrument_id, instrument_dir())
    except NotFound:
        raise InvalidInput("instrument_id", f"unknown instrument {instrument_id!r}") from None


def _is_patient_link(actor: Any) -> bool:
    return actor.__class__.__name__ == "SelfReportLink"


def _authorise(actor, patient: Patient, instrument_id: str, source: str) -> None:
    if _is_patient_link(actor):
        # a patient answering through their own link: the link is the authority
        if actor.patient_id != patient.pk or actor.status != "open":
            raise PermissionDenied("This link is not valid for this patient")
        if instrument_id not in actor.instrument_ids:
            raise PermissionDenied(f"This link does not include {instrument_id}")
        if source != ResponseSource.SELF_REPORT:
            raise InvalidInput("source", "a patient link can only submit a self-report")
        return
    require(actor, Action.RECORD_RESPONSE, patient.program_id)


def score_from_row(row: Score) -> ComputedScore:
    """The core ``Score`` of a stored row (for reliable_change and friends)."""
    from speciosa.clinical.instruments.scoring import CriticalFlag

    return ComputedScore(
        row.instrument_id,
        row.total,
        row.band or None,
        None,
        row.is_positive,
        row.subscales,
        tuple(CriticalFlag(f["rule_id"], f["item_id"], f["message"]) for f in row.critical_flags),
        row.items,
        row.completeness,
        tuple(row.notes),
    )


def build_rows(
    *,
    patient: Patient,
    instrument_id: str,
    answers: dict[str, Any],
    taken_at: datetime,
    source: str,
    author=None,
    created_by=None,
    uid: UUID | None = None,
) -> tuple[QuestionnaireResponse, Score, ComputedScore]:
    """Validate and score, and build (unsaved) rows. Raises InvalidAnswer; saves nothing.
    ``uid``: the response's identity when it comes from elsewhere (an import).
    ``author``/``created_by``: saved users or None, stored by id (the rows do not cache
    them; nothing in the write reads those relations)."""
    instrument = instrument_named(instrument_id)
    result = score(instrument, answers, sex=patient.sex_at_birth)
    response = new_instance(
        QuestionnaireResponse,
        program_id=patient.program_id,
        patient=patient,
        instrument_id=instrument_id,
        instrument_version=instrument.scoring.version,
        authored_at=taken_at,
        author_id=author.pk if author is not None else None,
        source=source,
        created_by_id=created_by.pk if created_by is not None else None,
        **({"uid": uid} if uid is not None else {}),
    )
    response.resource = build_questionnaire_response(
        instrument,
        answers,
        patient_ref=f"Patient/{patient.uid}",
        authored=taken_at,
        author_ref=f"Practitioner/{author.uid}" if getattr(author, "uid", None) else None,
        response_id=str(response.uid),
    )
    row = new_instance(
        Score,
        program_id=patient.program_id,
        patient=patient,
        response=response,
        instrument_id=instrument_id,
        taken_at=taken_at,
        total=float(result.total),
        band=result.band or "",
        is_positive=result.is_positive,
        critical_items=list(result.critical_items),
        critical_flags=[f._asdict() for f in result.critical],
        subscales=result.subscales,
        items=result.items,
        completeness=result.completeness,
        notes=list(result.notes),
        created_by_id=created_by.pk if created_by is not None else None,
    )
    return response, row, result


def record_response(
    *,
    actor,
    patient: Patient,
    instrument_id: str,
    answers: dict[str, Any],
    taken_at: datetime | None = None,
    source: str = ResponseSource.CLINICIAN,
    uid: UUID | None = None,
) -> Score:
    """Validate, score and store one response; audit it; tell the safety engine.

    ``actor`` is a staff user with RECORD_RESPONSE in the patient's program, or the
    patient's open ``SelfReportLink`` (source must then be self_report; marking the link
    used is the caller's job). Incomplete or malformed answers raise ``InvalidAnswer``
    naming the item, and nothing is stored.
    """
    # check (no database writes) ...
    if source not in _SOURCES:
        raise InvalidInput("source", f"must be one of {', '.join(ResponseSource.values)}")
    _authorise(actor, patient, instrument_id, source)
    now = timezone.now()
    taken_at = taken_at or now
    if taken_at > now + MAX_CLOCK_SKEW:
        raise InvalidInput("taken_at", "is in the future")
    user = None if _is_patient_link(actor) else actor
    user = user if getattr(user, "pk", None) else None
    response, row, result = build_rows(
        patient=patient,
        instrument_id=instrument_id,
        answers=answers,
        taken_at=taken_at,
        source=source,
        author=user if source == ResponseSource.CLINICIAN else None,
        created_by=user,
        uid=uid,
    )
    # ... then do: rows, audit entry and safety re-check in one transaction
    with shared_cursor():
        _store_response(actor, user, patient, response, row, result, source)
    return row


@transaction.atomic(savepoint=False)  # inside a caller's transaction: all or nothing
def _store_response(
    actor, user, patient: Patient, response, row: Score, result: ComputedScore, source: str
) -> None:
    insert_new(response)  # response.save(), the INSERT built once per process
    row.response = response
    insert_new(row)
    write_audit(
        actor=user,
        action=AuditAction.CREATE,
        obj=row,
        program=patient.program,
        patient=patient,
        detail={
            "instrument": row.instrument_id,
            "total": result.total,
            "band": result.band,
            "critical": list(result.critical_items) or [f.rule_id for f in result.critical],
            "source": source,
            **({"via": "self_report_link"} if user is None and _is_patient_link(actor) else {}),
        },
    )
    patient_facts_changed.send(
        sender=Patient,
        patient=patient,
        actor=user,
        reason="score",
        changed=frozenset({f"scores:{row.instrument_id}"}),
    )


# --- schedules ------------------------------------------------------------------------


@transaction.atomic
def create_schedule(
    *,
    actor,
    patient: Patient,
    instrument_id: str,
    preset: str | None = None,
    kind: str | None = None,
    interval_hours: int | None = None,
    offsets_days: list[int] | None = None,
    grace_hours: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> AssessmentSchedule:
    """A per-patient 'assessment due' schedule, from a cited preset or explicit fields."""
    require(actor, Action.EDIT_PLAN, patient.program_id)
    instrument_named(instrument_id)
    starts_at = starts_at or timezone.now()
    if preset:
        spec = load_presets().get(preset)
        if spec is None:
            raise InvalidInput("preset", f"unknown preset {preset!r}")
        if spec.instrument_id != instrument_id:
            raise InvalidInput("preset", f"{preset} is a schedule for {spec.instrument_id}")
        kind = kind or spec.kind
        interval_hours = interval_hours or spec.interval_hours
        offsets_days = offsets_days or spec.offsets_days
        grace_hours = grace_hours or spec.grace_hours
        if ends_at is None and spec.duration_hours:
            ends_at = starts_at + timedelta(hours=spec.duration_hours)
    if kind not in ScheduleKind.values:
        raise InvalidInput("kind", "must be 'interval' or 'fixed' (or give a preset)")
    if kind == ScheduleKind.INTERVAL and not interval_hours:
        raise InvalidInput("interval_hours", "is required for an interval schedule")
    if kind == ScheduleKind.FIXED and not offsets_days:
        raise InvalidInput("offsets_days", "is required for a fixed schedule")
    if not grace_hours or grace_hours < 1:
        raise InvalidInput("grace_hours", "must be at least 1")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("ends_at", "is not after starts_at")
    schedule = AssessmentSchedule.objects.create(
        program_id=patient.program_id,
        patient=patient,
        instrument_id=instrument_id,
        kind=kind,
        interval_hours=interval_hours if kind == ScheduleKind.INTERVAL else None,
        offsets_days=sorted(offsets_days or []) if kind == ScheduleKind.FIXED else [],
        grace_hours=grace_hours,
        starts_at=starts_at,
        ends_at=ends_at,
        preset=preset or "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    write_audit(actor=actor, action=AuditAction.CREATE, obj=schedule)
    return schedule


@transaction.atomic
def stop_schedule(*, actor, schedule: AssessmentSchedule) -> AssessmentSchedule:
    require(actor, Action.EDIT_PLAN, schedule.program_id)
    schedule.is_active = False
    schedule.updated_at = timezone.now()
    schedule.save(update_fields=["is_active", "updated_at"])
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=schedule, detail={"stopped": True})
    return schedule
