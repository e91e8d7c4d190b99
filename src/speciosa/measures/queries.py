"""Scoped reads of the measures app."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.clinical.instruments.schedules import Due, DueStatus, ScheduleSpec, assessment_due
from speciosa.measures.models import AssessmentSchedule, Score
from speciosa.patients.models import Patient


def score_history(patient: Patient, instrument_id: str | None = None, limit: int = 500):
    """A patient's scores, oldest first. Precondition: caller may view the patient."""
    rows = Score.objects.filter(patient=patient).order_by("taken_at", "id")
    if instrument_id:
        rows = rows.filter(instrument_id=instrument_id)
    return rows[:limit]


def schedule_spec(schedule: AssessmentSchedule) -> ScheduleSpec:
    return ScheduleSpec(
        kind=schedule.kind,
        starts_at=schedule.starts_at,
        grace=timedelta(hours=schedule.grace_hours),
        interval=timedelta(hours=schedule.interval_hours) if schedule.interval_hours else None,
        offsets=tuple(timedelta(days=d) for d in schedule.offsets_days),
        ends_at=schedule.ends_at,
    )


def due_assessments(
    *,
    actor,
    program,
    as_of: datetime | None = None,
    statuses: tuple[DueStatus, ...] = (DueStatus.DUE, DueStatus.OVERDUE),
    limit: int = 500,
) -> list[tuple[AssessmentSchedule, Due]]:
    """Due/overdue assessments of a program, most overdue first. Two queries in all."""
    require(actor, Action.VIEW_CHART, program.pk)
    as_of = as_of or timezone.now()
    schedules = list(
        AssessmentSchedule.objects.filter(program=program, is_active=True)
        .filter(starts_at__lte=as_of + timedelta(days=1))
        .select_related("patient")
    )
    if not schedules:
        return []
    earliest = min(s.starts_at - timedelta(hours=s.grace_hours) for s in schedules)
    taken: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for patient_id, instrument_id, at in Score.objects.filter(
        program=program,
        patient_id__in={s.patient_id for s in schedules},
        instrument_id__in={s.instrument_id for s in schedules},
        taken_at__gte=earliest,
    ).values_list("patient_id", "instrument_id", "taken_at"):
        taken[(patient_id, instrument_id)].append(at)
    result = []
    for schedule in schedules:
        due = assessment_due(
            schedule_spec(schedule), taken[(schedule.patient_id, schedule.instrument_id)], as_of
        )
        if due.status in statuses:
            result.append((schedule, due))
    result.sort(key=lambda pair: (pair[1].due_at or as_of, pair[0].pk))
    return result[:limit]
