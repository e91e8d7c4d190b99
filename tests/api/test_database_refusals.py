import json

from speciosa.privacy.models import Part2Consent


def test_timestamp_the_database_cannot_store_is_422_and_saves_nothing(client, director, patient):
    """An absurd UTC offset passes the schema; PostgreSQL refuses it. The API must answer
    422 (never 500) and store nothing. On SQLite the value is stored as text, so either a
    201 or a 422 is a correct answer there; a 500 never is."""
    client.force_login(director)
    body = {
        "recipient": "County Court",
        "purposes": ["treatment"],
        "categories": ["demographics"],
        "expires_at": "2243-06-27T09:50:36-22:13",
        "signature_name": "Alex Rivera",
    }
    response = client.post(
        f"/api/privacy/patients/{patient.uid}/consents",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert response.json()["code"] == "invalid_input"
        assert not Part2Consent.objects.exists()
