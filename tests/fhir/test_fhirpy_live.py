"""Interoperability: a real FHIR client (fhirpy) against a running server (live_server)."""

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import (
    ForbiddenError,
    MultipleResourcesFound,
    OperationOutcome,
    ResourceNotFound,
)

from speciosa.accounts.models import ApiToken
from speciosa.fhir.validation import validate_resource

pytestmark = pytest.mark.django_db(transaction=True)
SUBSTANCE_USE = "http://speciosa.org/fhir/CodeSystem/substance-use"


@pytest.fixture
def fhir_client(live_server, prescriber, program):
    _, secret = ApiToken.issue(user=prescriber, name="fhirpy", scope="read_write")
    return SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {secret}")


def kratom_use(patient_id: str, grams: int) -> dict:
    return {
        "status": "final",
        "code": {"coding": [{"system": SUBSTANCE_USE, "code": "kratom-use"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "component": [
            {
                "code": {"coding": [{"system": SUBSTANCE_USE, "code": "grams-per-day"}]},
                "valueQuantity": {"value": grams, "unit": "g/d", "code": "g/d"},
            }
        ],
    }


def test_fhirpy_creates_patient_posts_observation_and_searches(fhir_client, program):
    patient = fhir_client.resource(
        "Patient",
        identifier=[{"system": f"http://speciosa.org/fhir/sid/mrn/{program.code}", "value": "FP1"}],
        name=[{"family": "Okafor", "given": ["Ada"]}],
        gender="female",
        birthDate="1991-02-03",
    )
    patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"

    observation = fhir_client.resource("Observation", **kratom_use(patient.id, 18))
    observation.save()

    found = fhir_client.resources("Observation").search(patient=patient.id).fetch_all()
    assert [o.id for o in found] == [observation.id]
    validate_resource(found[0].serialize(), "Observation")
    assert found[0]["meta"]["security"][0]["code"] == "42CFRPart2"

    read_back = fhir_client.reference("Patient", patient.id).to_resource()
    assert read_back["name"][0]["family"] == "Okafor"


def test_fhirpy_update_with_stale_version_raises_outcome(fhir_client, program):
    patient = fhir_client.resource(
        "Patient",
        identifier=[{"value": "FP2"}],
        name=[{"family": "Lee", "given": ["Sam"]}],
        birthDate="1980-01-01",
    )
    patient.save()
    patient["name"][0]["family"] = "Lee-Smith"
    patient.save()
    stale = fhir_client.reference("Patient", patient.id).to_resource()
    stale["meta"]["versionId"] = "1"
    # fhirpy raises MultipleResourcesFound for any 412 (its conditional-update meaning)
    with pytest.raises((OperationOutcome, MultipleResourcesFound)) as excinfo:
        stale.save()
    assert "changed by someone else" in str(excinfo.value)


def test_fhirpy_fetch_all_follows_keyset_next_links(fhir_client, program):
    from tests.factories import make_patient

    for _ in range(5):
        make_patient(program)
    patients = fhir_client.resources("Patient").limit(2).fetch_all()
    assert len({p.id for p in patients}) == 5


def test_fhirpy_missing_resource_raises_not_found(fhir_client):
    with pytest.raises(ResourceNotFound):
        fhir_client.reference("Patient", "00000000-0000-4000-8000-000000000000").to_resource()


def test_fhirpy_posts_questionnaire_response_finds_score_and_detected_issue(fhir_client, patient):
    from tests.fhir.test_measures import answered

    phq9 = fhir_client.reference("Questionnaire", "phq9").to_resource()
    qr = fhir_client.resource("QuestionnaireResponse", **answered(phq9.serialize(), patient))
    qr.save()
    scores = (
        fhir_client.resources("Observation")
        .search(patient=str(patient.uid), category="survey")
        .fetch_all()
    )
    assert len(scores) == 1
    score = scores[0]
    assert score["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{qr.id}"
    assert score["valueQuantity"]["value"] == 9
    validate_resource(score.serialize(), "Observation")

    # PHQ-9 item 9 answered above 0: the safety engine raised an alert in the same write
    issues = fhir_client.resources("DetectedIssue").search(patient=str(patient.uid)).fetch_all()
    assert [i["code"]["coding"][0]["code"] for i in issues] == ["phq9-item9-positive"]
    issue = fhir_client.reference("DetectedIssue", issues[0].id).to_resource()
    assert issue["severity"] == "high"
    validate_resource(issue.serialize(), "DetectedIssue")


def test_fhirpy_reads_the_audit_log_as_director(fhir_client, live_server, director, patient):
    from speciosa.audit.models import AuditAction
    from speciosa.audit.services import write_audit
    from speciosa.fhir.mapping.audit import audit_event_id

    row = write_audit(actor=director, action=AuditAction.CREATE, obj=patient)
    _, secret = ApiToken.issue(user=director, name="auditor", scope="read")
    auditor = SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {secret}")
    found = auditor.resources("AuditEvent").search(patient=str(patient.uid), action="C").fetch_all()
    assert [e.id for e in found] == [audit_event_id(row)]
    event = auditor.reference("AuditEvent", audit_event_id(row)).to_resource()
    validate_resource(event.serialize(), "AuditEvent")
    assert event["entity"][0]["what"]["reference"] == f"Patient/{patient.uid}"

    # the prescriber's client may not read the audit log: a 403 OperationOutcome, no rows
    with pytest.raises(ForbiddenError) as excinfo:
        fhir_client.resources("AuditEvent").fetch_all()
    assert "view_audit" in str(excinfo.value)
