"""Transaction (all-or-nothing) and batch Bundles on POST /fhir."""

from speciosa.fhir.validation import validate_resource
from speciosa.patients.models import Patient, SubstanceUse
from tests.fhir.conftest import assert_outcome, new_patient_resource
from tests.fhir.test_clinical_resources import kratom_observation


def transaction_with_new_patient(program, grams=10, kind="transaction"):
    patient_entry = {
        "fullUrl": "urn:uuid:7d1e0a36-0000-4000-8000-000000000001",
        "resource": new_patient_resource(program, mrn="TX1"),
        "request": {"method": "POST", "url": "Patient"},
    }

    class Ref:
        uid = "7d1e0a36-0000-4000-8000-000000000001"

    observation = kratom_observation(Ref, grams=grams)
    observation["subject"] = {"reference": "urn:uuid:7d1e0a36-0000-4000-8000-000000000001"}
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"resource": observation, "request": {"method": "POST", "url": "Observation"}},
            patient_entry,
        ],
    }


def test_transaction_creates_patient_and_resolves_urn_reference(fhir, program):
    response = fhir.post("/fhir", transaction_with_new_patient(program))
    assert response.status_code == 200, response.content
    body = validate_resource(response.json_body, "Bundle")
    assert body["type"] == "transaction-response"
    patient = Patient.objects.get(mrn="TX1")
    assert SubstanceUse.objects.get().patient == patient
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created"]


def test_transaction_rolls_back_everything_on_one_failure(fhir, program):
    response = fhir.post("/fhir", transaction_with_new_patient(program, grams=999))
    assert_outcome(response, 422, contains="entry 0 failed")
    assert not Patient.objects.filter(mrn="TX1").exists()
    assert not SubstanceUse.objects.exists()


def test_batch_keeps_successful_entries(fhir, program):
    bundle = transaction_with_new_patient(program, grams=999, kind="batch")
    response = fhir.post("/fhir/", bundle)
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.json_body["entry"]]
    assert statuses == ["422", "201 Created"]
    assert Patient.objects.filter(mrn="TX1").exists()


def test_bundle_round_trip_read_back_equals_written(fhir, program, charted_patient):
    """Search -> transaction PUT of the same resources -> read back: same content."""
    before = fhir.get(f"/fhir/Observation?patient={charted_patient.uid}").json_body
    puts = [
        {
            "resource": e["resource"],
            "request": {"method": "PUT", "url": f"Observation/{e['resource']['id']}"},
        }
        for e in before["entry"]
        if e["resource"]["category"][0]["coding"][0]["code"] == "social-history"
    ]
    response = fhir.post("/fhir", {"resourceType": "Bundle", "type": "transaction", "entry": puts})
    assert response.status_code == 200, response.content
    for put in puts:
        again = fhir.get(f"/fhir/{put['request']['url']}").json_body
        assert again["component"] == put["resource"]["component"]
        assert int(again["meta"]["versionId"]) == int(put["resource"]["meta"]["versionId"]) + 1


def test_bundle_get_entries_search_and_read(fhir, patient):
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": f"Patient/{patient.uid}"}},
            {"request": {"method": "GET", "url": "Patient?identifier=A0001"}},
        ],
    }
    entries = fhir.post("/fhir", bundle).json_body["entry"]
    assert entries[0]["resource"]["id"] == str(patient.uid)
    assert entries[1]["resource"]["type"] == "searchset"


def test_collection_bundle_is_refused(fhir):
    response = fhir.post("/fhir", {"resourceType": "Bundle", "type": "collection"})
    assert_outcome(response, 400, contains="transaction or batch")


def test_get_on_base_url_is_405(fhir):
    assert_outcome(fhir.get("/fhir/"), 405, contains="POST")
