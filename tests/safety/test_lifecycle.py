"""Alerts follow the facts inside the writing transaction, never duplicated, always audited."""

import pytest
from django.db import IntegrityError, transaction

from speciosa.audit.models import AuditEvent
from speciosa.patients import services as patient_services
from speciosa.safety.models import Alert, AlertStatus
from speciosa.safety.services import reevaluate_patient, reevaluate_program
from tests.factories import add_medication, make_patient

RULE = "kratom-benzodiazepine"


def _active(patient, rule_id=RULE):
    return Alert.objects.filter(patient=patient, rule_id=rule_id, resolved_at__isnull=True)


def _alert_audits(alert):
    return AuditEvent.objects.filter(object_type="safety.Alert", object_id=str(alert.uid))


def test_recording_a_benzodiazepine_raises_an_alert(prescriber, kratom_patient):
    patient_services.record_medication(actor=prescriber, patient=kratom_patient, name="Alprazolam")
    alert = _active(kratom_patient).get()
    assert alert.severity == "critical"
    assert alert.status == AlertStatus.OPEN
    assert {t["fact"] for t in alert.triggers} >= {"kratom_current", "medication_classes"}


def test_new_alert_has_a_create_audit_row(prescriber, kratom_patient):
    patient_services.record_medication(actor=prescriber, patient=kratom_patient, name="alprazolam")
    alert = _active(kratom_patient).get()
    row = _alert_audits(alert).get()
    assert row.action == "create"
    assert row.detail["rule_id"] == RULE
    assert row.patient_id == kratom_patient.pk


def test_a_second_trigger_does_not_duplicate_the_alert(prescriber, kratom_patient):
    patient_services.record_medication(actor=prescriber, patient=kratom_patient, name="alprazolam")
    patient_services.record_medication(actor=prescriber, patient=kratom_patient, name="lorazepam")
    assert _active(kratom_patient).count() == 1


def test_stopping_the_medication_resolves_the_alert_with_audit(prescriber, kratom_patient):
    med = patient_services.record_medication(
        actor=prescriber, patient=kratom_patient, name="alprazolam"
    )
    alert = _active(kratom_patient).get()
    patient_services.update_medication(
        actor=prescriber, medication=med, expected_version=med.version, status="stopped"
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_at is not None
    resolved_row = _alert_audits(alert).filter(action="update").get()
    assert resolved_row.detail["status"] == "resolved"
    assert resolved_row.actor_id == prescriber.pk


def test_condition_returning_opens_a_fresh_alert(prescriber, kratom_patient):
    med = patient_services.record_medication(
        actor=prescriber, patient=kratom_patient, name="alprazolam"
    )
    patient_services.update_medication(
        actor=prescriber, medication=med, expected_version=med.version, status="stopped"
    )
    patient_services.update_medication(
        actor=prescriber, medication=med, expected_version=med.version, status="active"
    )
    assert Alert.objects.filter(patient=kratom_patient, rule_id=RULE).count() == 2
    assert _active(kratom_patient).count() == 1


def test_database_refuses_a_second_active_alert(prescriber, kratom_patient):
    patient_services.record_medication(actor=prescriber, patient=kratom_patient, name="alprazolam")
    original = _active(kratom_patient).get()
    copy = Alert(
        program=kratom_patient.program,
        patient=kratom_patient,
        rule_id=RULE,
        rule_version=1,
        severity="critical",
        severity_rank=0,
        title=original.title,
        message=original.message,
        action=original.action,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_failed_write_leaves_no_alert(prescriber, kratom_patient):
    with pytest.raises(RuntimeError), transaction.atomic():
        patient_services.record_medication(
            actor=prescriber, patient=kratom_patient, name="alprazolam"
        )
        raise RuntimeError("the caller's transaction fails after the write")
    assert not Alert.objects.filter(patient=kratom_patient).exists()


def test_reevaluate_patient_is_idempotent(kratom_patient):
    add_medication(kratom_patient, "lorazepam")  # benzodiazepine, not a CYP3A4 substrate
    first = reevaluate_patient(patient=kratom_patient)
    second = reevaluate_patient(patient=kratom_patient)
    assert (first.created, second.created, second.unchanged) == (1, 0, 1)


def test_program_recheck_creates_then_changes_nothing(program, kratom_patient):
    add_medication(kratom_patient, "lorazepam")  # benzodiazepine, not a CYP3A4 substrate
    make_patient(program)  # clean patient: no alert
    first = reevaluate_program(program)
    again = reevaluate_program(program)
    assert (first.patients, first.created) == (2, 1)
    assert (again.created, again.resolved, again.unchanged) == (0, 0, 1)


def test_program_recheck_resolves_and_audits(program, kratom_patient):
    med = add_medication(kratom_patient, "lorazepam")  # benzodiazepine, not a CYP3A4 substrate
    reevaluate_program(program)
    med.status = "stopped"
    med.save()
    summary = reevaluate_program(program)
    assert summary.resolved == 1
    assert not _active(kratom_patient).exists()
    bulk = AuditEvent.objects.filter(action="bulk_create", object_type="safety.Alert").last()
    assert bulk.detail["resolved"] == [str(Alert.objects.get(patient=kratom_patient).uid)]


def test_program_recheck_only_touches_that_program(program, other_kratom_patient):
    add_medication(other_kratom_patient, "alprazolam")
    assert reevaluate_program(program).created == 0
    assert not Alert.objects.filter(patient=other_kratom_patient).exists()
