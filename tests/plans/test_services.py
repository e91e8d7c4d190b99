"""Plan services: create from template, change (optimistic lock), sign, review."""

from datetime import timedelta

import pytest
from django.utils import timezone

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from speciosa.patients import services as patient_services
from speciosa.plans import services
from speciosa.plans.models import PlanStatus, PlanVersion, TreatmentPlan
from speciosa.plans.queries import get_plan_for_user, plans_due_for_review


def edited(plan, mutate):
    document = plan.current_version.document
    mutate(document)
    return document


def test_create_from_template_saves_version_1_with_evaluation(taper_plan):
    assert taper_plan.status == PlanStatus.DRAFT
    version = taper_plan.versions.get()
    assert version.number == 1 and version.reason == "Created from template: kratom-taper"
    assert version.document["taper"][0]["grams_per_day"] == "8.00"
    assert set(taper_plan.last_evaluation) == {
        "kratom-halfway",
        "kratom-end",
        "mitragynine-negative",
        "cows-resolved",
    }


def test_create_writes_one_audit_row(taper_plan, kratom_patient):
    rows = AuditEvent.objects.filter(object_type="plans.TreatmentPlan")
    assert [(r.action, r.object_id) for r in rows] == [("create", str(taper_plan.uid))]


def test_taper_template_refuses_a_patient_without_kratom(prescriber, patient):
    with pytest.raises(InvalidInput, match="only reduces existing use"):
        services.create_plan_from_template(
            actor=prescriber, patient=patient, pathway_ids=["kratom-taper"]
        )
    assert not TreatmentPlan.objects.exists()


def test_outsider_cannot_create_a_plan_for_another_programs_patient(outsider, patient):
    with pytest.raises(NotFound):
        services.create_plan_from_template(
            actor=outsider, patient=patient, pathway_ids=["depression-anxiety"]
        )


def test_researcher_may_not_edit_plans(researcher, patient):
    with pytest.raises(PermissionDenied):
        services.create_plan_from_template(
            actor=researcher, patient=patient, pathway_ids=["depression-anxiety"]
        )


def test_change_plan_creates_version_2_with_reason_and_author(taper_plan, counsellor):
    document = edited(taper_plan, lambda d: d.update(title="Taper, slower"))
    version = services.change_plan(
        actor=counsellor,
        plan=taper_plan,
        expected_version=1,
        document=document,
        reason="patient asked for a slower pace",
    )
    taper_plan.refresh_from_db()
    assert (version.number, version.author, version.reason) == (
        2,
        counsellor,
        "patient asked for a slower pace",
    )
    assert (taper_plan.current_version_number, taper_plan.version) == (2, 2)
    assert PlanVersion.objects.get(plan=taper_plan, number=1).document["title"] != "Taper, slower"


def test_concurrent_edit_gives_stale_version_and_keeps_the_first(taper_plan, prescriber, nurse):
    first = edited(taper_plan, lambda d: d.update(title="Edit A"))
    second = edited(taper_plan, lambda d: d.update(title="Edit B"))
    services.change_plan(
        actor=prescriber, plan=taper_plan, expected_version=1, document=first, reason="A"
    )
    stale_copy = TreatmentPlan.objects.get(pk=taper_plan.pk)  # another editor's copy
    stale_copy.version = 1
    with pytest.raises(StaleVersion):
        services.change_plan(
            actor=nurse, plan=stale_copy, expected_version=1, document=second, reason="B"
        )
    taper_plan.refresh_from_db()
    assert taper_plan.title == "Edit A"
    assert taper_plan.versions.count() == 2


def test_change_without_reason_is_refused(taper_plan, prescriber):
    document = edited(taper_plan, lambda d: d.update(title="x"))
    with pytest.raises(InvalidInput, match="reason"):
        services.change_plan(
            actor=prescriber, plan=taper_plan, expected_version=1, document=document, reason=" "
        )


def test_change_that_raises_a_kratom_target_is_refused(taper_plan, prescriber):
    def raise_target(d):
        condition = d["problems"][0]["goals"][0]["objectives"][0]["condition"]
        condition["max_grams_per_day"] = 10
        condition["baseline_grams_per_day"] = None

    document = edited(taper_plan, raise_target)
    with pytest.raises(InvalidInput, match="only reduce"):
        services.change_plan(
            actor=prescriber, plan=taper_plan, expected_version=1, document=document, reason="r"
        )
    assert taper_plan.versions.count() == 1


def test_unchanged_document_is_refused(taper_plan, prescriber):
    with pytest.raises(InvalidInput, match="nothing changed"):
        services.change_plan(
            actor=prescriber,
            plan=taper_plan,
            expected_version=1,
            document=taper_plan.current_version.document,
            reason="no-op",
        )


def test_plan_versions_are_immutable(taper_plan):
    version = taper_plan.versions.get()
    version.reason = "rewritten"
    with pytest.raises(TypeError):
        version.save()


def test_clinician_signature_activates_the_plan(taper_plan, prescriber):
    services.sign_plan(
        actor=prescriber,
        plan=taper_plan,
        version_number=1,
        signer_role="clinician",
        typed_name="Priya Prescriber",
        method="typed_in_person",
    )
    taper_plan.refresh_from_db()
    assert taper_plan.status == PlanStatus.ACTIVE
    assert taper_plan.current_version.signatures.get().typed_name == "Priya Prescriber"


def test_signing_an_old_version_is_stale(taper_plan, prescriber):
    document = edited(taper_plan, lambda d: d.update(title="v2"))
    services.change_plan(
        actor=prescriber, plan=taper_plan, expected_version=1, document=document, reason="r"
    )
    with pytest.raises(StaleVersion):
        services.sign_plan(
            actor=prescriber,
            plan=taper_plan,
            version_number=1,
            signer_role="patient",
            typed_name="Alex Rivera",
            method="typed_in_person",
        )


def test_second_patient_signature_on_one_version_is_a_conflict(taper_plan, nurse):
    kwargs = dict(
        actor=nurse,
        plan=taper_plan,
        version_number=1,
        signer_role="patient",
        method="typed_telehealth",
    )
    services.sign_plan(typed_name="Alex Rivera", **kwargs)
    with pytest.raises(Conflict):
        services.sign_plan(typed_name="Alex Rivera", **kwargs)


def test_review_sets_next_date_and_appears_due_before(taper_plan, counsellor):
    next_review = timezone.localdate() + timedelta(days=14)
    services.review_plan(
        actor=counsellor, plan=taper_plan, expected_version=1, next_review_on=next_review
    )
    taper_plan.refresh_from_db()
    assert taper_plan.review_due_on == next_review and taper_plan.last_reviewed_at
    assert list(plans_due_for_review(counsellor, next_review)) == [taper_plan]
    assert list(plans_due_for_review(counsellor, next_review - timedelta(days=1))) == []


def test_review_in_the_past_is_refused(taper_plan, counsellor):
    with pytest.raises(InvalidInput, match="after today"):
        services.review_plan(
            actor=counsellor,
            plan=taper_plan,
            expected_version=1,
            next_review_on=timezone.localdate(),
        )


def test_new_lab_reevaluates_open_plans(prescriber, kratom_patient):
    plan = services.create_plan_from_template(
        actor=prescriber,
        patient=kratom_patient,
        pathway_ids=["kratom-oud-buprenorphine"],
        start_date=timezone.localdate() - timedelta(days=3),
    )
    assert plan.last_evaluation["fentanyl-negative"]["status"] == "not_enough_data"
    now = timezone.now()
    for hours in (30, 2):
        patient_services.record_lab_result(
            actor=prescriber,
            patient=kratom_patient,
            analyte="FENTANYL",
            result_text="negative",
            method="immunoassay",
            collected_at=now - timedelta(hours=hours),
        )
    plan.refresh_from_db()
    assert plan.last_evaluation["fentanyl-negative"]["status"] == "met"


def test_a_response_reevaluates_open_plans_with_the_writers_patient(prescriber, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from speciosa.measures.services import record_response

    plan = services.create_plan_from_template(
        actor=prescriber, patient=patient, pathway_ids=["depression-anxiety"]
    )
    before = plan.evaluated_at
    answers = {f"phq9-{n}": 2 for n in range(1, 10)}
    with CaptureQueriesContext(connection) as ctx:
        record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=answers)
    plan.refresh_from_db()
    assert plan.evaluated_at > before
    assert plan.last_evaluation["phq9-improved"]["status"] == "not_enough_data"  # 1 score
    sql = [q["sql"] for q in ctx.captured_queries]
    plan_reads = [q for q in sql if q.startswith("SELECT") and 'FROM "plans_treatmentplan"' in q]
    assert len(plan_reads) == 1
    # the plan's patient is the one the writer holds: no patient row read or joined
    assert not [q for q in sql if '"patients_patient"' in q], sql


def test_attended_sessions_feed_the_attendance_objective(prescriber, patient):
    plan = services.create_plan_from_template(
        actor=prescriber,
        patient=patient,
        pathway_ids=["adhd-early-recovery"],
        start_date=timezone.localdate() - timedelta(days=30),
    )
    now = timezone.now()
    for days, status in [(21, "attended"), (14, "attended"), (7, "attended"), (1, "missed")]:
        services.record_care_event(
            actor=prescriber,
            patient=patient,
            kind="session:cbt",
            at=now - timedelta(days=days),
            status=status,
        )
    plan.refresh_from_db()
    result = plan.last_evaluation["cbt-attendance"]
    assert result["numbers"]["percent"] == 75.0
    assert result["status"] == "on_track"  # 75% now; 80% still reachable over 12 sessions


def test_outsider_cannot_read_the_plan(taper_plan, outsider):
    with pytest.raises(NotFound):
        get_plan_for_user(outsider, taper_plan.uid)


def test_next_review_dates_gives_the_earliest_open_plan_per_patient(
    prescriber, patient, django_assert_num_queries
):
    from speciosa.plans.queries import next_review_dates

    today = timezone.localdate()
    for days in (20, 9):
        services.create_plan_from_template(
            actor=prescriber,
            patient=patient,
            pathway_ids=["depression-anxiety"],
            review_due_on=today + timedelta(days=days),
        )
    with django_assert_num_queries(1):
        dates = next_review_dates([patient.pk])
    assert dates == {patient.pk: today + timedelta(days=9)}
