"""The measures JSON API."""

import json

from speciosa.measures.models import Score


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_list_instruments(api_client):
    response = api_client.get("/api/measures/instruments")
    assert response.status_code == 200
    ids = {i["id"] for i in response.json()}
    assert {"phq9", "cows", "cssrs", "asrs_screener", "kds"} <= ids


def test_get_questionnaire(api_client):
    response = api_client.get("/api/measures/instruments/phq9")
    assert response.status_code == 200
    assert response.json()["resourceType"] == "Questionnaire"


def test_program_wording_is_merged(api_client, settings, tmp_path):
    (tmp_path / "asrs_screener.wording.json").write_text(json.dumps({"items": {"asrs-1": "W1"}}))
    settings.SPECIOSA_INSTRUMENT_DIR = str(tmp_path)
    body = api_client.get("/api/measures/instruments/asrs_screener").json()
    assert body["item"][0]["text"] == "W1"


def test_submit_response_returns_the_score(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    response = post(api_client, url, {"instrument_id": "phq9", "answers": phq9_answers})
    assert response.status_code == 201, response.content
    assert (response.json()["total"], response.json()["band"]) == (20.0, "severe")


def test_submit_response_body_is_the_stored_score(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    answers = phq9_answers | {"phq9-9": 1}  # a critical item: one flag in the body
    response = post(api_client, url, {"instrument_id": "phq9", "answers": answers})
    assert response.status_code == 201, response.content
    row = Score.objects.select_related("response").get()
    flag = row.critical_flags[0]
    taken_at = row.taken_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # exact text: key order, floats as floats, ids and the time as the renderer writes them
    expected = (
        f'{{"id": "{row.uid}", "response_id": "{row.response.uid}", "instrument_id": "phq9",'
        f' "taken_at": "{taken_at}", "total": 21.0, "band": "severe", "is_positive": true,'
        f' "critical_items": ["phq9-9"], "critical_flags": [{{"rule_id": "{flag["rule_id"]}",'
        f' "item_id": "phq9-9", "message": {json.dumps(flag["message"])}}}],'
        f' "subscales": {{}}, "items": {json.dumps(row.items)}, "completeness": 1.0,'
        f' "notes": []}}'
    )
    assert response.content.decode() == expected


def test_score_schema_in_openapi(api_client):
    schemas = api_client.get("/api/openapi.json").json()["components"]["schemas"]
    score = schemas["ScoreOut"]
    assert score["required"] == [
        "id",
        "response_id",
        "instrument_id",
        "taken_at",
        "total",
        "band",
        "is_positive",
        "critical_items",
        "critical_flags",
        "subscales",
        "items",
        "completeness",
        "notes",
    ]
    assert score["properties"]["id"] == {"format": "uuid", "title": "Id", "type": "string"}
    assert score["properties"]["critical_flags"]["items"] == {
        "$ref": "#/components/schemas/CriticalFlagOut"
    }
    assert set(schemas["CriticalFlagOut"]["properties"]) == {"rule_id", "item_id", "message"}


def test_incomplete_response_is_422_naming_the_item_and_stores_nothing(
    api_client, patient, phq9_answers
):
    del phq9_answers["phq9-7"]
    url = f"/api/measures/patients/{patient.uid}/responses"
    response = post(api_client, url, {"instrument_id": "phq9", "answers": phq9_answers})
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "phq9-7"
    assert not Score.objects.exists()


def test_malformed_answer_is_422_naming_the_item(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    body = {"instrument_id": "phq9", "answers": phq9_answers | {"phq9-2": 7}}
    response = post(api_client, url, body)
    assert response.status_code == 422
    assert "phq9-2" in response.json()["message"]


def test_boolean_for_a_numeric_item_is_422(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    body = {"instrument_id": "phq9", "answers": phq9_answers | {"phq9-2": True}}
    assert post(api_client, url, body).status_code == 422


def test_outsider_cannot_submit(client, outsider, patient, phq9_answers):
    client.force_login(outsider)
    url = f"/api/measures/patients/{patient.uid}/responses"
    response = post(client, url, {"instrument_id": "phq9", "answers": phq9_answers})
    assert response.status_code == 404
    assert not Score.objects.exists()


def test_score_history_oldest_first(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    post(
        api_client,
        url,
        {"instrument_id": "phq9", "answers": phq9_answers, "taken_at": "2026-01-01T09:00:00Z"},
    )
    post(
        api_client,
        url,
        {
            "instrument_id": "phq9",
            "answers": phq9_answers | {"phq9-1": 0},
            "taken_at": "2026-01-15T09:00:00Z",
        },
    )
    history = api_client.get(f"/api/measures/patients/{patient.uid}/scores?instrument=phq9")
    assert [s["total"] for s in history.json()] == [20.0, 17.0]


def test_outsider_cannot_read_history(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(f"/api/measures/patients/{patient.uid}/scores").status_code == 404


def test_schedule_and_due_list(api_client, patient, program):
    url = f"/api/measures/patients/{patient.uid}/schedules"
    created = post(api_client, url, {"instrument_id": "cows", "preset": "cows-induction"})
    assert created.status_code == 201, created.content
    due = api_client.get(f"/api/measures/due?program={program.code}")
    assert [d["status"] for d in due.json()] == ["due"]
    assert due.json()[0]["schedule"]["instrument_id"] == "cows"


def test_due_list_of_another_program_is_404(client, outsider, program):
    client.force_login(outsider)
    assert client.get(f"/api/measures/due?program={program.code}").status_code == 404


def _submit_statements(client, url, body) -> list[str]:
    """SQL the submit runs, not counting the test transaction's savepoints."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = post(client, url, body)
    assert response.status_code == 201, response.content
    skip = ("SAVEPOINT", "RELEASE")
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(skip)]


def test_submit_query_budget_does_not_grow_with_history(api_client, patient, phq9_answers):
    url = f"/api/measures/patients/{patient.uid}/responses"
    body = {"instrument_id": "phq9", "answers": phq9_answers}
    post(api_client, url, body)  # the first write creates the program's audit chain head
    first = _submit_statements(api_client, url, body)
    for _ in range(10):
        post(api_client, url, body)
    later = _submit_statements(api_client, url, body)
    assert len(later) == len(first)
    # session + user + patient + membership, 2 inserts (response, score),
    # audit 2 (advance the chain head this process last wrote, insert), safety 4 (substances,
    # medications, first/latest scores of the instruments its rules read, active alerts of
    # those rules),
    # open plans 1, session save 1; no diagnoses, labs, events or study lookups
    assert len(later) <= 14, "\n".join(later)
    tables = " ".join(later)
    assert "patients_diagnosis" not in tables and "research_study" not in tables
