"""Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused before anything parses them."""

import json


def oversized_body(settings) -> str:
    return json.dumps({"mrn": "X", "notes": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


def test_oversized_json_to_the_api_is_refused_with_413(api_client, settings, program):
    response = api_client.post(
        "/api/patients", data=oversized_body(settings), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_oversized_form_post_to_a_page_is_refused_with_4xx(client, settings):
    body = "username=x&password=" + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_the_limit_is_set_and_modest(settings):
    assert 0 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
