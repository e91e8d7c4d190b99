import pytest

from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_then_search_caseload_and_open_chart(
    page, live_server, prescriber, patient, other_patient
):
    log_in(page, live_server, "priya")
    assert page.locator("#patient-rows").inner_text().count("Rivera") == 1
    assert "Stone" not in page.content()
    page.fill("input[name=q]", "Riv")
    page.wait_for_timeout(600)
    page.click("text=Rivera, Alex")
    page.wait_for_url(f"**/patients/{patient.uid}/")
    assert "MRN A0001" in page.inner_text("header.chart-header")


def test_chart_of_another_program_is_404(page, live_server, prescriber, other_patient):
    log_in(page, live_server, "priya")
    response = page.goto(f"{live_server.url}/patients/{other_patient.uid}/")
    assert response.status == 404
    assert "Stone" not in page.content()


def test_wrong_password_shows_an_error(page, live_server, prescriber):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "priya")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
