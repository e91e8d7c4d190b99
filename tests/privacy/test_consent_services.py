"""Recording, checking and revoking 42 CFR Part 2 consents; logging disclosures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.clinical.errors import ConsentRequired, InvalidInput, NotFound, PermissionDenied
from speciosa.clinical.privacy.part2 import Channel
from speciosa.privacy import services
from speciosa.privacy.models import Disclosure
from tests.privacy.conftest import REGISTRY, give_consent


def test_recording_a_consent_is_audited(consent, patient):
    event = AuditEvent.objects.filter(object_id=str(consent.uid)).get()
    assert event.action == AuditAction.CREATE
    assert consent.signed_at is not None
    assert consent.purposes == ["registry_reporting"]


def test_a_counsellor_may_not_record_a_consent(counsellor, patient):
    with pytest.raises(PermissionDenied):
        give_consent(counsellor, patient)


def test_an_outsider_gets_not_found(outsider, patient):
    with pytest.raises(NotFound):
        give_consent(outsider, patient)


def test_a_consent_needs_an_expiry_after_it_starts(prescriber, patient):
    with pytest.raises(InvalidInput) as err:
        give_consent(prescriber, patient, expires_at=timezone.now() - timedelta(days=1))
    assert err.value.field == "expires_at"


def test_unknown_categories_are_refused(prescriber, patient):
    with pytest.raises(InvalidInput) as err:
        give_consent(prescriber, patient, categories=["everything"])
    assert err.value.field == "categories"


def test_check_disclosure_finds_the_covering_consent(consent, patient):
    found = services.check_disclosure(patient, REGISTRY, "registry_reporting", ["substance_use"])
    assert found == consent


def test_check_disclosure_refuses_without_any_consent(patient):
    with pytest.raises(ConsentRequired) as err:
        services.check_disclosure(patient, REGISTRY, "registry_reporting", ["demographics"])
    assert err.value.code == "consent_required"


def test_check_disclosure_refuses_a_category_not_consented(consent, patient):
    with pytest.raises(ConsentRequired):
        services.check_disclosure(patient, REGISTRY, "registry_reporting", ["labs"])


def test_check_disclosure_refuses_another_recipient(consent, patient):
    with pytest.raises(ConsentRequired):
        services.check_disclosure(patient, "Employer Inc", "registry_reporting", ["demographics"])


def test_check_disclosure_refuses_another_patients_consent(consent, program):
    from tests.factories import make_patient

    sibling = make_patient(program)
    with pytest.raises(ConsentRequired):
        services.check_disclosure(sibling, REGISTRY, "registry_reporting", ["demographics"])


def test_a_revoked_consent_no_longer_allows_disclosure(consent, patient, director):
    services.revoke_consent(actor=director, consent=consent, reason="patient asked")
    with pytest.raises(ConsentRequired):
        services.check_disclosure(patient, REGISTRY, "registry_reporting", ["demographics"])


def test_an_expired_consent_no_longer_allows_disclosure(consent, patient):
    later = consent.expires_at + timedelta(seconds=1)
    with pytest.raises(ConsentRequired):
        services.check_disclosure(
            patient, REGISTRY, "registry_reporting", ["demographics"], at=later
        )


def test_record_disclosure_logs_audits_and_returns_the_notice(consent, patient, prescriber):
    receipt = services.record_disclosure(
        actor=prescriber,
        patient=patient,
        recipient=REGISTRY,
        purpose="registry_reporting",
        categories=["substance_use"],
        channel=Channel.PDF_EXPORT,
    )
    row = Disclosure.objects.get()
    assert row.consent == consent and row.channel == "pdf_export"
    assert receipt.notice.startswith("This record which has been disclosed to you")
    assert REGISTRY in receipt.scope
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE, patient=patient).count() == 1


def test_record_disclosure_without_consent_logs_nothing(patient, prescriber):
    with pytest.raises(ConsentRequired):
        services.record_disclosure(
            actor=prescriber,
            patient=patient,
            recipient=REGISTRY,
            purpose="registry_reporting",
            categories=["labs"],
            channel=Channel.PDF_EXPORT,
        )
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_a_nurse_may_not_disclose(consent, patient, nurse):
    with pytest.raises(PermissionDenied):
        services.record_disclosure(
            actor=nurse,
            patient=patient,
            recipient=REGISTRY,
            purpose="registry_reporting",
            categories=["demographics"],
            channel=Channel.PDF_EXPORT,
        )


def test_the_disclosure_log_is_append_only(consent, patient, prescriber):
    services.record_disclosure(
        actor=prescriber,
        patient=patient,
        recipient=REGISTRY,
        purpose="registry_reporting",
        categories=["demographics"],
        channel=Channel.OTHER,
    )
    with pytest.raises(TypeError):
        Disclosure.objects.all().delete()
    with pytest.raises(TypeError):
        Disclosure.objects.get().save()
