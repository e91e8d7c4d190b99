"""Acknowledge and override: who may, what is recorded, what is refused."""

import pytest

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from speciosa.safety.models import Alert, AlertStatus
from speciosa.safety.services import acknowledge_alert, override_alert, reevaluate_patient
from tests.factories import add_medication


@pytest.fixture
def alert(kratom_patient):
    add_medication(kratom_patient, "alprazolam")
    reevaluate_patient(patient=kratom_patient)
    return Alert.objects.get(patient=kratom_patient, rule_id="kratom-benzodiazepine")


def test_acknowledge_records_who_when_why(nurse, alert):
    acknowledge_alert(actor=nurse, alert=alert, reason="discussed with patient")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == nurse
    assert alert.acknowledged_at is not None
    assert alert.acknowledgement_reason == "discussed with patient"


def test_acknowledge_writes_an_audit_row(nurse, alert):
    acknowledge_alert(actor=nurse, alert=alert, reason="seen")
    row = AuditEvent.objects.filter(object_id=str(alert.uid), action="update").get()
    assert row.detail["status"] == "acknowledged"


def test_acknowledging_twice_is_a_conflict(nurse, alert):
    acknowledge_alert(actor=nurse, alert=alert)
    with pytest.raises(Conflict):
        acknowledge_alert(actor=nurse, alert=alert)


def test_acknowledge_with_stale_version_is_refused(nurse, alert):
    with pytest.raises(StaleVersion):
        acknowledge_alert(actor=nurse, alert=alert, expected_version=alert.version + 5)


def test_override_needs_a_reason(prescriber, alert):
    with pytest.raises(InvalidInput) as exc:
        override_alert(actor=prescriber, alert=alert, reason="  ")
    assert exc.value.field == "reason"


def test_override_with_reason_is_recorded(prescriber, alert):
    override_alert(actor=prescriber, alert=alert, reason="benefit outweighs risk; SpO2 checks")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OVERRIDDEN
    assert alert.is_active


def test_resolved_alert_cannot_be_acknowledged(nurse, alert):
    alert.status, alert.resolved_at = AlertStatus.RESOLVED, alert.opened_at
    alert.save()
    with pytest.raises(Conflict):
        acknowledge_alert(actor=nurse, alert=alert)


def test_director_may_not_acknowledge(director, alert):
    with pytest.raises(PermissionDenied):
        acknowledge_alert(actor=director, alert=alert)


def test_outsider_gets_not_found(outsider, alert):
    with pytest.raises(NotFound):
        acknowledge_alert(actor=outsider, alert=alert)
