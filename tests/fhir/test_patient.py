"""Patient create/read/update/search, versioning and If-Match."""

from speciosa.patients.models import Patient
from tests.factories import make_patient
from tests.fhir.conftest import assert_outcome, new_patient_resource


def test_create_patient_returns_201_with_location_and_etag(fhir, program):
    response = fhir.post("/fhir/Patient", new_patient_resource(program))
    assert response.status_code == 201
    stored = Patient.objects.get(mrn="N100")
    assert response["Location"].endswith(f"/fhir/Patient/{stored.uid}/_history/1")
    assert response["ETag"] == 'W/"1"'
    assert stored.family_name == "Nguyen"
    assert stored.program == program


def test_create_patient_is_audited_as_create(fhir, program):
    from speciosa.audit.models import AuditEvent

    fhir.post("/fhir/Patient", new_patient_resource(program))
    assert AuditEvent.objects.filter(action="create", object_type="patients.Patient").exists()


def test_create_patient_in_foreign_program_is_404(fhir, other_program):
    response = fhir.post("/fhir/Patient", new_patient_resource(other_program))
    assert_outcome(response, 404, contains="managingOrganization")
    assert not Patient.objects.filter(mrn="N100").exists()


def test_read_patient_has_version_and_sex_at_birth(fhir, patient):
    response = fhir.get(f"/fhir/Patient/{patient.uid}")
    body = response.json_body
    assert body["meta"]["versionId"] == "1"
    assert response["ETag"] == 'W/"1"'
    assert body["extension"][0]["valueCode"] == "female"
    assert body["identifier"][0]["value"] == "A0001"


def test_update_patient_increments_version(fhir, patient):
    resource = fhir.get(f"/fhir/Patient/{patient.uid}").json_body
    resource["name"][0]["family"] = "Rivera-Lopez"
    response = fhir.put(f"/fhir/Patient/{patient.uid}", resource, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200
    assert response.json_body["meta"]["versionId"] == "2"
    patient.refresh_from_db()
    assert patient.family_name == "Rivera-Lopez"
    assert patient.version == 2


def test_update_with_stale_if_match_is_412_and_nothing_changes(fhir, patient):
    resource = fhir.get(f"/fhir/Patient/{patient.uid}").json_body
    resource["name"][0]["family"] = "Changed"
    fhir.put(f"/fhir/Patient/{patient.uid}", resource, HTTP_IF_MATCH='W/"1"')
    resource["name"][0]["family"] = "Lost update"
    response = fhir.put(f"/fhir/Patient/{patient.uid}", resource, HTTP_IF_MATCH='W/"1"')
    assert_outcome(response, 412, contains="changed by someone else")
    patient.refresh_from_db()
    assert patient.family_name == "Changed"


def test_update_with_stale_meta_version_is_412(fhir, patient):
    resource = fhir.get(f"/fhir/Patient/{patient.uid}").json_body
    Patient.objects.filter(pk=patient.pk).update(version=5)
    assert_outcome(fhir.put(f"/fhir/Patient/{patient.uid}", resource), 412)


def test_update_with_mismatched_id_is_400(fhir, patient):
    resource = fhir.get(f"/fhir/Patient/{patient.uid}").json_body
    resource["id"] = "something-else"
    assert_outcome(fhir.put(f"/fhir/Patient/{patient.uid}", resource), 400, contains="must match")


def test_outsider_cannot_update(fhir, fhir_outsider, patient):
    resource = fhir.get(f"/fhir/Patient/{patient.uid}").json_body
    assert_outcome(fhir_outsider.put(f"/fhir/Patient/{patient.uid}", resource), 404)


def test_counsellor_cannot_create_patient(client, counsellor, program):
    from tests.fhir.conftest import token_client

    response = token_client(client, counsellor).post("/fhir/Patient", new_patient_resource(program))
    assert_outcome(response, 403, contains="may not edit demographics")


def test_search_by_identifier(fhir, program, patient):
    make_patient(program, mrn="ZZ9")
    body = fhir.get("/fhir/Patient?identifier=A0001").json_body
    assert [e["resource"]["id"] for e in body["entry"]] == [str(patient.uid)]


def test_search_by_birthdate_prefixes(fhir, program, patient):
    from datetime import date

    older = make_patient(program, birth_date=date(1960, 1, 1))
    ge = fhir.get("/fhir/Patient?birthdate=ge1980").json_body
    le = fhir.get("/fhir/Patient?birthdate=le1970-12-31").json_body
    assert [e["resource"]["id"] for e in ge["entry"]] == [str(patient.uid)]
    assert [e["resource"]["id"] for e in le["entry"]] == [str(older.uid)]


def test_search_by_name_or(fhir, program, patient):
    other = make_patient(program, family_name="Zed")
    body = fhir.get("/fhir/Patient?name=Riv,Zed").json_body
    assert {e["resource"]["id"] for e in body["entry"]} == {str(patient.uid), str(other.uid)}


def test_include_organization(fhir, patient, program):
    body = fhir.get("/fhir/Patient?_include=Patient:organization").json_body
    modes = {e["resource"]["resourceType"]: e["search"]["mode"] for e in body["entry"]}
    assert modes == {"Patient": "match", "Organization": "include"}


def test_unsupported_include_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/Patient?_include=Patient:link"), 400, contains="_include")


def test_history_of_patient_has_current_version(fhir, patient):
    body = fhir.get(f"/fhir/Patient/{patient.uid}/_history").json_body
    assert body["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in body["entry"]] == ["1"]


def test_vread_of_old_version_is_404_with_reason(fhir, patient):
    Patient.objects.filter(pk=patient.pk).update(version=3)
    assert_outcome(fhir.get(f"/fhir/Patient/{patient.uid}/_history/1"), 404, contains="not kept")
