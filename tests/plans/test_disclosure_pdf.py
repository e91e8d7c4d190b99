"""Plan PDFs for a recipient outside the program: 42 CFR Part 2 consent-gated disclosure.

Without ``recipient`` the PDF routes behave as before (tests/plans/test_pdf.py). With a
recipient they need the DISCLOSE permission and a covering consent; a refusal sends no
PDF and logs no disclosure, an allowed PDF prints the notice and scope on page 1.
"""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.clinical.privacy.part2 import redisclosure_notice
from speciosa.plans.disclosure import PDF_CATEGORIES, PlanPdf
from speciosa.privacy import services as privacy
from speciosa.privacy.models import Disclosure
from tests.privacy.conftest import give_consent

CLINIC = "Riverside Primary Care"
PLAN_CATEGORIES = sorted(c.value for c in PDF_CATEGORIES[PlanPdf.TREATMENT_PLAN])
DISCHARGE_CATEGORIES = sorted(c.value for c in PDF_CATEGORIES[PlanPdf.DISCHARGE_SUMMARY])


def first_page_text(data: bytes) -> str:
    """Page 1 without any whitespace: long lines (the notice, a UUID) wrap anywhere."""
    return "".join((PdfReader(io.BytesIO(data)).pages[0].extract_text() or "").split())


def squash(text: str) -> str:
    return "".join(text.split())


def pdf_url(plan, document="pdf", **query) -> str:
    params = {"recipient": CLINIC, "purpose": "treatment"} | query
    qs = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return f"/api/plans/{plan.uid}/{document}?{qs}"


def refused_exports(plan):
    return AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(plan.uid), detail__status=403
    )


@pytest.fixture
def clinic_consent(prescriber, taper_plan):
    return give_consent(
        prescriber,
        taper_plan.patient,
        recipient=CLINIC,
        purposes=["treatment"],
        categories=PLAN_CATEGORIES,
    )


def test_without_consent_the_pdf_is_refused_and_nothing_is_disclosed(api_client, taper_plan):
    response = api_client.get(pdf_url(taper_plan))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "consent_required"
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()
    refusal = refused_exports(taper_plan).get()
    assert refusal.detail["refused"] == "consent_required"
    assert refusal.detail["recipient"] == CLINIC


@pytest.mark.parametrize(
    "consent_fields",
    [
        pytest.param({"recipient": "Acme Employer Health"}, id="another-recipient"),
        pytest.param({"purposes": ["payment"]}, id="another-purpose"),
        pytest.param(
            {"categories": [c for c in PLAN_CATEGORIES if c != "labs"]}, id="labs-not-covered"
        ),
    ],
)
def test_a_consent_that_does_not_cover_the_pdf_is_refused(
    api_client, prescriber, taper_plan, consent_fields
):
    fields = {"recipient": CLINIC, "purposes": ["treatment"], "categories": PLAN_CATEGORIES}
    give_consent(prescriber, taper_plan.patient, **(fields | consent_fields))
    response = api_client.get(pdf_url(taper_plan))
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    assert not Disclosure.objects.exists()


def test_a_revoked_consent_is_refused(api_client, director, taper_plan, clinic_consent):
    privacy.revoke_consent(actor=director, consent=clinic_consent, reason="patient withdrew")
    response = api_client.get(pdf_url(taper_plan))
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    assert not Disclosure.objects.exists()


def test_an_expired_consent_is_refused(api_client, prescriber, taper_plan):
    now = timezone.now()
    give_consent(
        prescriber,
        taper_plan.patient,
        recipient=CLINIC,
        purposes=["treatment"],
        categories=PLAN_CATEGORIES,
        effective_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
    )
    response = api_client.get(pdf_url(taper_plan))
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    assert not Disclosure.objects.exists()


def test_with_consent_the_pdf_carries_notice_and_scope_and_is_logged_once(
    api_client, taper_plan, clinic_consent
):
    # recipient spelled differently: consents match case- and space-insensitively
    response = api_client.get(pdf_url(taper_plan, recipient="riverside  primary care"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Part2-Notice"] == redisclosure_notice(short=True)
    disclosure = Disclosure.objects.get()
    assert disclosure.channel == "pdf_export"
    assert disclosure.consent == clinic_consent
    assert disclosure.purpose == "treatment"
    assert disclosure.categories == PLAN_CATEGORIES
    assert str(taper_plan.uid) in disclosure.description
    page1 = first_page_text(response.content)
    assert squash(redisclosure_notice()) in page1
    scope = privacy.check_disclosure(taper_plan.patient, CLINIC, "treatment", PLAN_CATEGORIES)
    assert squash(f"consent {scope.uid} to {CLINIC} for treatment") in page1
    assert squash("valid until " + f"{clinic_consent.expires_at:%Y-%m-%d}") in page1
    pages = [squash(p.extract_text()) for p in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) > 1 and squash("Kratom taper schedule") in "".join(pages)
    # the short notice heads every page, so a page passed on alone still carries it
    assert all(squash(redisclosure_notice(short=True)) in page for page in pages)
    audit = AuditEvent.objects.get(action=AuditAction.DISCLOSE)
    assert audit.detail["channel"] == "pdf_export"
    assert audit.patient_id == taper_plan.patient_id
    export = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(taper_plan.uid))
    assert export.detail["disclosure"] == str(disclosure.uid)


def test_the_discharge_summary_also_needs_episodes_and_medications(
    api_client, prescriber, taper_plan, clinic_consent
):
    refused = api_client.get(pdf_url(taper_plan, "discharge-summary.pdf"))
    assert refused.status_code == 403
    assert "episodes" in refused.json()["message"]
    give_consent(
        prescriber,
        taper_plan.patient,
        recipient=CLINIC,
        purposes=["treatment"],
        categories=DISCHARGE_CATEGORIES,
    )
    response = api_client.get(pdf_url(taper_plan, "discharge-summary.pdf"))
    assert response.status_code == 200
    page1 = first_page_text(response.content)
    assert squash(redisclosure_notice()) in page1
    assert squash("Discharge summary") in page1
    assert Disclosure.objects.get().categories == DISCHARGE_CATEGORIES


@pytest.mark.parametrize("role", ["nurse", "counsellor"])
def test_a_role_without_disclose_is_refused_even_with_consent(
    client, request, role, taper_plan, clinic_consent
):
    client.force_login(request.getfixturevalue(role))
    response = client.get(pdf_url(taper_plan))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Disclosure.objects.exists()
    assert refused_exports(taper_plan).get().detail["refused"] == "permission_denied"


def test_another_programs_user_gets_not_found(client, outsider, taper_plan, clinic_consent):
    client.force_login(outsider)
    assert client.get(pdf_url(taper_plan)).status_code == 404
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"purpose": None}, id="recipient-without-purpose"),
        pytest.param({"recipient": None}, id="purpose-without-recipient"),
        pytest.param({"recipient": "%20%20"}, id="blank-recipient"),
        pytest.param({"purpose": "curiosity"}, id="unknown-purpose"),
        pytest.param({"recipient": "x" * 201}, id="recipient-too-long"),
    ],
)
def test_an_incomplete_request_is_invalid_input(api_client, taper_plan, clinic_consent, query):
    response = api_client.get(pdf_url(taper_plan, **query))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not Disclosure.objects.exists()


def test_without_recipient_the_pdf_is_in_program_use_not_a_disclosure(api_client, taper_plan):
    response = api_client.get(f"/api/plans/{taper_plan.uid}/pdf")
    assert response.status_code == 200
    assert "X-Part2-Notice" not in response
    assert "Notice to the recipient" not in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages
    )
    assert not Disclosure.objects.exists()
    export = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(taper_plan.uid))
    assert export.detail == {"pdf": "treatment-plan"}


# --- the chart page's form ----------------------------------------------------------------


def post_form(client, plan, **fields):
    data = {"document": "treatment-plan", "recipient": CLINIC, "purpose": "treatment"} | fields
    return client.post(f"/plans/{plan.uid}/disclosure.pdf", data)


def test_the_chart_offers_the_form_only_to_roles_that_may_disclose(
    client, prescriber, nurse, taper_plan
):
    client.force_login(prescriber)
    html = client.get(f"/patients/{taper_plan.patient.uid}/").content.decode()
    assert f'action="/plans/{taper_plan.uid}/disclosure.pdf"' in html
    assert 'value="registry_reporting"' in html
    assert f"/api/plans/{taper_plan.uid}/discharge-summary.pdf" in html
    client.force_login(nurse)
    html = client.get(f"/patients/{taper_plan.patient.uid}/").content.decode()
    assert "disclosure.pdf" not in html
    assert f"/api/plans/{taper_plan.uid}/pdf" in html  # in-program PDFs stay available


def test_the_form_returns_the_disclosed_pdf(api_client, taper_plan, clinic_consent):
    response = post_form(api_client, taper_plan)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert squash(redisclosure_notice()) in first_page_text(response.content)
    assert Disclosure.objects.get().channel == "pdf_export"


def test_the_form_without_consent_returns_to_the_chart_with_the_reason(api_client, taper_plan):
    response = post_form(api_client, taper_plan)
    assert response.status_code == 302
    assert not Disclosure.objects.exists()
    html = api_client.get(response["Location"]).content.decode()
    assert "No active 42 CFR Part 2 consent" in html
    assert refused_exports(taper_plan).exists()


def test_the_form_needs_csrf(prescriber, taper_plan, clinic_consent):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(prescriber)
    assert post_form(strict, taper_plan).status_code == 403
    assert not Disclosure.objects.exists()


def test_the_form_refuses_a_role_without_disclose(client, counsellor, taper_plan, clinic_consent):
    client.force_login(counsellor)
    assert post_form(client, taper_plan).status_code == 403
    assert not Disclosure.objects.exists()


def test_the_form_is_post_only(api_client, taper_plan):
    assert api_client.get(f"/plans/{taper_plan.uid}/disclosure.pdf").status_code == 405


def test_an_unknown_document_is_refused_by_the_form(api_client, taper_plan, clinic_consent):
    response = post_form(api_client, taper_plan, document="whole-chart")
    assert response.status_code == 302
    assert not Disclosure.objects.exists()
