"""NUL characters are refused at the edge (PostgreSQL cannot store them: was a 500)."""

import json

from speciosa.patients.models import Patient


def patient_body(program, **overrides):
    body = {
        "mrn": "N1",
        "given_name": "Ada",
        "family_name": "Null",
        "birth_date": "1990-01-01",
        "program": program.code,
    }
    body.update(overrides)
    return json.dumps(body)


def test_a_nul_in_a_json_body_is_a_400_in_the_api_error_shape(api_client, program):
    body = patient_body(program, given_name="a\u0000b")
    response = api_client.post("/api/patients", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert not Patient.objects.filter(mrn="N1").exists()


def test_an_escaped_backslash_u0000_text_is_not_a_nul(api_client, program):
    body = patient_body(program, given_name="back\\u0000slash")
    response = api_client.post("/api/patients", data=body, content_type="application/json")
    assert response.status_code == 201


def test_a_nul_in_the_query_string_is_refused(api_client):
    assert api_client.get("/api/patients?q=a%00b").status_code == 400
    assert api_client.get("/?q=a%00b").status_code == 400


def test_a_nul_in_a_fhir_search_is_an_operation_outcome(api_client):
    response = api_client.get("/fhir/Patient?name=a%00b")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_nul_in_a_login_form_is_refused(client):
    response = client.post(
        "/login/",
        data="username=a%00b&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
