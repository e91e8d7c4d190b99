from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from speciosa.measures.models import QuestionnaireResponse, Score
from speciosa.safety.models import Alert
from tests.factories import add_kratom_use, add_medication


def _scores(patient, n, instrument="phq9", start_total=22):
    now = timezone.now()
    for i in range(n):
        at = now - timedelta(days=n - i)
        response = QuestionnaireResponse.objects.create(
            program=patient.program,
            patient=patient,
            instrument_id=instrument,
            authored_at=at,
            source="clinician",
            resource={"resourceType": "QuestionnaireResponse"},
        )
        Score.objects.create(
            program=patient.program,
            patient=patient,
            response=response,
            instrument_id=instrument,
            taken_at=at,
            total=max(0, start_total - i % 20),
            band="moderate",
        )


def _alerts(patient, n, offset=0):
    for i in range(offset, offset + n):
        Alert.objects.create(
            program=patient.program,
            patient=patient,
            rule_id=f"rule-{i}",
            rule_version=1,
            severity=["critical", "high", "moderate", "info"][i % 4],
            severity_rank=i % 4,
            title=f"Alert {i}",
            message="m",
            action="a",
        )


def _chart_queries(client, patient):
    """Statements the chart page runs, not counting the test transaction's savepoints."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/patients/{patient.uid}/")
    assert response.status_code == 200
    real = [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return len(real), response


@pytest.mark.django_db
def test_chart_query_count_is_bounded_by_design_not_by_history(api_client, patient):
    add_kratom_use(patient)
    add_medication(patient, "atomoxetine")
    _scores(patient, 5)
    _alerts(patient, 2)
    _chart_queries(api_client, patient)  # first read creates the program's audit chain head
    small, _ = _chart_queries(api_client, patient)
    _scores(patient, 195, instrument="gad7", start_total=18)
    _alerts(patient, 18, offset=2)
    # 200 scores and 20 alerts
    large, response = _chart_queries(api_client, patient)
    assert large == small
    # 3 session/user/membership + 1 patient + 2 audit (advance the chain head this process
    # last wrote, insert) + 5 record lists + 1 scores + 1 alerts + 1 plan + 1 session save
    assert large <= 15
    assert response.content.decode().count("<svg") == 2


def test_chart_shows_header_kratom_flag_and_band_shading(api_client, patient):
    add_kratom_use(patient, grams="20", form="seven_oh")
    _scores(patient, 4)
    html = api_client.get(f"/patients/{patient.uid}/").content.decode()
    assert "MRN A0001" in html and "Kratom 20.00 g/day" in html
    assert "<rect" in html  # severity bands shaded
    assert "PHQ-9" in html


def test_acknowledge_needs_a_reason_and_records_who(api_client, prescriber, patient):
    _alerts(patient, 1)
    alert = Alert.objects.get()
    refused = api_client.post(
        f"/alerts/{alert.uid}/acknowledge/", {"reason": " "}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422
    alert.refresh_from_db()
    assert alert.status == "open"
    ok = api_client.post(
        f"/alerts/{alert.uid}/acknowledge/",
        {"reason": "reviewed with patient"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.acknowledgement_reason) == (
        "acknowledged",
        prescriber,
        "reviewed with patient",
    )


def test_override_records_the_reason(api_client, patient):
    _alerts(patient, 1)
    alert = Alert.objects.get()
    api_client.post(f"/alerts/{alert.uid}/override/", {"reason": "benefit outweighs risk"})
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledgement_reason) == ("overridden", "benefit outweighs risk")


def test_outsider_cannot_acknowledge(client, outsider, patient):
    _alerts(patient, 1)
    client.force_login(outsider)
    alert = Alert.objects.get()
    assert client.post(f"/alerts/{alert.uid}/acknowledge/", {"reason": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_script_in_a_patient_name_renders_inert(api_client, patient):
    patient.given_name = "<script>alert(1)</script>"
    patient.save()
    html = api_client.get(f"/patients/{patient.uid}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_evidence_library_lists_the_article_claims(api_client):
    html = api_client.get("/evidence/").content.decode()
    for card in ("C1", "C2", "C3", "C4", "C5", "C6"):
        assert f"/evidence/{card}/" in html
    assert api_client.get("/evidence/C2/").status_code == 200
    assert api_client.get("/evidence/C99/").status_code == 404


def test_caseload_shows_open_alerts_by_severity(api_client, patient, other_patient):
    _alerts(patient, 4)
    _alerts(other_patient, 3)
    html = api_client.get("/").content.decode()
    assert "1 critical" in html and "1 high" in html
    assert "Stone" not in html  # other program's patient
