"""Extract sources added for issue 11: assessment schedules, care events and plan
pathways, and the kratom g/day history read from the audit trail."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from speciosa.measures.models import AssessmentSchedule
from speciosa.outcomes.extract import extract_tables
from speciosa.patients.models import SubstanceUse
from speciosa.patients.services import record_substance_use, update_substance_use
from speciosa.plans.models import CareEvent, TreatmentPlan

pytestmark = pytest.mark.django_db


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def test_kratom_history_is_rebuilt_from_audited_changes(patient, program, prescriber):
    use = record_substance_use(
        actor=prescriber, patient=patient, substance="kratom", grams_per_day=Decimal("20")
    )
    update_substance_use(actor=prescriber, use=use, expected_version=1, grams_per_day=Decimal("8"))
    use.refresh_from_db()
    update_substance_use(actor=prescriber, use=use, expected_version=2, is_current=False)
    table = extract_tables([program.id]).kratom_use
    rows = sorted(zip(table["at"].to_pylist(), table["grams"].to_pylist(), strict=True))
    # the value at creation (undone from the audit diffs), then each audited change
    assert [g for _, g in rows] == [20.0, 8.0, 0.0]
    assert rows[0][0] == _naive(SubstanceUse.objects.get(pk=use.pk).created_at)
    assert rows[0][0] <= rows[1][0] <= rows[2][0]


def test_unrelated_changes_do_not_add_kratom_reports(patient, program, prescriber):
    use = record_substance_use(
        actor=prescriber, patient=patient, substance="kratom", grams_per_day=Decimal("5")
    )
    update_substance_use(actor=prescriber, use=use, expected_version=1, notes="capsules")
    grams = extract_tables([program.id]).kratom_use["grams"].to_pylist()
    assert grams == [5.0]


def test_schedules_are_rows_per_interval_or_per_fixed_offset(patient, program):
    start = timezone.now() - timedelta(days=10)
    AssessmentSchedule.objects.create(
        program=program,
        patient=patient,
        instrument_id="phq9",
        kind="interval",
        interval_hours=336,
        grace_hours=72,
        starts_at=start,
    )
    stopped = AssessmentSchedule.objects.create(
        program=program,
        patient=patient,
        instrument_id="asrs_screener",
        kind="fixed",
        offsets_days=[0, 56],
        grace_hours=168,
        starts_at=start,
        ends_at=start + timedelta(days=90),
        is_active=False,
    )
    rows = extract_tables([program.id]).schedules.to_pylist()
    by_kind = sorted((r["kind"], r["offset_days"], r["interval_hours"]) for r in rows)
    assert by_kind == [("fixed", 0, None), ("fixed", 56, None), ("interval", None, 336)]
    fixed = next(r for r in rows if r["kind"] == "fixed")
    # stopped before its planned end: ends when it was stopped
    assert fixed["ends_at"] == _naive(stopped.updated_at)
    assert all(r["code"] > 0 for r in rows)  # prepared: instrument codes assigned


def test_events_include_care_events_and_plan_pathways(patient, program):
    CareEvent.objects.create(
        program=program,
        patient=patient,
        kind="assessment:adhd",
        at=timezone.now() - timedelta(days=3),
        status="attended",
    )
    TreatmentPlan.objects.create(
        program=program,
        patient=patient,
        title="Plan",
        status="active",
        start_date=timezone.localdate() - timedelta(days=2),
        review_due_on=timezone.localdate() + timedelta(days=20),
        pathway_ids=["adhd-early-recovery", "kratom-taper"],
    )
    rows = extract_tables([program.id]).events.to_pylist()
    kinds = sorted((r["kind"], r["status"]) for r in rows)
    assert kinds == [
        ("assessment:adhd", "attended"),
        ("pathway:adhd-early-recovery", "active"),
        ("pathway:kratom-taper", "active"),
    ]
