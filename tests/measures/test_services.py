"""record_response and the schedule services."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import InvalidAnswer, InvalidInput, NotFound, PermissionDenied
from speciosa.core.signals import patient_facts_changed
from speciosa.measures.facts import score_facts
from speciosa.measures.models import AssessmentSchedule, QuestionnaireResponse, Score
from speciosa.measures.queries import due_assessments
from speciosa.measures.services import create_schedule, record_response
from speciosa.patients.facts import build_patient_facts
from tests.factories import make_patient


def test_record_response_stores_response_and_score(prescriber, patient, phq9_answers):
    row = record_response(
        actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers
    )
    row.refresh_from_db()
    assert (row.total, row.band, row.is_positive) == (20.0, "severe", True)
    assert row.response.resource["resourceType"] == "QuestionnaireResponse"
    assert row.response.author == prescriber
    assert row.items["phq9-1"] == 3


def test_record_response_flags_phq9_item9(nurse, patient, phq9_answers):
    row = record_response(
        actor=nurse, patient=patient, instrument_id="phq9", answers=phq9_answers | {"phq9-9": 1}
    )
    assert row.critical_items == ["phq9-9"]
    assert row.critical_flags[0]["rule_id"] == "phq9-item9"


def test_record_response_writes_audit(prescriber, patient, phq9_answers):
    row = record_response(
        actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers
    )
    event = AuditEvent.objects.get(object_id=str(row.uid))
    assert event.detail["instrument"] == "phq9"
    assert event.patient == patient


def test_record_response_notifies_safety(prescriber, patient, phq9_answers):
    seen = []

    def receiver(**kwargs):
        seen.append((kwargs["patient"], kwargs["reason"]))

    patient_facts_changed.connect(receiver, dispatch_uid="test-measures")
    try:
        record_response(
            actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers
        )
    finally:
        patient_facts_changed.disconnect(dispatch_uid="test-measures")
    assert seen == [(patient, "score")]


def test_invalid_answer_stores_nothing(prescriber, patient, phq9_answers):
    del phq9_answers["phq9-5"]
    with pytest.raises(InvalidAnswer, match="phq9-5"):
        record_response(
            actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers
        )
    assert not QuestionnaireResponse.objects.exists()
    assert not Score.objects.exists()


def test_audit_c_uses_the_patients_sex(prescriber, program):
    man = make_patient(program, sex_at_birth="male")
    answers = {"audit-1": 1, "audit-2": 1, "audit-3": 1}
    row = record_response(actor=prescriber, patient=man, instrument_id="audit_c", answers=answers)
    assert row.is_positive is False


def test_researcher_may_not_record(researcher, patient, phq9_answers):
    with pytest.raises(PermissionDenied):
        record_response(
            actor=researcher, patient=patient, instrument_id="phq9", answers=phq9_answers
        )


def test_outsider_gets_not_found(outsider, patient, phq9_answers):
    with pytest.raises(NotFound):
        record_response(actor=outsider, patient=patient, instrument_id="phq9", answers=phq9_answers)


def test_future_taken_at_is_refused(prescriber, patient, phq9_answers):
    with pytest.raises(InvalidInput, match="future"):
        record_response(
            actor=prescriber,
            patient=patient,
            instrument_id="phq9",
            answers=phq9_answers,
            taken_at=timezone.now() + timedelta(hours=2),
        )


def test_score_facts_for_many_patients_in_one_query(prescriber, program, phq9_answers):
    patients = [make_patient(program) for _ in range(3)]
    now = timezone.now()
    for n, p in enumerate(patients):
        for days in (14, 0):
            record_response(
                actor=prescriber,
                patient=p,
                instrument_id="phq9",
                answers=phq9_answers | {"phq9-8": n},
                taken_at=now - timedelta(days=days),
            )
    with CaptureQueriesContext(connection) as ctx:
        facts = score_facts([p.pk for p in patients])
    assert len(ctx.captured_queries) == 1
    assert [f.at for f in facts[patients[0].pk]] == sorted(f.at for f in facts[patients[0].pk])
    assert facts[patients[2].pk][-1].items["phq9-8"] == 2


def test_patient_facts_include_scores(prescriber, patient, phq9_answers):
    record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers)
    latest = build_patient_facts(patient).latest_score("phq9")
    assert (latest.total, latest.band) == (20.0, "severe")


def test_create_schedule_from_preset(nurse, patient):
    schedule = create_schedule(
        actor=nurse, patient=patient, instrument_id="cows", preset="cows-induction"
    )
    assert (schedule.interval_hours, schedule.grace_hours) == (4, 2)
    assert schedule.ends_at - schedule.starts_at == timedelta(hours=72)


def test_preset_for_another_instrument_is_refused(nurse, patient):
    with pytest.raises(InvalidInput, match="preset"):
        create_schedule(actor=nurse, patient=patient, instrument_id="gad7", preset="cows-induction")


def test_due_list_shows_overdue_and_hides_done(prescriber, program, phq9_answers):
    now = timezone.now()
    late, done = make_patient(program), make_patient(program)
    for p in (late, done):
        create_schedule(
            actor=prescriber,
            patient=p,
            instrument_id="phq9",
            preset="phq9-biweekly",
            starts_at=now - timedelta(days=30),
        )
    record_response(
        actor=prescriber,
        patient=done,
        instrument_id="phq9",
        answers=phq9_answers,
        taken_at=now - timedelta(days=2),
    )
    with CaptureQueriesContext(connection) as ctx:
        pairs = due_assessments(actor=prescriber, program=program, as_of=now)
    assert [(s.patient, d.status) for s, d in pairs] == [(late, "overdue")]
    assert len(ctx.captured_queries) <= 3


def test_stopped_schedule_is_not_due(prescriber, patient):
    schedule = create_schedule(
        actor=prescriber,
        patient=patient,
        instrument_id="phq9",
        preset="phq9-biweekly",
        starts_at=timezone.now() - timedelta(days=9),
    )
    AssessmentSchedule.objects.filter(pk=schedule.pk).update(is_active=False)
    assert due_assessments(actor=prescriber, program=patient.program) == []


def _link(patient, instruments, **fields):
    from speciosa.selfreport.models import SelfReportLink

    return SelfReportLink.objects.create(
        program=patient.program,
        patient=patient,
        token_hash=SelfReportLink.hash_token(f"t-{patient.pk}-{len(instruments)}"),
        instrument_ids=instruments,
        expires_at=timezone.now() + timedelta(days=1),
        **fields,
    )


def test_patient_link_records_a_self_report(patient, phq9_answers):
    row = record_response(
        actor=_link(patient, ["phq9"]),
        patient=patient,
        instrument_id="phq9",
        answers=phq9_answers,
        source="self_report",
    )
    assert row.response.source == "self_report"
    assert row.response.author is None
    assert AuditEvent.objects.get(object_id=str(row.uid)).detail["via"] == "self_report_link"


def test_response_rows_store_who_entered_them(prescriber, patient, phq9_answers):
    by_staff = record_response(
        actor=prescriber, patient=patient, instrument_id="phq9", answers=phq9_answers
    )
    by_link = record_response(
        actor=_link(patient, ["phq9"]),
        patient=patient,
        instrument_id="phq9",
        answers=phq9_answers,
        source="self_report",
    )
    stored = {
        s.pk: (s.created_by_id, s.response.created_by_id, s.response.author_id)
        for s in Score.objects.select_related("response")
    }
    assert stored == {
        by_staff.pk: (prescriber.pk, prescriber.pk, prescriber.pk),
        by_link.pk: (None, None, None),
    }


def test_patient_link_cannot_answer_other_instruments(patient):
    with pytest.raises(PermissionDenied, match="gad7"):
        record_response(
            actor=_link(patient, ["phq9"]),
            patient=patient,
            instrument_id="gad7",
            answers={},
            source="self_report",
        )


def test_used_link_is_refused(patient, phq9_answers):
    link = _link(patient, ["phq9"], used_at=timezone.now())
    with pytest.raises(PermissionDenied):
        record_response(
            actor=link,
            patient=patient,
            instrument_id="phq9",
            answers=phq9_answers,
            source="self_report",
        )
