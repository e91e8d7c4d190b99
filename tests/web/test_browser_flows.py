"""End-to-end flows in Debian's chromium: what a clinician and a patient actually do."""

import os
from pathlib import Path

import pytest

from speciosa.measures.models import Score
from speciosa.safety.models import Alert
from tests.factories import add_kratom_use, add_medication
from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"

# COWS item scores summing to 26: "moderately severe" (25-36), raises the severe-withdrawal alert
COWS_SEVERE = ["4", "4", "3", "2", "2", "2", "3", "2", "2", "2", "0"]


def test_enter_a_cows_and_see_score_band_and_alert(page, live_server, prescriber, patient):
    add_kratom_use(patient, grams="30", form="extract_shot")
    log_in(page, live_server, "priya")
    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    page.click("summary:has-text('Enter assessment')")
    page.click("a:has-text('COWS')")
    for number, code in enumerate(COWS_SEVERE, start=1):
        page.check(f"input[name='cows__cows-{number}'][value='{code}']")
    page.click("button:has-text('Save and score')")
    assert page.inner_text("#score-total") == "26"
    assert "severe" in page.inner_text("#score-band").lower()
    assert "withdrawal" in page.inner_text("#new-alerts").lower()
    assert Score.objects.get(patient=patient).total == 26


def test_acknowledge_an_alert_with_a_reason(page, live_server, prescriber, patient):
    add_kratom_use(patient, grams="20")
    add_medication(patient, "alprazolam")
    from speciosa.safety.services import reevaluate_patient

    reevaluate_patient(patient=patient)
    alert = Alert.objects.filter(patient=patient).active().first()
    assert alert is not None
    log_in(page, live_server, "priya")
    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    card = page.locator(f"#alert-{alert.uid}")
    card.locator("summary:has-text('Acknowledge or override')").click()
    card.locator("input[name=reason]").fill("Discussed overdose risk; naloxone provided")
    card.locator("button:has-text('Acknowledge')").click()
    page.wait_for_selector(f"#alert-{alert.uid}:has-text('Acknowledged by')")
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert alert.acknowledgement_reason == "Discussed overdose risk; naloxone provided"


def test_self_report_link_on_a_phone_reaches_the_chart(
    page, phone_page, live_server, counsellor, patient
):
    log_in(page, live_server, "cam")
    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    page.click("summary:has-text('Self-report link')")
    page.check("input[name=instruments][value=phq9]")
    page.click("button:has-text('Create link')")
    url = page.input_value("input.link-url")
    assert "/r/" in url

    phone_page.goto(url)
    assert patient.family_name not in phone_page.content()
    for item in range(1, 9):
        phone_page.check(f"input[name='phq9__phq9-{item}'][value='LA6569-3']")
    phone_page.check("input[name='phq9__phq9-9'][value='LA6570-1']")
    phone_page.click("button:has-text('Send my answers')")
    assert "988" in phone_page.inner_text("main")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    again = phone_page.goto(url)
    assert again.status == 410

    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    assert "PHQ-9" in page.inner_text("#scores-h + .charts")
    assert "critical" in page.inner_text("#alerts").lower()


def test_chart_screenshot_for_the_readme(page, live_server, prescriber, patient, tmp_path):
    """Not a pixel test: saves docs/chart.png and checks the charts rendered."""
    from tests.web.test_chart_page import _alerts, _scores

    add_kratom_use(patient, grams="12", form="capsules")
    add_medication(patient, "buprenorphine-naloxone")
    _scores(patient, 8, "phq9", 21)
    _scores(patient, 6, "gad7", 16)
    _alerts(patient, 2)
    log_in(page, live_server, "priya")
    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    assert page.locator("figure.chart-panel svg").count() == 2
    # SPECIOSA_UPDATE_SCREENSHOTS=1 refreshes docs/; otherwise the picture goes to tmp
    target = (
        DOCS / "chart-test.png"
        if os.environ.get("SPECIOSA_UPDATE_SCREENSHOTS")
        else tmp_path / "chart.png"
    )
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_print_the_plan_for_an_outside_clinic_with_and_without_consent(
    page, live_server, prescriber, patient
):
    from speciosa.plans.services import create_plan_from_template
    from speciosa.privacy.models import Disclosure
    from tests.plans.test_disclosure_pdf import CLINIC, PLAN_CATEGORIES
    from tests.privacy.conftest import give_consent

    add_kratom_use(patient, grams="8")
    create_plan_from_template(actor=prescriber, patient=patient, pathway_ids=["kratom-taper"])
    log_in(page, live_server, "priya")

    def send_pdf():
        page.goto(f"{live_server.url}/patients/{patient.uid}/")
        form = page.locator("#plan-disclosure")
        form.locator("summary").click()
        form.locator("input[name=recipient]").fill(CLINIC)
        form.locator("select[name=purpose]").select_option("treatment")
        with page.expect_response(lambda r: "disclosure.pdf" in r.url) as answer:
            form.locator("button:has-text('Create PDF')").click()
        return answer.value

    refused = send_pdf()
    assert refused.status == 302
    page.wait_for_selector(".messages:has-text('No active 42 CFR Part 2 consent')")
    assert not Disclosure.objects.exists()

    give_consent(
        prescriber, patient, recipient=CLINIC, purposes=["treatment"], categories=PLAN_CATEGORIES
    )
    allowed = send_pdf()
    assert allowed.status == 200
    assert allowed.headers["content-type"] == "application/pdf"
    assert Disclosure.objects.get(patient=patient).channel == "pdf_export"


def test_screen_consent_and_enrol_from_the_chart(page, live_server, prescriber, director, patient):
    from speciosa.research.models import Enrolment
    from tests.research.conftest import create_study, open_study

    open_study(director, create_study(director, patient.program))
    add_kratom_use(patient)
    log_in(page, live_server, "priya")
    page.goto(f"{live_server.url}/patients/{patient.uid}/")
    row = page.locator("#study-KRT-01")
    assert "Not screened" in row.inner_text()
    assert row.locator("button:has-text('Enrol and randomize')").count() == 0

    row.locator("button:has-text('Screen')").click()
    page.wait_for_selector(".messages:has-text('KRT-01 screening: Eligible')")

    row.locator("summary:has-text('Record consent')").click()
    assert "Consent, version 1" in row.locator("td.consent form").inner_text()
    row.locator("input[name=signature_name]").fill("Alex Rivera")
    row.locator("select[name=method]").select_option("paper")
    row.locator("button:has-text('Record consent')").click()
    page.wait_for_selector(".messages:has-text('consent recorded (version 1)')")

    row.locator("button:has-text('Enrol and randomize')").click()
    page.wait_for_selector(".messages:has-text('enrolled as KRT-001')")
    enrolment = Enrolment.objects.get(patient=patient)
    assert row.locator(".subject-id").inner_text() == "KRT-001"
    assert row.locator(".arm").inner_text() == enrolment.arm.name
    assert enrolment.created_by == prescriber
    # SPECIOSA_UPDATE_SCREENSHOTS=1 refreshes docs/research-chart-panel.png
    if os.environ.get("SPECIOSA_UPDATE_SCREENSHOTS"):
        page.locator("#research").screenshot(path=str(DOCS / "research-chart-panel.png"))
