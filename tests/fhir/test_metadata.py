"""CapabilityStatement and CodeSystems."""

from speciosa.fhir.codesystems import CODE_SYSTEMS
from speciosa.fhir.validation import validate_resource


def test_metadata_is_a_valid_capability_statement_without_login(client, db):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    body = response.json()
    validate_resource(body, "CapabilityStatement")
    assert body["fhirVersion"] == "4.0.1"


def test_metadata_lists_interactions_the_server_has(client, db):
    body = client.get("/fhir/metadata").json()
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    patient = {i["code"] for i in resources["Patient"]["interaction"]}
    practitioner = {i["code"] for i in resources["Practitioner"]["interaction"]}
    assert patient == {"read", "search-type", "create", "update"}
    assert practitioner == {"read", "search-type"}
    assert "Observation:patient" in resources["Observation"]["searchInclude"]


def test_metadata_search_params_include_date_and_count_docs(client, db):
    body = client.get("/fhir/metadata").json()
    observation = next(r for r in body["rest"][0]["resource"] if r["type"] == "Observation")
    names = {p["name"] for p in observation["searchParam"]}
    assert {"patient", "subject", "code", "date", "status", "_lastUpdated"} <= names


def test_every_code_system_validates_and_is_served(fhir):
    for name in CODE_SYSTEMS:
        response = fhir.get(f"/fhir/CodeSystem/{name}")
        assert response.status_code == 200
        validate_resource(response.json_body, "CodeSystem")
        assert response.json_body["url"].endswith(f"/CodeSystem/{name}")


def test_kratom_form_code_system_lists_seven_oh(fhir):
    body = fhir.get("/fhir/CodeSystem/kratom-form").json_body
    assert {c["code"] for c in body["concept"]} == {
        "leaf_powder",
        "capsules",
        "extract_shot",
        "seven_oh",
        "other",
    }


def test_code_system_search_by_url(fhir):
    url = "http://speciosa.org/fhir/CodeSystem/substance-use"
    body = fhir.get(f"/fhir/CodeSystem?url={url}").json_body
    assert [e["resource"]["id"] for e in body["entry"]] == ["substance-use"]
