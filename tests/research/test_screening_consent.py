from datetime import date

import pytest

from speciosa.clinical.errors import Conflict, ConsentRequired, InvalidInput
from speciosa.research import services
from speciosa.research.models import Enrolment
from tests.factories import add_medication, make_patient
from tests.research.conftest import enrol


def test_eligible_candidate_is_logged_eligible(study, candidate, prescriber):
    log = services.screen_patient(actor=prescriber, study=study, patient=candidate)
    assert log.decision == "eligible" and log.reasons == []


def test_screen_fail_logs_a_reason_per_failed_criterion(study, program, prescriber):
    patient = make_patient(program, birth_date=date(1940, 1, 1), sex_at_birth="male")
    add_medication(patient, "methadone")
    log = services.screen_patient(actor=prescriber, study=study, patient=patient)
    assert log.decision == "ineligible"
    assert log.reasons == [
        "inclusion not met: Aged 18-65",
        "inclusion not met: Current kratom use",
        "exclusion applies: Already on buprenorphine or methadone",
    ]


def test_randomization_refused_without_consent(study, candidate, prescriber):
    services.screen_patient(actor=prescriber, study=study, patient=candidate)
    with pytest.raises(ConsentRequired):
        services.randomize_patient(actor=prescriber, study=study, patient=candidate)


def test_randomization_refused_for_screen_fail(study, program, prescriber):
    patient = make_patient(program, sex_at_birth="male")  # no kratom use recorded
    services.screen_patient(actor=prescriber, study=study, patient=patient)
    services.record_consent(
        actor=prescriber, study=study, patient=patient, signature_name="T P", method="paper"
    )
    with pytest.raises(InvalidInput, match="screening"):
        services.randomize_patient(actor=prescriber, study=study, patient=patient)


def test_assessment_refused_after_consent_withdrawn(enrolment, study, prescriber):
    consent = study.consents.get()
    services.withdraw_consent(actor=prescriber, consent=consent, reason="moved away")
    enrolment.refresh_from_db()
    assert enrolment.status == "withdrawn"
    with pytest.raises(ConsentRequired):
        services.record_assessment(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="week1",
            instrument_id="tlfb_kratom",
            value=3,
        )


def test_adverse_event_refused_without_active_consent(enrolment, study, prescriber):
    study.consents.update(withdrawn_at=enrolment.randomized_at)
    with pytest.raises(ConsentRequired):
        services.report_adverse_event(
            actor=prescriber,
            enrolment=enrolment,
            term="nausea",
            category="gastrointestinal",
            onset_on=date(2026, 2, 1),
            grade=1,
            relatedness="possible",
            is_expected=True,
        )


def test_assessment_recorded_with_consent(enrolment, prescriber):
    a = services.record_assessment(
        actor=prescriber,
        enrolment=enrolment,
        visit_code="week1",
        instrument_id="tlfb_kratom",
        value=3,
    )
    assert enrolment.assessments.get() == a


def test_unknown_visit_is_rejected(enrolment, prescriber):
    with pytest.raises(InvalidInput, match="visit"):
        services.record_assessment(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="week99",
            instrument_id="tlfb_kratom",
            value=3,
        )


def test_second_active_consent_is_a_conflict(study, candidate, prescriber):
    services.record_consent(
        actor=prescriber,
        study=study,
        patient=candidate,
        signature_name="Casey Nguyen",
        method="electronic",
    )
    with pytest.raises(Conflict):
        services.record_consent(
            actor=prescriber,
            study=study,
            patient=candidate,
            signature_name="Casey Nguyen",
            method="electronic",
        )


def test_researcher_may_not_capture_consent(study, candidate, researcher):
    from speciosa.clinical.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_consent(
            actor=researcher,
            study=study,
            patient=candidate,
            signature_name="Casey Nguyen",
            method="electronic",
        )


def test_patient_cannot_be_enrolled_twice(enrolment, study, candidate, prescriber):
    with pytest.raises(Conflict):
        services.randomize_patient(actor=prescriber, study=study, patient=candidate)
    assert Enrolment.objects.count() == 1


def test_enrolment_gives_subject_ids_in_order(study, program, prescriber, enrolment):
    from tests.factories import add_kratom_use

    second = make_patient(program, sex_at_birth="male")
    add_kratom_use(second)
    assert enrol(study, second, prescriber).subject_id == "KRT-002"
    assert enrolment.subject_id == "KRT-001"
