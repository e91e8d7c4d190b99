"""Observation (kratom, labs), Condition, MedicationStatement, EpisodeOfCare."""

from decimal import Decimal

from speciosa.patients.models import Diagnosis, Episode, LabResult, Medication, SubstanceUse
from tests.factories import add_kratom_use, add_lab
from tests.fhir.conftest import assert_outcome

SUBSTANCE_USE = "http://speciosa.org/fhir/CodeSystem/substance-use"
PART2 = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"}


def kratom_observation(patient, grams=12, form="capsules"):
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "social-history",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": SUBSTANCE_USE, "code": "kratom-use"}]},
        "subject": {"reference": f"Patient/{patient.uid}"},
        "component": [
            {
                "code": {"coding": [{"system": SUBSTANCE_USE, "code": "kratom-form"}]},
                "valueCodeableConcept": {
                    "coding": [
                        {"system": "http://speciosa.org/fhir/CodeSystem/kratom-form", "code": form}
                    ]
                },
            },
            {
                "code": {"coding": [{"system": SUBSTANCE_USE, "code": "grams-per-day"}]},
                "valueQuantity": {
                    "value": grams,
                    "unit": "g/d",
                    "system": "http://unitsofmeasure.org",
                    "code": "g/d",
                },
            },
        ],
    }


def test_kratom_observation_carries_part2_label_and_grams(fhir, charted_patient):
    body = fhir.get(f"/fhir/Observation?patient={charted_patient.uid}&category=social-history")
    resource = body.json_body["entry"][0]["resource"]
    assert PART2 | {"display": "42 CFR Part2"} in resource["meta"]["security"]
    grams = next(
        c for c in resource["component"] if c["code"]["coding"][0]["code"] == "grams-per-day"
    )
    assert grams["valueQuantity"] == {
        "value": 24,
        "unit": "g/d",
        "system": "http://unitsofmeasure.org",
        "code": "g/d",
    }


def test_lab_observation_uses_loinc_without_part2(fhir, charted_patient):
    body = fhir.get("/fhir/Observation?code=http://loinc.org|1742-6").json_body
    resource = body["entry"][0]["resource"]
    assert resource["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "1742-6",
        "display": "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    }
    assert "security" not in resource["meta"]
    assert resource["referenceRange"][0]["high"]["value"] == 40


def test_drug_screen_lab_carries_part2(fhir, patient):
    add_lab(patient, "MITRAGYNINE", None, result_text="positive", method="lc_ms_ms")
    resource = fhir.get("/fhir/Observation?code=MITRAGYNINE").json_body["entry"][0]["resource"]
    assert resource["meta"]["security"][0]["code"] == "42CFRPart2"
    assert resource["valueString"] == "positive"


def test_create_kratom_observation_records_substance_use(fhir, patient):
    response = fhir.post("/fhir/Observation", kratom_observation(patient))
    assert response.status_code == 201, response.content
    use = SubstanceUse.objects.get(patient=patient)
    assert (use.substance, use.kratom_form, use.grams_per_day) == (
        "kratom",
        "capsules",
        Decimal("12"),
    )


def test_implausible_kratom_grams_is_422_nothing_stored(fhir, patient):
    response = fhir.post("/fhir/Observation", kratom_observation(patient, grams=900))
    assert_outcome(response, 422, contains="plausible maximum")
    assert not SubstanceUse.objects.exists()


def test_unknown_kratom_form_is_422(fhir, patient):
    response = fhir.post("/fhir/Observation", kratom_observation(patient, form="tea-bag"))
    assert_outcome(response, 422, contains="tea-bag")


def test_update_kratom_observation_with_if_match(fhir, patient):
    use = add_kratom_use(patient, grams="20")
    resource = fhir.get(f"/fhir/Observation/{use.uid}").json_body
    resource["component"] = kratom_observation(patient, grams=8)["component"]
    response = fhir.put(f"/fhir/Observation/{use.uid}", resource, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200, response.content
    use.refresh_from_db()
    assert use.grams_per_day == Decimal("8")
    assert response.json_body["meta"]["versionId"] == "2"


def test_lab_observation_cannot_be_updated_in_place(fhir, patient):
    lab = add_lab(patient, "ALT", 50.0)
    resource = fhir.get(f"/fhir/Observation/{lab.uid}").json_body
    assert_outcome(fhir.put(f"/fhir/Observation/{lab.uid}", resource), 405, contains="corrected")


def test_create_lab_observation_from_loinc(fhir, patient):
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1920-8"}]},
        "subject": {"reference": f"Patient/{patient.uid}"},
        "effectiveDateTime": "2026-01-05T10:00:00Z",
        "valueQuantity": {"value": 88, "unit": "U/L"},
        "referenceRange": [{"high": {"value": 40, "unit": "U/L"}}],
    }
    assert fhir.post("/fhir/Observation", resource).status_code == 201
    lab = LabResult.objects.get()
    assert (lab.analyte, lab.value, lab.ref_high) == ("AST", 88.0, 40)


def test_observation_for_unknown_patient_is_404(fhir, other_patient):
    response = fhir.post("/fhir/Observation", kratom_observation(other_patient))
    assert_outcome(response, 404, contains="does not exist")


def test_observation_date_prefixes(fhir, patient):
    from datetime import UTC, datetime

    add_lab(patient, "ALT", 30.0, collected_at=datetime(2025, 1, 10, tzinfo=UTC))
    add_lab(patient, "ALT", 60.0, collected_at=datetime(2025, 3, 10, tzinfo=UTC))
    url = "/fhir/Observation?category=laboratory&date="
    ge = fhir.get(url + "ge2025-02-01").json_body["entry"]
    le = fhir.get(url + "le2025-02-01").json_body["entry"]
    eq = fhir.get(url + "2025-03").json_body["entry"]
    assert [e["resource"]["valueQuantity"]["value"] for e in ge] == [60.0]
    assert [e["resource"]["valueQuantity"]["value"] for e in le] == [30.0]
    assert [e["resource"]["valueQuantity"]["value"] for e in eq] == [60.0]


def test_observation_include_patient(fhir, charted_patient):
    body = fhir.get("/fhir/Observation?_include=Observation:patient").json_body
    included = [e for e in body["entry"] if e["search"]["mode"] == "include"]
    assert [e["resource"]["id"] for e in included] == [str(charted_patient.uid)]


def test_condition_round_trip_and_sud_label(fhir, patient):
    resource = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F11.20"}],
            "text": "Opioid dependence, uncomplicated",
        },
        "subject": {"reference": f"Patient/{patient.uid}"},
    }
    created = fhir.post("/fhir/Condition", resource)
    assert created.status_code == 201, created.content
    assert Diagnosis.objects.get().icd10_code == "F11.20"
    assert created.json_body["meta"]["security"][0]["code"] == "42CFRPart2"
    found = fhir.get("/fhir/Condition?code=http://hl7.org/fhir/sid/icd-10-cm|F11.20").json_body
    assert found["entry"][0]["resource"]["id"] == created.json_body["id"]


def test_adhd_condition_has_no_part2_label(fhir, patient):
    from speciosa.patients.models import Diagnosis as D

    d = D.objects.create(program=patient.program, patient=patient, icd10_code="F90.0", text="ADHD")
    assert "security" not in fhir.get(f"/fhir/Condition/{d.uid}").json_body["meta"]


def test_invalid_icd10_is_422(fhir, patient):
    resource = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "opioids"}]},
        "subject": {"reference": f"Patient/{patient.uid}"},
    }
    assert_outcome(fhir.post("/fhir/Condition", resource), 422, contains="ICD-10-CM")


def test_medication_statement_create_and_search_by_rxnorm(fhir, patient):
    resource = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "38400"}],
            "text": "Atomoxetine",
        },
        "subject": {"reference": f"Patient/{patient.uid}"},
        "dosage": [{"doseAndRate": [{"doseQuantity": {"value": 40, "unit": "mg"}}]}],
    }
    assert fhir.post("/fhir/MedicationStatement", resource).status_code == 201
    med = Medication.objects.get()
    assert (med.name, med.rxnorm_code, med.dose) == ("atomoxetine", "38400", Decimal("40"))
    found = fhir.get("/fhir/MedicationStatement?code=38400&status=active").json_body
    assert len(found["entry"]) == 1


def test_episode_of_care_admit_and_discharge(fhir, patient):
    resource = {
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "type": [
            {
                "coding": [
                    {"system": "http://speciosa.org/fhir/CodeSystem/asam-level", "code": "2.1"}
                ]
            }
        ],
        "patient": {"reference": f"Patient/{patient.uid}"},
        "period": {"start": "2026-01-02"},
    }
    created = fhir.post("/fhir/EpisodeOfCare", resource).json_body
    created["period"]["end"] = "2026-02-01"
    created["status"] = "finished"
    created["extension"] = [
        {
            "url": "http://speciosa.org/fhir/StructureDefinition/discharge-reason",
            "valueCoding": {
                "system": "http://speciosa.org/fhir/CodeSystem/discharge-reason",
                "code": "completed",
            },
        }
    ]
    response = fhir.put(f"/fhir/EpisodeOfCare/{created['id']}", created)
    assert response.status_code == 200, response.content
    episode = Episode.objects.get()
    assert (str(episode.discharged_on), episode.discharge_reason) == ("2026-02-01", "completed")
    assert fhir.get("/fhir/EpisodeOfCare?status=finished").json_body["entry"]
