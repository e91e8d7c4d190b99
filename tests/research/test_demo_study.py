"""The demo study: the whole flow runs through the services and analyses sensibly."""

import pytest

from speciosa.clinical.research.analysis import fit_mixed_model, fit_retention
from speciosa.demo.generate import generate_demo_program
from speciosa.research.analysis import study_consort, study_observations, study_retention
from speciosa.research.models import Study


@pytest.fixture(scope="module")
def demo_study(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        generate_demo_program(patients=60, seed=7)  # the `make demo` size
        yield Study.objects.get(protocol_id="KRATOM-BUP-01")
        # module-scoped data: remove it so other modules start clean
        from django.core.management import call_command

        call_command("flush", "--no-input", verbosity=0)


@pytest.mark.django_db
def test_demo_study_is_enrolling_with_irb_approval(demo_study):
    assert demo_study.status == "enrolling" and demo_study.irb_number == "IRB-2026-0142"


@pytest.mark.django_db
def test_demo_consort_flow_is_consistent(demo_study):
    c = study_consort(demo_study)
    assert c.screened == c.excluded + c.declined + c.consented
    assert c.randomized == sum(a.allocated for a in c.arms) >= 20
    for arm in c.arms:
        assert arm.analysed <= arm.allocated and arm.followed_up <= arm.allocated


@pytest.mark.django_db
def test_mixed_model_on_demo_data_shows_faster_fall_with_buprenorphine(demo_study):
    result = fit_mixed_model(study_observations(demo_study, "tlfb_kratom"), reference_arm="taper")
    assert result.converged
    # synthetic truth: -1.7 vs -1.1 kratom-use days per week
    assert -2.5 < result.slope_by_arm["buprenorphine"] < result.slope_by_arm["taper"] < 0


@pytest.mark.django_db
def test_km_retention_on_demo_data_is_a_probability_curve(demo_study):
    result = fit_retention(study_retention(demo_study))
    assert {c.arm for c in result.curves} == {"buprenorphine", "taper"}
    for curve in result.curves:
        assert 0 < curve.retained_at(90) <= 1 and curve.events < curve.n


@pytest.mark.django_db
def test_demo_has_a_running_sae_clock_and_a_study_alert(demo_study):
    from speciosa.research.queries import pending_sae_deadlines

    assert pending_sae_deadlines(demo_study).exists()
    assert demo_study.alerts.filter(rule_id="liver-injury").exists()


@pytest.mark.django_db
def test_report_renders_html_svg_and_pdf(demo_study, tmp_path):
    from pypdf import PdfReader

    from speciosa.accounts.models import User
    from speciosa.research.report import build_report, write_report

    researcher = User.objects.get(username="researcher")
    report = build_report(actor=researcher, study=demo_study)
    paths = write_report(report, tmp_path)
    assert sorted(p.name for p in paths) == sorted(
        ["report.html", "consort.svg", "outcome.svg", "retention.svg", "report.pdf"]
    )
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages)
    assert "Participant flow (CONSORT)" in text and "Kaplan" in text
    assert f"Randomized (n={report.consort.randomized})" in (tmp_path / "report.html").read_text()


@pytest.mark.django_db
def test_clinician_cannot_build_the_report(demo_study):
    from speciosa.accounts.models import User
    from speciosa.clinical.errors import PermissionDenied
    from speciosa.research.report import build_report

    with pytest.raises(PermissionDenied):
        build_report(actor=User.objects.get(username="prescriber"), study=demo_study)
