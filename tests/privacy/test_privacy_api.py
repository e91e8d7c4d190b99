"""The privacy API: consents, disclosure check, accounting of disclosures; and the CLI."""

import json
from datetime import timedelta

from django.utils import timezone
from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.clinical.privacy.part2 import Channel
from speciosa.privacy import services
from tests.privacy.conftest import REGISTRY


def post(client, url, body):
    return client.post(url, data=json.dumps(body, default=str), content_type="application/json")


def consent_body(**overrides):
    body = {
        "recipient": REGISTRY,
        "purposes": ["registry_reporting"],
        "categories": ["demographics"],
        "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
        "signature_name": "Alex Rivera",
    }
    body.update(overrides)
    return body


def test_prescriber_records_and_lists_a_consent(api_client, patient):
    created = post(api_client, f"/api/privacy/patients/{patient.uid}/consents", consent_body())
    assert created.status_code == 201
    listed = api_client.get(f"/api/privacy/patients/{patient.uid}/consents").json()
    assert [c["id"] for c in listed] == [created.json()["id"]]


def test_outsider_gets_404_for_another_programs_consents(client, outsider, patient):
    client.force_login(outsider)
    response = client.get(f"/api/privacy/patients/{patient.uid}/consents")
    assert response.status_code == 404


def test_disclosure_check_refuses_without_consent(api_client, patient):
    body = {"recipient": REGISTRY, "purpose": "registry_reporting", "categories": ["labs"]}
    response = post(api_client, f"/api/privacy/patients/{patient.uid}/disclosure-check", body)
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"


def test_disclosure_check_allows_with_consent_and_returns_the_notice(api_client, consent, patient):
    body = {"recipient": REGISTRY, "purpose": "registry_reporting", "categories": ["demographics"]}
    response = post(api_client, f"/api/privacy/patients/{patient.uid}/disclosure-check", body)
    assert response.status_code == 200
    assert response.json()["consent"] == str(consent.uid)
    assert "42 CFR part 2" in response.json()["notice"]


def test_revoking_over_the_api_stops_disclosure(api_client, consent, patient):
    response = post(api_client, f"/api/privacy/consents/{consent.uid}/revoke", {"reason": "asked"})
    assert response.status_code == 200 and response.json()["revoked_at"]
    body = {"recipient": REGISTRY, "purpose": "registry_reporting", "categories": ["demographics"]}
    check = post(api_client, f"/api/privacy/patients/{patient.uid}/disclosure-check", body)
    assert check.status_code == 403


def disclose(prescriber, patient, description="discharge summary"):
    return services.record_disclosure(
        actor=prescriber,
        patient=patient,
        recipient=REGISTRY,
        purpose="registry_reporting",
        categories=["demographics"],
        channel=Channel.PDF_EXPORT,
        description=description,
    )


def test_accounting_of_disclosures_lists_each_disclosure(api_client, consent, patient, prescriber):
    disclose(prescriber, patient, "first")
    disclose(prescriber, patient, "second")
    report = api_client.get(f"/api/privacy/patients/{patient.uid}/disclosures").json()
    assert [d["description"] for d in report["disclosures"]] == ["second", "first"]
    assert report["since_days"] == 1095
    assert "2.25" in report["citation"]


def test_a_counsellor_may_not_read_the_accounting(client, counsellor, patient):
    client.force_login(counsellor)
    assert client.get(f"/api/privacy/patients/{patient.uid}/disclosures").status_code == 403


def test_cli_prints_the_accounting_as_json(consent, patient, prescriber):
    disclose(prescriber, patient)
    result = CliRunner().invoke(
        app, ["privacy", "disclosures", "--patient", str(patient.uid), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["patient"] == str(patient.uid)
    assert [d["recipient"] for d in data["disclosures"]] == [REGISTRY]


def test_cli_finds_the_patient_by_mrn_and_program(consent, patient, program):
    args = ["privacy", "disclosures", "--patient", patient.mrn, "--program", program.code]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout.strip().splitlines()[-1])["disclosures"] == []
