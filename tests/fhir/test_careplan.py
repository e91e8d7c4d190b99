"""CarePlan with contained Goals, and _history / vread from the plan's versions."""

import copy

import pytest

from speciosa.fhir.validation import validate_resource
from speciosa.plans import services
from tests.factories import add_kratom_use


@pytest.fixture
def plan(prescriber, patient):
    add_kratom_use(patient, grams="8")
    return services.create_plan_from_template(
        actor=prescriber, patient=patient, pathway_ids=["kratom-taper"]
    )


@pytest.fixture
def plan_v2(plan, counsellor):
    document = copy.deepcopy(plan.current_version.document)
    document["title"] = "Taper, slower"
    services.change_plan(
        actor=counsellor,
        plan=plan,
        expected_version=1,
        document=document,
        reason="patient asked for a slower pace",
    )
    plan.refresh_from_db()
    return plan


def test_careplan_validates_with_contained_goals(fhir, plan, patient):
    body = fhir.get(f"/fhir/CarePlan?patient={patient.uid}").json_body
    careplan = validate_resource(body["entry"][0]["resource"], "CarePlan")
    assert careplan["contained"], "the taper pathway has goals"
    assert {g["resourceType"] for g in careplan["contained"]} == {"Goal"}
    for goal in careplan["contained"]:
        validate_resource(goal, "Goal")
    assert careplan["goal"][0]["reference"].startswith("#goal-")


def test_careplan_history_lists_every_version_newest_first(fhir, plan_v2):
    body = fhir.get(f"/fhir/CarePlan/{plan_v2.uid}/_history").json_body
    validate_resource(body, "Bundle")
    versions = [e["resource"]["meta"]["versionId"] for e in body["entry"]]
    titles = [e["resource"]["title"] for e in body["entry"]]
    assert versions == ["2", "1"]
    assert titles[0] == "Taper, slower" and titles[1] != "Taper, slower"


def test_careplan_vread_returns_old_version(fhir, plan_v2):
    response = fhir.get(f"/fhir/CarePlan/{plan_v2.uid}/_history/1")
    assert response.status_code == 200
    assert response.json_body["meta"]["versionId"] == "1"
    assert response["ETag"] == 'W/"1"'


def test_careplan_read_is_current_version(fhir, plan_v2):
    body = fhir.get(f"/fhir/CarePlan/{plan_v2.uid}").json_body
    assert (body["meta"]["versionId"], body["title"]) == ("2", "Taper, slower")


def test_capability_lists_careplan_history(fhir, plan):
    statement = fhir.get("/fhir/metadata").json_body
    careplan = next(r for r in statement["rest"][0]["resource"] if r["type"] == "CarePlan")
    assert {"vread", "history-instance"} <= {i["code"] for i in careplan["interaction"]}


def test_outsider_cannot_read_plan_history(fhir_outsider, plan):
    assert fhir_outsider.get(f"/fhir/CarePlan/{plan.uid}/_history").status_code == 404
