"""Outcomes dashboard pages: access, scoping, HTMX partial, CSV and PDF exports."""

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from speciosa.audit.models import AuditEvent
from speciosa.outcomes.queries import clear_extract_cache
from speciosa.patients.models import Diagnosis, Episode
from tests.factories import add_kratom_use, add_medication, make_patient

URL = "/outcomes/"


@pytest.fixture(autouse=True)
def _fresh_extract():
    clear_extract_cache()
    yield
    clear_extract_cache()


def admit(patient, days_ago=40, discharged_after=None, reason=""):
    admitted = timezone.now().date() - timedelta(days=days_ago)
    return Episode.objects.create(
        program=patient.program,
        patient=patient,
        asam_level="1",
        admitted_on=admitted,
        discharged_on=admitted + timedelta(days=discharged_after) if discharged_after else None,
        discharge_reason=reason,
    )


@pytest.fixture
def cohort(program):
    """Three patients with OUD, one of them on buprenorphine; one unplanned discharge."""
    patients = [make_patient(program) for _ in range(3)]
    admit(patients[0], discharged_after=10, reason="left_against_advice")
    admit(patients[1])
    admit(patients[2])
    for p in patients:
        Diagnosis.objects.create(program=program, patient=p, icd10_code="F11.20", text="OUD")
    add_medication(patients[1], "buprenorphine/naloxone")
    add_kratom_use(patients[2], grams="12")
    return patients


def test_director_sees_the_dashboard(client, director, cohort):
    client.force_login(director)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["summary"]["n_patients"] == 3
    assert b"<svg" in response.content


def test_dashboard_counts_moud_share(client, director, cohort):
    client.force_login(director)
    moud = client.get(URL).context["dashboard"].tables["moud"].rows[0]
    assert (moud["n_oud"], moud["n_patients"]) == (3, 1)


def test_researcher_without_view_reports_is_forbidden(client, researcher, cohort):
    client.force_login(researcher)
    assert client.get(URL).status_code == 403


def test_outsider_sees_only_their_own_program(client, outsider, cohort, program):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["summary"]["n_patients"] == 0
    assert program.code not in dict(response.context["form"].fields["program"].choices)


def test_outsider_cannot_pick_another_program(client, outsider, cohort, program):
    client.force_login(outsider)
    assert client.get(URL, {"program": program.code}).status_code == 400


def test_htmx_request_gets_the_results_fragment(client, director, cohort):
    client.force_login(director)
    response = client.get(URL, {"sex": "female"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'class="kpis"' in response.content


def test_filters_narrow_the_cohort(client, director, cohort):
    client.force_login(director)
    start = (timezone.now().date() - timedelta(days=5)).isoformat()
    response = client.get(URL, {"admitted_from": start})
    assert response.context["summary"]["n_patients"] == 0


def test_comparison_table_appears_when_requested(client, director, cohort, program):
    client.force_login(director)
    response = client.get(URL, {"compare": "on", "b_admitted_to": "2000-01-01"})
    comparison = response.context["dashboard"].comparison
    assert comparison is not None
    assert any(r["indicator"] == "OUD on MOUD" for r in comparison.rows)


def test_csv_export_suppresses_small_cells(client, director, cohort):
    client.force_login(director)
    response = client.get(reverse("outcomes:export_csv"), {"table": "moud"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    any_row = next(r for r in rows if r["medication"] == "any")
    assert any_row["n_oud"] == "<11"
    assert any_row["share"] == "suppressed"


def test_csv_export_of_every_table_is_a_zip(client, director, cohort):
    client.force_login(director)
    response = client.get(reverse("outcomes:export_csv"))
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"summary.csv", "retention.csv", "moud.csv", "mbc_fidelity.csv"} <= set(names)


def test_csv_export_is_audited(client, director, cohort, program):
    client.force_login(director)
    client.get(reverse("outcomes:export_csv"), {"table": "summary"})
    event = AuditEvent.objects.filter(action="export", chain=program.code).latest("seq")
    assert event.object_type == "outcomes.Report"


def test_unknown_csv_table_is_a_bad_request(client, director, cohort):
    client.force_login(director)
    assert client.get(reverse("outcomes:export_csv"), {"table": "nope"}).status_code == 400


def test_pdf_report_renders(client, director, cohort):
    client.force_login(director)
    response = client.get(reverse("outcomes:report_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_report_date_in_the_past_censors_later_discharges(client, director, cohort):
    client.force_login(director)
    as_of = (timezone.now().date() - timedelta(days=35)).isoformat()
    summary = client.get(URL, {"as_of": as_of}).context["summary"]
    assert summary["n_unplanned_discharges"] == 0  # the discharge was 30 days ago
    assert summary["n_patients"] == 3
    assert date.fromisoformat(as_of)
