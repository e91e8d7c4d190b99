"""Every 4xx/5xx under /fhir/ is an OperationOutcome with a useful diagnostic."""

from speciosa.patients.models import Patient
from tests.fhir.conftest import assert_outcome, new_patient_resource


def test_unknown_route_is_404_outcome(fhir):
    assert_outcome(fhir.get("/fhir/Patient/x/y/z/w"), 404, contains="No FHIR route")


def test_unknown_route_without_auth_is_still_an_outcome(client, db):
    response = client.get("/fhir/zzz/1/2/3/4")
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_unknown_type_is_404_outcome(fhir):
    assert_outcome(fhir.get("/fhir/Spaceship"), 404, contains="not supported")


def test_unknown_id_is_404_outcome(fhir, patient):
    assert_outcome(fhir.get("/fhir/Patient/not-a-uuid"), 404, contains="not known")


def test_unsupported_search_parameter_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/Patient?colour=blue"), 400, contains="colour")


def test_lenient_handling_ignores_unknown_parameter(fhir, patient):
    response = fhir.get("/fhir/Patient?colour=blue", HTTP_PREFER="handling=lenient")
    assert response.status_code == 200


def test_bad_date_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/Patient?birthdate=ge19xx"), 400, contains="19xx")


def test_wrong_method_is_405_with_allow(fhir, patient):
    response = fhir.delete(f"/fhir/Patient/{patient.uid}")
    assert_outcome(response, 405, contains="DELETE")
    assert "PUT" in response["Allow"]


def test_invalid_resource_is_422_and_nothing_stored(fhir, program):
    resource = new_patient_resource(program, birthDate="not-a-date")
    assert_outcome(fhir.post("/fhir/Patient", resource), 422, contains="birthDate")
    assert not Patient.objects.filter(mrn="N100").exists()


def test_unknown_element_is_422(fhir, program):
    resource = new_patient_resource(program, hairColour="red")
    assert_outcome(fhir.post("/fhir/Patient", resource), 422, contains="hairColour")


def test_wrong_resource_type_in_body_is_400(fhir, program):
    body = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert_outcome(fhir.post("/fhir/Patient", body), 400, contains="Expected a Patient")


def test_non_json_body_is_400(fhir):
    response = fhir.client.post(
        "/fhir/Patient", data=b"{nope", content_type="application/fhir+json", **fhir.headers
    )
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_xml_body_is_415(fhir):
    response = fhir.client.post(
        "/fhir/Patient", data=b"<Patient/>", content_type="application/fhir+xml", **fhir.headers
    )
    assert response.status_code == 415


def test_domain_error_keeps_its_code_in_the_diagnostic(fhir, program, patient):
    resource = new_patient_resource(program, mrn=patient.mrn)
    assert_outcome(fhir.post("/fhir/Patient", resource), 422, contains="already exists")


def test_server_error_is_500_outcome(fhir, patient, monkeypatch):
    from speciosa.fhir.mapping import patient as mapping

    def boom(p):
        raise RuntimeError("kaput")

    monkeypatch.setattr(mapping.PATIENT_SOURCE, "to_fhir", boom)
    assert_outcome(fhir.get(f"/fhir/Patient/{patient.uid}"), 500, contains="request id")
