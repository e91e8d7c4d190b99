"""ResearchStudy, ResearchSubject and AdverseEvent from the research app."""

from datetime import date

import pytest

from speciosa.fhir.validation import validate_resource
from speciosa.research import services
from tests.research.conftest import create_study, enrol, open_study


@pytest.fixture
def enrolment(director, program, patient, prescriber):
    from tests.factories import add_kratom_use

    add_kratom_use(patient)
    study = open_study(director, create_study(director, program))
    return enrol(study, patient, prescriber)


@pytest.fixture
def adverse_event(enrolment, prescriber):
    return services.report_adverse_event(
        actor=prescriber,
        enrolment=enrolment,
        term="vomiting after dose",
        category="withdrawal",
        onset_on=date(2026, 1, 10),
        seriousness=["hospitalisation"],
        grade=3,
        relatedness="possible",
        is_expected=False,
    )


def test_research_study_maps_status_and_arms(fhir, enrolment):
    body = fhir.get("/fhir/ResearchStudy?status=active").json_body
    study = validate_resource(body["entry"][0]["resource"], "ResearchStudy")
    assert study["identifier"][0]["value"] == "KRT-01"
    assert {a["name"] for a in study["arm"]} == {"bup", "taper"}


def test_research_subject_links_patient_study_and_arm(fhir, enrolment, patient):
    body = fhir.get(f"/fhir/ResearchSubject?patient={patient.uid}").json_body
    subject = validate_resource(body["entry"][0]["resource"], "ResearchSubject")
    assert subject["individual"]["reference"] == f"Patient/{patient.uid}"
    assert subject["assignedArm"] == enrolment.arm.code
    assert subject["status"] == "on-study"


def test_research_subject_include_study(fhir, enrolment):
    body = fhir.get("/fhir/ResearchSubject?_include=ResearchSubject:study").json_body
    types = [e["resource"]["resourceType"] for e in body["entry"]]
    assert types == ["ResearchSubject", "ResearchStudy"]


def test_adverse_event_is_coded_without_verbatim_term(fhir, adverse_event, patient):
    body = fhir.get(f"/fhir/AdverseEvent?patient={patient.uid}&seriousness=serious").json_body
    resource = validate_resource(body["entry"][0]["resource"], "AdverseEvent")
    assert resource["severity"]["coding"][0]["code"] == "severe"
    assert resource["event"]["coding"][0]["code"] == "withdrawal"
    assert "vomiting" not in str(resource)
    assert resource["meta"]["security"][0]["code"] == "42CFRPart2"


def test_outsider_sees_no_adverse_event(fhir_outsider, adverse_event):
    assert "entry" not in fhir_outsider.get("/fhir/AdverseEvent").json_body
    assert fhir_outsider.get(f"/fhir/AdverseEvent/{adverse_event.uid}").status_code == 404


def test_research_resources_are_read_only(fhir, enrolment):
    resource = fhir.get(f"/fhir/ResearchSubject/{enrolment.uid}").json_body
    response = fhir.put(f"/fhir/ResearchSubject/{enrolment.uid}", resource)
    assert response.status_code == 405
