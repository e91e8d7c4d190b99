"""Plan and discharge-summary PDFs: the extracted text holds objectives and statuses."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from speciosa.audit.models import AuditEvent
from speciosa.clinical.charts import ChartBand, line_chart_svg
from speciosa.plans import services
from speciosa.plans.pdf import render_discharge_summary_pdf, render_plan_pdf
from tests.plans.conftest import add_score


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def plan_with_scores(prescriber, kratom_patient):
    now = timezone.now()
    for i, total in enumerate([12, 4, 3, 2]):
        add_score(kratom_patient, "cows", total, now - timedelta(days=6 - 2 * i))
    return services.create_plan_from_template(
        actor=prescriber,
        patient=kratom_patient,
        pathway_ids=["kratom-oud-buprenorphine"],
        start_date=timezone.localdate() - timedelta(days=7),
    )


def test_plan_pdf_lists_objectives_with_their_status(plan_with_scores):
    text = pdf_text(render_plan_pdf(plan_with_scores))
    assert "Withdrawal resolved on buprenorphine" in text
    assert "COWS < 5 on 3 consecutive assessments" in text
    assert "3 of 3 consecutive COWS below 5" in text
    assert "met" in text and "not enough data" in text  # fentanyl screens: none yet
    assert "Alex Rivera" in text
    assert "COWS (4 scores)" in text  # the trend chart's title is SVG text in the PDF


def test_taper_plan_pdf_shows_the_dated_schedule(prescriber, taper_plan):
    text = pdf_text(render_plan_pdf(taper_plan))
    assert "Kratom taper schedule" in text
    assert "8.00" in text and "0.00" in text


def test_discharge_summary_shows_score_change_and_history(plan_with_scores):
    text = pdf_text(render_discharge_summary_pdf(plan_with_scores))
    assert "Discharge summary" in text
    assert "Objectives at discharge" in text
    assert "Withdrawal resolved on buprenorphine" in text
    assert "Created from template: kratom-oud-buprenorphine" in text


def test_pdf_endpoint_returns_pdf_and_audits_an_export(api_client, plan_with_scores):
    response = api_client.get(f"/api/plans/{plan_with_scores.uid}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content[:4] == b"%PDF"
    assert AuditEvent.objects.filter(action="export", object_id=str(plan_with_scores.uid)).exists()


def test_pdf_endpoint_hides_other_programs_plans(client, outsider, plan_with_scores):
    client.force_login(outsider)
    assert client.get(f"/api/plans/{plan_with_scores.uid}/pdf").status_code == 404


def test_thin_severity_band_gets_no_overlapping_label():
    svg = line_chart_svg(
        [(1.0, 3.0), (2.0, 2.0)],
        y_min=0,
        y_max=48,
        bands=[ChartBand(0, 4.5, "No active withdrawal"), ChartBand(4.5, 48, "Withdrawal")],
        height=150,
    )
    assert ">Withdrawal</text>" in svg
    assert ">No active withdrawal</text>" not in svg  # still in the band's <title>
    assert "No active withdrawal (0–4.5)" in svg
