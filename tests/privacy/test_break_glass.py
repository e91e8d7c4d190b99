"""Break-the-glass: time-limited, reasoned, read-only access outside one's programs."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.cli import app
from speciosa.clinical.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from speciosa.patients import services as patient_services
from speciosa.patients.models import Patient
from speciosa.patients.queries import get_patient_for_user
from speciosa.privacy import services
from speciosa.privacy.models import BreakGlassGrant

REASON = "Unconscious in ED, prescriber needs medication list"


@pytest.fixture
def grant(outsider, patient):
    return services.break_glass(actor=outsider, patient=patient, reason=REASON)


def test_without_a_grant_the_outsider_gets_404(outsider, patient):
    with pytest.raises(NotFound):
        get_patient_for_user(outsider, patient.uid)


def test_a_grant_opens_the_chart_for_reading(grant, outsider, patient):
    assert get_patient_for_user(outsider, patient.uid) == patient
    assert patient in Patient.objects.for_user(outsider)


def test_the_grant_expires(grant, outsider, patient):
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(NotFound):
        get_patient_for_user(outsider, patient.uid)
    assert patient not in Patient.objects.for_user(outsider)


def test_the_grant_lasts_the_configured_minutes(grant, settings):
    length = grant.expires_at - grant.granted_at
    assert length == timedelta(minutes=settings.SPECIOSA_BREAK_GLASS_MINUTES)


def test_a_grant_does_not_allow_writes(grant, outsider, patient):
    with pytest.raises(NotFound):
        patient_services.record_medication(actor=outsider, patient=patient, name="naloxone")


def test_every_read_under_a_grant_is_audited_on_the_patients_chain(grant, outsider, patient):
    get_patient_for_user(outsider, patient.uid)  # audit_read not even asked for
    reads = AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, object_type="chart")
    assert reads.count() == 1
    assert reads.get().chain == patient.program.code
    assert reads.get().detail["grant"] == str(grant.uid)


def test_granting_is_audited_with_the_reason(grant, patient):
    event = AuditEvent.objects.get(object_type="break_glass_grant")
    assert event.action == AuditAction.BREAK_GLASS
    assert event.detail["reason"] == REASON
    assert event.chain == patient.program.code


def test_a_short_reason_is_refused(outsider, patient):
    with pytest.raises(InvalidInput):
        services.break_glass(actor=outsider, patient=patient, reason="emergency")


def test_counsellors_and_researchers_may_not_break_the_glass(other_program, patient):
    from speciosa.accounts.models import Role
    from tests.factories import make_user

    for role in (Role.COUNSELLOR, Role.RESEARCHER, Role.ADMINISTRATOR):
        user = make_user(other_program, role)
        with pytest.raises(PermissionDenied):
            services.break_glass(actor=user, patient=patient, reason=REASON)


def test_policy_switch_turns_it_off(outsider, patient, settings):
    settings.SPECIOSA_BREAK_GLASS_ENABLED = False
    with pytest.raises(PermissionDenied):
        services.break_glass(actor=outsider, patient=patient, reason=REASON)


def test_switching_the_policy_off_ends_existing_grants(grant, outsider, patient, settings):
    settings.SPECIOSA_BREAK_GLASS_ENABLED = False
    with pytest.raises(NotFound):
        get_patient_for_user(outsider, patient.uid)


def test_breaking_the_glass_on_an_own_patient_is_a_conflict(prescriber, patient):
    with pytest.raises(Conflict):
        services.break_glass(actor=prescriber, patient=patient, reason=REASON)


def test_api_grants_then_the_chart_page_opens(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.uid}/").status_code == 404
    response = client.post(
        "/api/privacy/break-glass",
        data=json.dumps({"patient": str(patient.uid), "reason": REASON}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert client.get(f"/patients/{patient.uid}/").status_code == 200


def test_report_highlights_grants_to_the_programs_director(
    client, grant, director, outsider, patient
):
    from speciosa.patients.queries import get_patient_for_user

    get_patient_for_user(outsider, patient.uid)
    get_patient_for_user(outsider, patient.uid)
    client.force_login(director)
    rows = client.get("/api/privacy/break-glass").json()
    assert [(r["user"], r["reason"], r["chart_reads"], r["is_active"]) for r in rows] == [
        (outsider.username, REASON, 2, True)
    ]


def test_report_is_refused_to_roles_without_audit_access(client, nurse):
    client.force_login(nurse)
    assert client.get("/api/privacy/break-glass").status_code == 403


def test_cli_report_lists_the_grant(grant, outsider):
    result = CliRunner().invoke(app, ["audit", "break-glass", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout.strip().splitlines()[-1])["grants"]
    assert [(r["user"], r["reason"]) for r in rows] == [(outsider.username, REASON)]


def test_for_user_adds_no_query(django_assert_num_queries, outsider, grant):
    list(Patient.objects.for_user(outsider))  # warm the membership cache
    with django_assert_num_queries(1):
        list(Patient.objects.for_user(outsider))
