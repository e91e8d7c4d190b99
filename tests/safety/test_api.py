"""/api/safety/: the alert inbox, acknowledge/override, evidence cards and rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from speciosa.safety.models import Alert
from speciosa.safety.services import reevaluate_patient
from tests.factories import add_kratom_use, add_medication, make_patient


@pytest.fixture
def alerts(program, kratom_patient):
    """kratom-benzodiazepine (critical) on one patient, concentrated product (critical, older)
    and high dose (high) on another."""
    add_medication(kratom_patient, "lorazepam")
    reevaluate_patient(patient=kratom_patient)
    heavy = make_patient(program, given_name="Hale")
    add_kratom_use(heavy, grams="60", form="extract_shot")
    reevaluate_patient(patient=heavy)
    Alert.objects.filter(patient=heavy).update(opened_at=timezone.now() - timedelta(days=2))
    return Alert.objects.all()


def test_inbox_is_sorted_by_severity_then_age(api_client, alerts):
    body = api_client.get("/api/safety/programs/alpha/alerts").json()
    assert [(a["severity"], a["rule_id"]) for a in body] == [
        ("critical", "kratom-concentrated-product"),  # older critical first
        ("critical", "kratom-benzodiazepine"),
        ("high", "kratom-high-daily-dose"),
    ]


def test_inbox_of_another_program_is_not_found(client, outsider, alerts):
    client.force_login(outsider)
    response = client.get("/api/safety/programs/alpha/alerts")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_outsider_cannot_read_an_alert(client, outsider, alerts):
    client.force_login(outsider)
    alert = alerts.first()
    assert client.get(f"/api/safety/alerts/{alert.uid}").status_code == 404


def test_acknowledge_via_api(api_client, prescriber, alerts):
    alert = alerts.get(rule_id="kratom-benzodiazepine")
    response = api_client.post(
        f"/api/safety/alerts/{alert.uid}/acknowledge",
        {"version": alert.version, "reason": "reviewed"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == prescriber.username


def test_acknowledge_with_stale_version_is_412(api_client, alerts):
    alert = alerts.get(rule_id="kratom-benzodiazepine")
    response = api_client.post(
        f"/api/safety/alerts/{alert.uid}/acknowledge",
        {"version": alert.version + 1},
        content_type="application/json",
    )
    assert response.status_code == 412


def test_override_without_reason_is_422(api_client, alerts):
    alert = alerts.get(rule_id="kratom-benzodiazepine")
    response = api_client.post(
        f"/api/safety/alerts/{alert.uid}/override",
        {"version": alert.version, "reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_evidence_cards_list(api_client):
    cards = api_client.get("/api/safety/evidence").json()
    assert [c["id"] for c in cards] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert all(c["citations"] for c in cards)


def test_evidence_card_read(api_client):
    card = api_client.get("/api/safety/evidence/C2").json()
    assert card["grade"] == "contradicted"
    assert card["patient_summary"]


def test_unknown_evidence_card_is_404(api_client):
    assert api_client.get("/api/safety/evidence/C9").status_code == 404


def test_rules_list_has_citations(api_client):
    rules = api_client.get("/api/safety/rules").json()
    assert len(rules) >= 20
    assert all(r["citations"] for r in rules)


def test_api_requires_login(client):
    assert client.get("/api/safety/evidence").status_code == 401
