"""A patient named ``<script>alert(1)</script>`` renders inert in the chart page and API."""

import json

import pytest

from tests.factories import make_patient

PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture
def hostile_patient(program):
    return make_patient(
        program, given_name=PAYLOAD, family_name='"><img src=x onerror=alert(1)>', mrn="X-1"
    )


def test_chart_page_escapes_the_name(api_client, hostile_patient):
    response = api_client.get(f"/patients/{hostile_patient.uid}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert PAYLOAD not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_caseload_escapes_the_name(api_client, hostile_patient):
    html = api_client.get("/").content.decode()
    assert PAYLOAD not in html
    assert "&lt;script&gt;" in html


def test_api_returns_the_name_as_json_data_not_html(api_client, hostile_patient):
    response = api_client.get(f"/api/patients/{hostile_patient.uid}")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content)["given_name"] == PAYLOAD
