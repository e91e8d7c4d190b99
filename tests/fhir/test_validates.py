"""Every resource the server emits validates with fhir.resources (R4B models)."""

import pytest

from speciosa.fhir.registry import REGISTRY
from speciosa.fhir.validation import validate_resource
from speciosa.patients.models import Diagnosis, Episode
from tests.factories import add_kratom_use, add_lab, make_patient


def add_research(patient, director, prescriber):
    from datetime import date

    from speciosa.research import services
    from tests.research.conftest import create_study, enrol, open_study

    study = open_study(director, create_study(director, patient.program))
    enrolment = enrol(study, patient, prescriber)
    services.report_adverse_event(
        actor=prescriber,
        enrolment=enrolment,
        term="nausea",
        category="gastrointestinal",
        onset_on=date(2026, 1, 10),
        resolved_on=date(2026, 1, 12),
        grade=1,
        relatedness="unlikely",
        is_expected=True,
    )


@pytest.fixture
def full_chart(charted_patient, prescriber, director):
    p = charted_patient
    Diagnosis.objects.create(program=p.program, patient=p, icd10_code="F11.20", text="OUD")
    Episode.objects.create(
        program=p.program,
        patient=p,
        asam_level="3.7",
        admitted_on="2026-01-01",
        discharged_on="2026-01-20",
        discharge_reason="completed",
        primary_clinician=prescriber,
    )
    add_kratom_use(p, grams="3", form="seven_oh", route="oral", years_of_use="2.5", notes="n")
    add_kratom_use(
        p, substance="alcohol", kratom_form="", grams_per_day=None, amount=4, unit="drinks"
    )
    add_lab(p, "FENTANYL", None, result_text="negative", method="immunoassay", cutoff=1.0)
    subject = make_patient(p.program, mrn="RS1")  # eligible: not on buprenorphine
    add_kratom_use(subject)
    add_research(subject, director, prescriber)
    from speciosa.measures.services import record_response

    answers = {f"phq9-{i}": 1 for i in range(1, 10)}
    record_response(actor=prescriber, patient=p, instrument_id="phq9", answers=answers)
    from speciosa.plans.services import create_plan_from_template

    create_plan_from_template(actor=prescriber, patient=subject, pathway_ids=["kratom-taper"])
    from tests.privacy.conftest import give_consent

    give_consent(prescriber, p)
    return p


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_every_emitted_resource_validates(fhir, fhir_director, full_chart, type_name):
    if REGISTRY[type_name].read_action:  # AuditEvent: the director reads the audit log
        fhir = fhir_director
    bundle = fhir.get(f"/fhir/{type_name}?_count=100").json_body
    validate_resource(bundle, "Bundle")
    assert bundle.get("entry"), f"no {type_name} emitted to check"
    for entry in bundle["entry"]:
        resource = validate_resource(entry["resource"], type_name)
        read = fhir.get(f"/fhir/{type_name}/{resource['id']}").json_body
        assert read == resource
