from speciosa.measures.models import QuestionnaireResponse, Score
from speciosa.safety.models import Alert

# item scores 1,2,1,2,1,2,1,1,1,1,0 -> 13 (moderate starts at 13, Wesson & Ling 2003)
COWS_13 = {
    "cows-1": "1",
    "cows-2": "2",
    "cows-3": "1",
    "cows-4": "2",
    "cows-5": "1",
    "cows-6": "2",
    "cows-7": "1",
    "cows-8": "1",
    "cows-9": "1",
    "cows-10": "1",
    "cows-11": "0",
}


def _post(client, patient, instrument, answers):
    data = {f"{instrument}__{k}": v for k, v in answers.items()}
    return client.post(f"/patients/{patient.uid}/assess/{instrument}/", data)


def test_form_has_one_fieldset_per_questionnaire_item(api_client, patient):
    response = api_client.get(f"/patients/{patient.uid}/assess/cows/")
    assert response.status_code == 200
    assert response.content.decode().count('class="q-item') == 11


def test_saving_a_cows_shows_total_and_band(api_client, patient):
    response = _post(api_client, patient, "cows", COWS_13)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="score-total">13<' in html
    score = Score.objects.get(patient=patient)
    assert (score.total, score.band) == (13, "moderate")
    assert score.band in html or "Moderate" in html


def test_missing_item_is_shown_next_to_it_and_nothing_is_saved(api_client, patient):
    answers = dict(COWS_13)
    del answers["cows-7"]
    response = _post(api_client, patient, "cows", answers)
    assert response.status_code == 422
    html = response.content.decode()
    item_block = html.split('id="item-cows__cows-7"')[1].split("</fieldset>")[0]
    assert 'class="error"' in item_block
    assert not QuestionnaireResponse.objects.exists() and not Score.objects.exists()


def test_out_of_range_answer_is_refused(api_client, patient):
    response = _post(api_client, patient, "cows", {**COWS_13, "cows-1": "3"})
    assert response.status_code == 422
    assert not Score.objects.exists()


def test_phq9_item9_shows_the_critical_alert_after_saving(api_client, patient):
    answers = {f"phq9-{i}": "LA6568-5" for i in range(1, 9)} | {"phq9-9": "LA6570-1"}
    response = _post(api_client, patient, "phq9", answers)
    assert response.status_code == 200
    alert = Alert.objects.get(patient=patient, severity="critical")
    assert alert.title in response.content.decode()


def test_outsider_gets_404_for_the_form(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.uid}/assess/cows/").status_code == 404


def test_unknown_instrument_is_404(api_client, patient):
    assert api_client.get(f"/patients/{patient.uid}/assess/nope/").status_code == 404
