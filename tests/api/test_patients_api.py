import json

from speciosa.accounts.models import ApiToken
from speciosa.audit.models import AuditEvent
from speciosa.patients.models import Patient, SubstanceUse


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_api_requires_authentication(client, patient):
    response = client.get("/api/patients")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_is_scoped_to_own_program(api_client, patient, other_patient):
    response = api_client.get("/api/patients")
    assert [p["mrn"] for p in response.json()] == ["A0001"]


def test_other_programs_patient_is_404_not_403(api_client, other_patient):
    response = api_client.get(f"/api/patients/{other_patient.uid}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Patient not found", "detail": {}}


def test_read_patient_is_audited(api_client, patient):
    response = api_client.get(f"/api/patients/{patient.uid}")
    assert response.status_code == 200 and response.json()["id"] == str(patient.uid)
    assert AuditEvent.objects.filter(patient=patient, action="read").count() == 1


def test_negative_grams_gives_422_naming_the_field_and_saves_nothing(api_client, patient):
    response = post(
        api_client,
        f"/api/patients/{patient.uid}/substance-use",
        {"substance": "kratom", "grams_per_day": -3},
    )
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "grams_per_day"
    assert not SubstanceUse.objects.exists()


def test_stale_patch_gives_412(api_client, patient):
    ok = api_client.patch(
        f"/api/patients/{patient.uid}",
        json.dumps({"version": 1, "phone": "1"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api_client.patch(
        f"/api/patients/{patient.uid}",
        json.dumps({"version": 1, "phone": "2"}),
        content_type="application/json",
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    patient.refresh_from_db()
    assert patient.phone == "1"


def test_bearer_token_authenticates(client, prescriber, patient):
    _, secret = ApiToken.issue(user=prescriber, name="test client")
    response = client.get("/api/patients", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and len(response.json()) == 1


def test_revoked_token_is_refused(client, prescriber, patient):
    from django.utils import timezone

    token, secret = ApiToken.issue(user=prescriber, name="old")
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/patients", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_session_post_without_csrf_is_refused(prescriber, program):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    response = post(
        client,
        "/api/patients",
        {
            "mrn": "Q",
            "given_name": "a",
            "family_name": "b",
            "birth_date": "1990-01-01",
            "program": "alpha",
        },
    )
    assert response.status_code in (401, 403)
    assert not Patient.objects.filter(mrn="Q").exists()


def test_create_patient_through_api(client, director, program):
    client.force_login(director)
    response = post(
        client,
        "/api/patients",
        {
            "mrn": "Q1",
            "given_name": "Ana",
            "family_name": "Ruiz",
            "birth_date": "1990-01-01",
            "program": "alpha",
        },
    )
    assert response.status_code == 201
    assert Patient.objects.get(mrn="Q1").given_name == "Ana"
