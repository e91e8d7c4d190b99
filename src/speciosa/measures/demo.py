"""Demo step (order 10): plausible, reproducible score trajectories for demo patients.

Weekly PHQ-9, GAD-7 and craving ratings that mostly improve; a COWS series for patients in
an induction; the ASRS screener at intake for some; monthly kratom dependence (LDQ); a few
PHQ-9 item 9 answers above 0 so the safety rules have something to find. Every row is
scored by the real engine; rows are written in chunks with dataio's bulk insert.
"""

from datetime import datetime, timedelta
from random import Random

from django.db import transaction
from django.utils import timezone

from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.instruments import get_instrument
from speciosa.dataio.bulk import insert_rows
from speciosa.demo.steps import DemoContext
from speciosa.measures.models import AssessmentSchedule, QuestionnaireResponse, Score
from speciosa.measures.services import build_rows
from speciosa.patients.models import Patient

CHUNK = 500


def _answers(instrument_id: str, severity: float, rng: Random) -> dict[str, object]:
    """One response whose item options sit around ``severity`` (0 = none, 1 = maximal)."""
    instrument = get_instrument(instrument_id)
    answers: dict[str, object] = {}
    for item in instrument.items.values():
        if not item.required or not item.is_scored:
            continue
        if item.kind == "integer":
            assert item.min_value is not None and item.max_value is not None
            span = item.max_value - item.min_value
            value = round(item.min_value + severity * span + rng.gauss(0, 1))
            answers[item.link_id] = min(item.max_value, max(item.min_value, value))
            continue
        top = len(item.options) - 1
        index = min(top, max(0, round(severity * top + rng.gauss(0, 0.6))))
        answers[item.link_id] = item.options[index].code
    return answers


def _series(patient: Patient, rng: Random, now: datetime) -> list[tuple[str, datetime, dict]]:
    weeks = rng.randint(2, 12)
    intake = now - timedelta(weeks=weeks, hours=rng.randint(1, 72))
    out: list[tuple[str, datetime, dict]] = []
    mood = rng.uniform(0.15, 0.8)
    anxiety = rng.uniform(0.1, 0.75)
    craving = rng.uniform(0.4, 0.9)
    improves = rng.random() < 0.75
    item9_week = rng.randrange(weeks + 1) if rng.random() < 0.05 else None
    for week in range(weeks + 1):
        at = intake + timedelta(weeks=week, hours=rng.randint(0, 8))
        drift = -0.05 * week if improves else 0.01 * week
        phq = _answers("phq9", min(1, max(0, mood + drift)), rng)
        phq["phq9-9"] = "LA6569-3" if week == item9_week else "LA6568-5"
        out.append(("phq9", at, phq))
        out.append(("gad7", at, _answers("gad7", min(1, max(0, anxiety + drift)), rng)))
        out.append(("craving_nrs", at, _answers("craving_nrs", max(0, craving + drift), rng)))
    if rng.random() < 0.25:  # induction: COWS every 4 h over the first day
        level = rng.uniform(0.25, 0.45)
        for step in range(6):
            at = intake + timedelta(hours=4 * step)
            out.append(("cows", at, _answers("cows", max(0, level - 0.06 * step), rng)))
    if rng.random() < 0.4:
        out.append(("asrs_screener", intake, _answers("asrs_screener", rng.uniform(0.2, 0.8), rng)))
    if rng.random() < 0.6:
        level = rng.uniform(0.3, 0.8)
        for month in range(weeks // 4 + 1):
            at = intake + timedelta(days=30 * month)
            out.append(("ldq_kratom", at, _answers("ldq_kratom", max(0, level - 0.1 * month), rng)))
    return [row for row in out if row[1] <= now]


def add_demo_scores(ctx: DemoContext) -> None:
    now = timezone.now()
    author = ctx.users.get("nurse")
    advance = ctx.progress("scores", len(ctx.patient_ids))
    for start in range(0, len(ctx.patient_ids), CHUNK):
        ids = ctx.patient_ids[start : start + CHUNK]
        patients = list(Patient.objects.filter(pk__in=ids).order_by("id"))
        responses, scores, schedules = [], [], []
        for patient in patients:
            for instrument_id, at, answers in _series(patient, ctx.rng, now):
                response, row, _ = build_rows(
                    patient=patient,
                    instrument_id=instrument_id,
                    answers=answers,
                    taken_at=at,
                    source="clinician" if instrument_id == "cows" else "self_report",
                    author=author if instrument_id == "cows" else None,
                    created_by=author,
                )
                responses.append(response)
                scores.append(row)
            schedules.append(
                AssessmentSchedule(
                    program_id=patient.program_id,
                    patient=patient,
                    instrument_id="phq9",
                    kind="interval",
                    interval_hours=336,
                    grace_hours=72,
                    starts_at=now - timedelta(days=ctx.rng.randint(0, 60)),
                    preset="phq9-biweekly",
                    created_by=author,
                )
            )
        with transaction.atomic():
            # dataio's bulk path (COPY on PostgreSQL, prepared executemany on SQLite):
            # bulk_create's per-value SQL compilation cost more than scoring at 100k patients
            insert_rows(QuestionnaireResponse, responses)
            pks = dict(  # by patient: a uid IN (...) list would pass SQLite's variable cap
                QuestionnaireResponse.objects.filter(patient_id__in=ids).values_list("uid", "pk")
            )
            for response, row in zip(responses, scores, strict=True):
                response.pk = pks[response.uid]
                row.response_id = response.pk
            insert_rows(Score, scores)
            insert_rows(AssessmentSchedule, schedules)
            write_audit(
                actor=None,
                action=AuditAction.BULK_CREATE,
                program=ctx.program,
                object_type="demo-scores",
                detail={"patients": len(patients), "scores": len(scores), "seed": ctx.seed},
            )
        advance(len(patients))
