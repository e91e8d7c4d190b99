"""A study visit's value taken from a scored questionnaire: the value and time are the
score's, the assessment links to it, and only the subject's own score of an instrument
the visit assesses is accepted."""

import json

import pytest

from speciosa.clinical.errors import Conflict, ConsentRequired, InvalidInput
from speciosa.measures.models import Score
from speciosa.measures.services import record_response
from speciosa.research import services
from speciosa.research.models import StudyAssessment
from tests.factories import add_kratom_use, make_patient
from tests.research.conftest import create_study, enrol, open_study

PHQ9 = {**{f"phq9-{k}": 2 for k in range(1, 9)}, "phq9-9": 0}  # total 16


@pytest.fixture
def study(director, program):
    visits = [
        {
            "code": "baseline",
            "label": "Baseline",
            "day": 0,
            "window_days": 0,
            "instruments": ["phq9", "tlfb_kratom"],
        },
        {
            "code": "week1",
            "label": "Week 1",
            "day": 7,
            "window_days": 3,
            "instruments": ["tlfb_kratom"],
        },
    ]
    return open_study(director, create_study(director, program, visits=visits))


def _phq9(patient, actor) -> Score:
    return record_response(actor=actor, patient=patient, instrument_id="phq9", answers=PHQ9)


def test_value_and_time_come_from_the_score_and_the_link_is_kept(enrolment, prescriber):
    score = _phq9(enrolment.patient, prescriber)
    a = services.record_assessment_from_score(
        actor=prescriber, enrolment=enrolment, visit_code="baseline", score=score
    )
    a.refresh_from_db()
    assert (a.value, a.assessed_at, a.instrument_id, a.score_id) == (
        16.0,
        score.taken_at,
        "phq9",
        score.pk,
    )


def test_another_patients_score_or_an_unassessed_instrument_is_refused(
    enrolment, program, prescriber
):
    other = make_patient(program, mrn="OTHER")
    with pytest.raises(InvalidInput, match="not a score of this subject"):
        services.record_assessment_from_score(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="baseline",
            score=_phq9(other, prescriber),
        )
    with pytest.raises(InvalidInput, match="phq9 is not assessed at visit week1"):
        services.record_assessment_from_score(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="week1",
            score=_phq9(enrolment.patient, prescriber),
        )
    assert not StudyAssessment.objects.exists()


def test_a_score_is_used_once_and_needs_consent(enrolment, study, prescriber):
    score = _phq9(enrolment.patient, prescriber)
    services.record_assessment_from_score(
        actor=prescriber, enrolment=enrolment, visit_code="baseline", score=score
    )
    with pytest.raises(Conflict):
        services.record_assessment_from_score(
            actor=prescriber, enrolment=enrolment, visit_code="baseline", score=score
        )
    study.consents.update(withdrawn_at=enrolment.randomized_at)
    with pytest.raises(ConsentRequired):
        services.record_assessment_from_score(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="baseline",
            score=_phq9(enrolment.patient, prescriber),
        )
    assert StudyAssessment.objects.count() == 1


def test_api_links_a_score_and_lists_it(api_client, enrolment, prescriber, researcher, program):
    from django.test import Client

    score = _phq9(enrolment.patient, prescriber)
    base = f"/api/research/studies/KRT-01/subjects/{enrolment.subject_id}/assessments"
    r = api_client.post(
        f"{base}/from-score",
        json.dumps({"visit_code": "baseline", "score_id": str(score.uid)}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["value"] == 16.0 and r.json()["score_id"] == str(score.uid)
    reader = Client()  # the study's researcher reads the subject's data
    reader.force_login(researcher)
    listed = reader.get(base).json()
    assert [(a["instrument_id"], a["score_id"]) for a in listed] == [("phq9", str(score.uid))]
    # a score of another patient is bad input, as an unknown id is (no probing)
    other = make_patient(program, mrn="OTHER2")
    add_kratom_use(other)
    r = api_client.post(
        f"{base}/from-score",
        json.dumps({"visit_code": "baseline", "score_id": str(_phq9(other, prescriber).uid)}),
        content_type="application/json",
    )
    assert r.status_code == 422 and "no score of this subject" in r.content.decode()
    assert StudyAssessment.objects.count() == 1


def test_a_linked_score_cannot_be_deleted_under_the_study(enrolment, prescriber):
    from django.db.models import ProtectedError

    score = _phq9(enrolment.patient, prescriber)
    services.record_assessment_from_score(
        actor=prescriber, enrolment=enrolment, visit_code="baseline", score=score
    )
    with pytest.raises(ProtectedError):
        score.delete()


def test_enrol_helper_still_enrols(study, program, prescriber):  # fixture sanity
    patient = make_patient(program, sex_at_birth="male", mrn="E1")
    add_kratom_use(patient)
    assert enrol(study, patient, prescriber).subject_id.startswith("KRT")


def test_an_entered_total_outside_the_instruments_range_is_refused(enrolment, prescriber):
    with pytest.raises(InvalidInput, match="phq9 totals run from 0 to 27"):
        services.record_assessment(
            actor=prescriber,
            enrolment=enrolment,
            visit_code="baseline",
            instrument_id="phq9",
            value=40,
        )
    ok = services.record_assessment(
        actor=prescriber,
        enrolment=enrolment,
        visit_code="baseline",
        instrument_id="phq9",
        value=27,
    )
    # an outcome that is not a catalog instrument (use days) is not range-checked
    days = services.record_assessment(
        actor=prescriber,
        enrolment=enrolment,
        visit_code="week1",
        instrument_id="tlfb_kratom",
        value=45,
    )
    assert (ok.value, days.value) == (27, 45)


# --- the visit entry page ------------------------------------------------------------


def _visit_url(enrolment, code="baseline"):
    return f"/research/KRT-01/subjects/{enrolment.subject_id}/visits/{code}/"


def test_nurse_records_a_visit_from_a_score_in_the_window(client, nurse, enrolment, prescriber):
    from speciosa.audit.models import AuditAction, AuditEvent

    score = _phq9(enrolment.patient, prescriber)
    client.force_login(nurse)
    dashboard = client.get("/research/KRT-01/").content.decode()
    assert _visit_url(enrolment) in dashboard  # the due visit links to its entry page
    reads = AuditEvent.objects.filter(action=AuditAction.READ, patient=enrolment.patient)
    before = reads.count()
    page = client.get(_visit_url(enrolment)).content.decode()
    assert str(score.uid) in page and "Casey" not in page
    assert reads.count() == before + 1  # the subject's scores are a chart read
    r = client.post(_visit_url(enrolment), {"instrument_id": "phq9", "score_id": str(score.uid)})
    assert r.status_code == 302
    a = StudyAssessment.objects.get(enrolment=enrolment)
    assert (a.value, a.score_id, a.visit_code) == (16.0, score.pk, "baseline")
    page = client.get(_visit_url(enrolment)).content.decode()
    assert "from score" in page


def test_entered_values_are_validated_and_errors_shown(client, nurse, enrolment, program):
    client.force_login(nurse)
    r = client.post(_visit_url(enrolment), {"instrument_id": "phq9", "value": "40"}, follow=True)
    assert "phq9 totals run from 0 to 27" in r.content.decode()
    other = _phq9(make_patient(program, mrn="X9"), nurse)
    r = client.post(
        _visit_url(enrolment), {"instrument_id": "phq9", "score_id": str(other.uid)}, follow=True
    )
    assert "no score of this subject has this id" in r.content.decode()
    assert not StudyAssessment.objects.exists()
    client.post(_visit_url(enrolment), {"instrument_id": "tlfb_kratom", "value": "12"})
    assert StudyAssessment.objects.get().value == 12


def test_visit_entry_is_for_study_data_recorders_only(client, researcher, outsider, enrolment):
    client.force_login(researcher)  # reads study data, records none
    assert client.get(_visit_url(enrolment)).status_code == 403
    assert "visits/baseline" not in client.get("/research/KRT-01/").content.decode()
    client.force_login(outsider)
    assert client.get(_visit_url(enrolment)).status_code == 404


def test_visit_entry_needs_the_csrf_token(nurse, enrolment):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(nurse)
    r = strict.post(_visit_url(enrolment), {"instrument_id": "tlfb_kratom", "value": "3"})
    assert r.status_code == 403 and not StudyAssessment.objects.exists()
