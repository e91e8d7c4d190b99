"""Questionnaire catalog, QuestionnaireResponse create (scored), score Observations."""

import pytest

from speciosa.fhir.validation import validate_resource
from speciosa.measures.models import QuestionnaireResponse, Score
from tests.fhir.conftest import assert_outcome


def answered(questionnaire, patient, weight=1):
    """A completed response choosing the option of ``weight`` on every required item."""
    items = []
    for item in questionnaire["item"]:
        if not item.get("required"):
            continue
        if item["type"] == "choice":
            options = item["answerOption"]
            option = next(
                (
                    o
                    for o in options
                    if any(
                        e["url"].endswith("itemWeight") and e["valueDecimal"] == weight
                        for e in o.get("extension", [])
                    )
                ),
                options[0],  # items without that weight (e.g. COWS 0/1/2/4) take the first
            )
            items.append(
                {"linkId": item["linkId"], "answer": [{"valueCoding": option["valueCoding"]}]}
            )
        elif item["type"] == "integer":
            items.append({"linkId": item["linkId"], "answer": [{"valueInteger": weight}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire['url']}|{questionnaire.get('version', '1')}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.uid}"},
        "item": items,
    }


@pytest.fixture
def phq9(fhir):
    return fhir.get("/fhir/Questionnaire/phq9").json_body


def test_questionnaires_are_served_and_validate(fhir):
    bundle = fhir.get("/fhir/Questionnaire").json_body
    ids = {e["resource"]["id"] for e in bundle["entry"]}
    assert {"phq9", "cows", "gad7"} <= ids
    for e in bundle["entry"]:
        validate_resource(e["resource"], "Questionnaire")


def test_questionnaire_search_by_url(fhir, phq9):
    bundle = fhir.get(f"/fhir/Questionnaire?url={phq9['url']}").json_body
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["phq9"]


def test_post_questionnaire_response_scores_it(fhir, patient, phq9):
    response = fhir.post("/fhir/QuestionnaireResponse", answered(phq9, patient, weight=1))
    assert response.status_code == 201, response.content
    validate_resource(response.json_body, "QuestionnaireResponse")
    score = Score.objects.get(patient=patient)
    assert (score.instrument_id, score.total) == ("phq9", 9.0)
    assert response.json_body["id"] == str(score.response.uid)


def test_score_observation_has_loinc_total_and_derived_from(fhir, patient, phq9):
    created = fhir.post("/fhir/QuestionnaireResponse", answered(phq9, patient)).json_body
    bundle = fhir.get(f"/fhir/Observation?patient={patient.uid}&category=survey").json_body
    observation = validate_resource(bundle["entry"][0]["resource"], "Observation")
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    assert observation["valueQuantity"]["value"] == 9
    assert observation["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{created['id']}"
    by_loinc = fhir.get("/fhir/Observation?code=http://loinc.org|44261-6").json_body
    assert len(by_loinc["entry"]) == 1


def test_cows_score_uses_speciosa_code_and_part2(fhir, patient):
    cows = fhir.get("/fhir/Questionnaire/cows").json_body
    fhir.post("/fhir/QuestionnaireResponse", answered(cows, patient, weight=1))
    observation = fhir.get("/fhir/Observation?code=cows").json_body["entry"][0]["resource"]
    assert observation["code"]["coding"][0]["system"].endswith("/CodeSystem/instrument-score")
    assert observation["meta"]["security"][0]["code"] == "42CFRPart2"


def test_incomplete_response_is_422_and_nothing_stored(fhir, patient, phq9):
    resource = answered(phq9, patient)
    resource["item"] = resource["item"][:3]
    response = fhir.post("/fhir/QuestionnaireResponse", resource)
    assert_outcome(response, 422)
    assert not QuestionnaireResponse.objects.exists()


def test_unknown_questionnaire_is_422(fhir, patient, phq9):
    resource = answered(phq9, patient)
    resource["questionnaire"] = "http://example.org/Questionnaire/nope"
    assert_outcome(fhir.post("/fhir/QuestionnaireResponse", resource), 422, contains="unknown")


def test_score_observations_cannot_be_posted(fhir, patient):
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
        "subject": {"reference": f"Patient/{patient.uid}"},
        "valueQuantity": {"value": 3},
    }
    assert_outcome(fhir.post("/fhir/Observation", resource), 422, contains="derived")


def test_outsider_cannot_post_for_patient(fhir_outsider, patient, phq9):
    response = fhir_outsider.post("/fhir/QuestionnaireResponse", answered(phq9, patient))
    assert_outcome(response, 404)
