"""Consent from the privacy app's Part 2 consents."""

from speciosa.fhir.validation import validate_resource
from speciosa.privacy import services
from tests.privacy.conftest import REGISTRY, give_consent


def test_consent_maps_recipient_purpose_and_categories(fhir, prescriber, patient):
    give_consent(prescriber, patient)
    body = fhir.get(f"/fhir/Consent?patient={patient.uid}&status=active").json_body
    consent = validate_resource(body["entry"][0]["resource"], "Consent")
    assert consent["extension"][0]["valueString"] == REGISTRY
    assert [p["code"] for p in consent["provision"]["purpose"]] == ["registry_reporting"]
    assert consent["policyRule"]["coding"][0]["code"] == "42CFRPart2"


def test_revoked_consent_is_inactive(fhir, prescriber, patient):
    consent = give_consent(prescriber, patient)
    services.revoke_consent(actor=prescriber, consent=consent, reason="patient asked")
    assert fhir.get(f"/fhir/Consent/{consent.uid}").json_body["status"] == "inactive"
    assert "entry" not in fhir.get("/fhir/Consent?status=active").json_body


def test_outsider_cannot_read_consent(fhir_outsider, prescriber, patient):
    consent = give_consent(prescriber, patient)
    assert fhir_outsider.get(f"/fhir/Consent/{consent.uid}").status_code == 404
