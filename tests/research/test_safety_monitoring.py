from datetime import date, timedelta

from django.utils import timezone

from speciosa.patients import services as patient_services
from speciosa.research import services
from speciosa.research.models import StudyAlert
from speciosa.research.queries import pending_sae_deadlines
from tests.factories import add_kratom_use, make_patient
from tests.research.conftest import enrol


def _sae(enrolment, prescriber, **fields):
    defaults = dict(
        term="overdose",
        category="overdose",
        onset_on=date(2026, 2, 1),
        grade=4,
        relatedness="unlikely",
        is_expected=False,
        seriousness=["hospitalisation"],
    )
    defaults.update(fields)
    return services.report_adverse_event(actor=prescriber, enrolment=enrolment, **defaults)


def test_sae_gets_a_24_hour_deadline_on_the_dashboard(enrolment, prescriber):
    ae = _sae(enrolment, prescriber)
    assert ae.is_serious
    assert ae.next_deadline_at == ae.aware_at + timedelta(hours=24)
    assert list(pending_sae_deadlines(enrolment.study)) == [ae]


def test_filing_the_report_moves_to_the_next_clock(enrolment, prescriber):
    ae = _sae(enrolment, prescriber, relatedness="probable")
    services.mark_report_filed(
        actor=prescriber, adverse_event=ae, clock_id="sae-investigator-to-sponsor"
    )
    assert ae.next_deadline_clock == "susar-other"
    assert ae.next_deadline_at == ae.aware_at + timedelta(days=15)


def test_non_serious_event_has_no_deadline(enrolment, prescriber):
    ae = _sae(enrolment, prescriber, seriousness=[], grade=1)
    assert ae.next_deadline_at is None


def test_second_sae_in_an_arm_fires_the_rule_and_pauses_enrolment(enrolment, prescriber, study):
    _sae(enrolment, prescriber)
    assert not StudyAlert.objects.exists()
    _sae(enrolment, prescriber)
    alert = StudyAlert.objects.get()
    assert (alert.rule_id, alert.arm_code, alert.paused_enrolment) == (
        "sae2",
        enrolment.arm.code,
        True,
    )
    study.refresh_from_db()
    assert study.status == "paused" and "stopping rule" in study.pause_reason


def test_rule_does_not_fire_twice_for_the_same_signal(enrolment, prescriber):
    for _ in range(3):
        _sae(enrolment, prescriber)
    assert StudyAlert.objects.count() == 1


def test_on_study_liver_injury_lab_raises_alert(enrolment, candidate, prescriber, study):
    patient_services.record_lab_result(
        actor=prescriber,
        patient=candidate,
        analyte="ALT",
        value=400,
        ref_high=40,
        unit="U/L",
        collected_at=timezone.now(),
    )
    alert = StudyAlert.objects.get()
    assert alert.rule_id == "dili" and alert.subject_id == enrolment.subject_id
    assert "Casey" not in alert.reason and "8x ULN" in alert.reason


def test_pre_randomization_labs_do_not_count(study, program, prescriber):
    patient = make_patient(program, sex_at_birth="male")
    add_kratom_use(patient)
    patient_services.record_lab_result(
        actor=prescriber,
        patient=patient,
        analyte="ALT",
        value=400,
        ref_high=40,
        collected_at=timezone.now() - timedelta(days=2),
    )
    enrol(study, patient, prescriber)
    services.evaluate_study_safety(actor=prescriber, study=study)
    assert not StudyAlert.objects.exists()
