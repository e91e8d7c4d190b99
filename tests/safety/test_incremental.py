"""A response re-checks only the rules that read it, with the same outcome as a full re-check."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from speciosa.measures.services import record_response
from speciosa.safety.models import Alert
from speciosa.safety.services import reevaluate_patient
from tests.factories import add_medication

PHQ9_ITEM9 = "phq9-item9-positive"


def _phq9(item9: int, total_items: int = 1) -> dict[str, int]:
    values = [total_items] * 8 + [item9]
    return {f"phq9-{n}": v for n, v in enumerate(values, 1)}


def _active(patient) -> set[str]:
    return set(Alert.objects.active().filter(patient=patient).values_list("rule_id", flat=True))


def _full_recheck_changes_nothing(patient) -> bool:
    summary = reevaluate_patient(patient=patient, reason="full check")
    return summary.created == 0 and summary.resolved == 0


@pytest.mark.django_db
def test_response_raises_and_resolves_its_rule_like_a_full_recheck(prescriber, kratom_patient):
    add_medication(kratom_patient, "atomoxetine")
    reevaluate_patient(patient=kratom_patient)
    assert "kratom-cyp2d6-substrate" in _active(kratom_patient)

    record_response(
        actor=prescriber, patient=kratom_patient, instrument_id="phq9", answers=_phq9(2)
    )
    assert {PHQ9_ITEM9, "kratom-cyp2d6-substrate"} <= _active(kratom_patient)
    assert _full_recheck_changes_nothing(kratom_patient)

    record_response(
        actor=prescriber, patient=kratom_patient, instrument_id="phq9", answers=_phq9(0)
    )
    assert PHQ9_ITEM9 not in _active(kratom_patient)
    assert "kratom-cyp2d6-substrate" in _active(kratom_patient)
    assert _full_recheck_changes_nothing(kratom_patient)


@pytest.mark.django_db
def test_reliable_deterioration_reads_baseline_and_latest_only(prescriber, patient):
    now = timezone.now()
    for days, level in ((30, 0), (20, 3), (10, 3)):  # baseline 0, then 24
        record_response(
            actor=prescriber,
            patient=patient,
            instrument_id="phq9",
            answers=_phq9(0, level),
            taken_at=now - timedelta(days=days),
        )
    assert "reliable-deterioration" in _active(patient)
    assert _full_recheck_changes_nothing(patient)
    # back to baseline: the middle scores no longer matter
    record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=_phq9(0, 0))
    assert "reliable-deterioration" not in _active(patient)
    assert _full_recheck_changes_nothing(patient)


@pytest.mark.django_db
def test_backdated_response_is_not_the_latest(prescriber, patient):
    record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=_phq9(0))
    record_response(
        actor=prescriber,
        patient=patient,
        instrument_id="phq9",
        answers=_phq9(3),
        taken_at=timezone.now() - timedelta(days=3),
    )
    assert PHQ9_ITEM9 not in _active(patient)  # the latest PHQ-9 has item 9 = 0
    assert _full_recheck_changes_nothing(patient)


@pytest.mark.django_db
def test_response_leaves_alerts_of_unrelated_rules_alone(prescriber, kratom_patient):
    add_medication(kratom_patient, "atomoxetine")
    reevaluate_patient(patient=kratom_patient)
    before = Alert.objects.get(patient=kratom_patient, rule_id="kratom-cyp2d6-substrate")
    with CaptureQueriesContext(connection) as ctx:
        record_response(
            actor=prescriber, patient=kratom_patient, instrument_id="phq9", answers=_phq9(0)
        )
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "patients_diagnosis" not in sql and "patients_labresult" not in sql
    after = Alert.objects.get(pk=before.pk)
    assert (after.version, after.status) == (before.version, before.status)


@pytest.mark.django_db
def test_full_reevaluation_without_changed_reads_every_fact_kind(kratom_patient):
    with CaptureQueriesContext(connection) as ctx:
        reevaluate_patient(patient=kratom_patient)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "patients_diagnosis" in sql and "patients_labresult" in sql
