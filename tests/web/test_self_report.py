from datetime import timedelta

import pytest
from django.utils import timezone

from speciosa.measures.models import Score
from speciosa.safety.models import Alert
from speciosa.selfreport.models import SelfReportLink
from speciosa.selfreport.services import LinkUnusable, create_self_report_link

PHQ9_ITEM9 = {f"phq9__phq9-{i}": "LA6568-5" for i in range(1, 9)} | {"phq9__phq9-9": "LA6571-9"}
PHQ9_CLEAR = {f"phq9__phq9-{i}": "LA6569-3" for i in range(1, 9)} | {"phq9__phq9-9": "LA6568-5"}


@pytest.fixture
def link_token(counsellor, patient):
    _, token = create_self_report_link(actor=counsellor, patient=patient, instrument_ids=["phq9"])
    return token


def test_clinician_creates_a_link_and_only_a_hash_is_stored(api_client, patient):
    response = api_client.post(
        f"/patients/{patient.uid}/self-report-links/",
        {"instruments": ["phq9", "gad7"], "valid_hours": "24"},
    )
    assert response.status_code == 200
    url = response.content.decode().split('value="')[1].split('"')[0]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = SelfReportLink.objects.get()
    assert link.instrument_ids == ["phq9", "gad7"]
    assert link.token_hash == SelfReportLink.hash_token(token) and token not in link.token_hash


def test_clinician_administered_instrument_cannot_be_sent(counsellor, patient):
    from speciosa.clinical.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not a self-report"):
        create_self_report_link(actor=counsellor, patient=patient, instrument_ids=["cows"])


def test_patient_page_needs_no_login_and_shows_nothing_of_the_record(client, patient, link_token):
    response = client.get(f"/r/{link_token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "phq9__phq9-9" in html
    for secret in (patient.family_name, patient.given_name, patient.mrn, str(patient.uid)):
        assert secret not in html


def test_positive_item9_shows_crisis_resources_and_alerts_the_team(client, patient, link_token):
    response = client.post(f"/r/{link_token}/", PHQ9_ITEM9)
    assert response.status_code == 200
    assert "988" in response.content.decode()
    assert Score.objects.get(patient=patient).response.source == "self_report"
    assert Alert.objects.filter(patient=patient, severity="critical").active().count() == 1


def test_negative_answers_show_a_plain_thank_you(client, patient, link_token):
    response = client.post(f"/r/{link_token}/", PHQ9_CLEAR)
    assert response.status_code == 200
    assert "988" not in response.content.decode()
    assert Score.objects.filter(patient=patient).count() == 1


def test_link_works_once(client, patient, link_token):
    assert client.post(f"/r/{link_token}/", PHQ9_CLEAR).status_code == 200
    again = client.post(f"/r/{link_token}/", PHQ9_CLEAR)
    assert again.status_code == 410
    assert Score.objects.filter(patient=patient).count() == 1


def test_expired_link_stores_nothing(client, patient, link_token):
    SelfReportLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(f"/r/{link_token}/", PHQ9_CLEAR)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not Score.objects.exists()


def test_forged_token_is_404_and_stores_nothing(client, patient, link_token):
    response = client.post("/r/forged-token-value/", PHQ9_CLEAR)
    assert response.status_code == 404
    assert not Score.objects.exists()


def test_incomplete_answers_keep_the_link_open(client, patient, link_token):
    partial = dict(PHQ9_CLEAR)
    del partial["phq9__phq9-4"]
    response = client.post(f"/r/{link_token}/", partial)
    assert response.status_code == 422
    assert not Score.objects.exists()
    assert SelfReportLink.objects.get().status == "open"


def test_unknown_link_raises_a_domain_error(db):
    from speciosa.selfreport.services import find_usable_link

    with pytest.raises(LinkUnusable) as exc:
        find_usable_link("nope")
    assert exc.value.reason == "unknown"
