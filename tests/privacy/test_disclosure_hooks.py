"""Disclosure paths: FHIR by an external client app, and the registry export helper."""

import json

import pytest

from speciosa.accounts.models import ApiToken
from speciosa.privacy.hooks import categories_by_patient, disclose_to_registry
from speciosa.privacy.models import Disclosure
from tests.factories import make_patient
from tests.privacy.conftest import give_consent

CLIENT = "Acme Care Coordination App"


@pytest.fixture
def external_token(prescriber, program):
    token, secret = ApiToken.issue(user=prescriber, name=CLIENT, is_external_client=True)
    token.programs.add(program)
    return secret


def fhir_get(client, url, secret, **headers):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)


def test_external_client_without_consent_is_refused(client, external_token, patient):
    response = fhir_get(client, f"/fhir/Patient/{patient.uid}", external_token)
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not Disclosure.objects.exists()


def test_external_client_with_consent_gets_data_notice_and_a_logged_disclosure(
    client, external_token, patient, prescriber
):
    give_consent(prescriber, patient, recipient=CLIENT, purposes=["treatment"])
    response = fhir_get(client, f"/fhir/Patient/{patient.uid}", external_token)
    assert response.status_code == 200
    assert response["X-Part2-Notice"].startswith("42 CFR part 2 prohibits")
    codes = {s["code"] for s in response.json()["meta"]["security"]}
    assert {"42CFRPart2", "NORDSCLCD"} <= codes
    row = Disclosure.objects.get()
    assert (row.recipient, row.channel, row.categories) == (
        CLIENT,
        "fhir_external_client",
        ["demographics"],
    )


def test_purpose_of_use_header_must_be_consented(client, external_token, patient, prescriber):
    give_consent(prescriber, patient, recipient=CLIENT, purposes=["treatment"])
    response = fhir_get(
        client, f"/fhir/Patient/{patient.uid}", external_token, HTTP_X_PURPOSE_OF_USE="payment"
    )
    assert response.status_code == 403


def test_a_search_is_refused_if_one_patient_lacks_consent(
    client, external_token, patient, program, prescriber
):
    give_consent(prescriber, patient, recipient=CLIENT, purposes=["treatment"])
    make_patient(program)  # no consent
    response = fhir_get(client, "/fhir/Patient", external_token)
    assert response.status_code == 403
    assert not Disclosure.objects.exists()  # all or nothing


def test_bulk_export_to_an_external_client_is_refused(client, external_token):
    response = fhir_get(client, "/fhir/$export", external_token, HTTP_PREFER="respond-async")
    assert response.status_code == 403


def test_an_internal_token_needs_no_consent(client, prescriber, patient, program):
    token, secret = ApiToken.issue(user=prescriber, name="ward tablet")
    response = fhir_get(client, f"/fhir/Patient/{patient.uid}", secret)
    assert response.status_code == 200
    assert not Disclosure.objects.exists()


def test_observations_need_labs_substance_use_and_scores():
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}}
        ],
    }
    assert {c.value for c in categories_by_patient(bundle)["p1"]} == {
        "labs",
        "substance_use",
        "scores",
    }


def test_registry_export_includes_only_consented_patients(prescriber, patient, program):
    other = make_patient(program)
    give_consent(prescriber, patient, recipient="State Registry")
    result = disclose_to_registry(
        prescriber, [patient, other], recipient="State Registry", categories=["demographics"]
    )
    assert [p for p, _ in result.included] == [patient]
    assert [p for p, _ in result.left_out] == [other]
    assert Disclosure.objects.filter(channel="bulk_export").count() == 1
    assert json.dumps(result.included[0][1].notice)


def test_dataio_export_to_a_recipient_needs_every_patients_consent(
    director, patient, program, tmp_path
):
    from speciosa.clinical.errors import ConsentRequired
    from speciosa.dataio.exporter import export_program

    other = make_patient(program)
    give_consent(director, patient, recipient="State Registry")
    export = dict(
        actor=director,
        program=program,
        out_dir=tmp_path,
        recipient="State Registry",
        tables=["patients", "substance_uses"],
    )
    with pytest.raises(ConsentRequired):
        export_program(**export)
    assert not Disclosure.objects.exists()
    assert not (tmp_path / "patients.csv").exists()
    give_consent(director, other, recipient="State Registry")
    export_program(**export)
    assert Disclosure.objects.filter(channel="bulk_export").count() == 2
    assert "42 CFR part 2" in (tmp_path / "PART2_NOTICE.txt").read_text()
