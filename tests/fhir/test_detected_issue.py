"""DetectedIssue: safety alerts raised when data arrive over FHIR."""

from speciosa.fhir.validation import validate_resource
from speciosa.safety.models import Alert
from tests.fhir.test_measures import answered


def post_phq9_with_item9(fhir, patient):
    phq9 = fhir.get("/fhir/Questionnaire/phq9").json_body
    response = fhir.post("/fhir/QuestionnaireResponse", answered(phq9, patient, weight=1))
    assert response.status_code == 201, response.content


def test_questionnaire_response_raises_detected_issue(fhir, patient):
    post_phq9_with_item9(fhir, patient)
    bundle = fhir.get(f"/fhir/DetectedIssue?patient={patient.uid}&status=final").json_body
    issue = validate_resource(bundle["entry"][0]["resource"], "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "phq9-item9-positive"
    assert issue["severity"] == "high"
    assert "988" in issue["detail"]


def test_detected_issue_read_by_id_and_severity_search(fhir, patient):
    post_phq9_with_item9(fhir, patient)
    alert = Alert.objects.get(patient=patient, rule_id="phq9-item9-positive")
    assert fhir.get(f"/fhir/DetectedIssue/{alert.uid}").status_code == 200
    assert fhir.get("/fhir/DetectedIssue?severity=low").json_body.get("entry") is None


def test_kratom_alert_is_labelled_part2(fhir, patient):
    from speciosa.safety.services import reevaluate_patient
    from tests.factories import add_kratom_use

    add_kratom_use(patient, grams="5", form="seven_oh")
    reevaluate_patient(patient=patient)
    issues = fhir.get(f"/fhir/DetectedIssue?patient={patient.uid}").json_body.get("entry", [])
    kratom = [
        e["resource"]
        for e in issues
        if "seven" in e["resource"]["code"]["coding"][0]["code"]
        or "7oh" in e["resource"]["code"]["coding"][0]["code"]
        or "kratom" in e["resource"]["code"]["coding"][0]["code"]
    ]
    assert kratom, [e["resource"]["code"] for e in issues]
    assert all(r["meta"]["security"][0]["code"] == "42CFRPart2" for r in kratom)


def test_outsider_cannot_read_detected_issue(fhir, fhir_outsider, patient):
    post_phq9_with_item9(fhir, patient)
    alert = Alert.objects.get(patient=patient)
    assert fhir_outsider.get(f"/fhir/DetectedIssue/{alert.uid}").status_code == 404


def test_detected_issue_is_read_only(fhir, patient):
    post_phq9_with_item9(fhir, patient)
    alert = Alert.objects.get(patient=patient)
    resource = fhir.get(f"/fhir/DetectedIssue/{alert.uid}").json_body
    assert fhir.put(f"/fhir/DetectedIssue/{alert.uid}", resource).status_code == 405
