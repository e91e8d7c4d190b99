"""Applying pathway templates, plan diffs, induction decision points, RCI arithmetic."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from speciosa.clinical.errors import InvalidInput
from speciosa.clinical.facts import PatientFacts, ScoreFact, Substance, SubstanceUseFact
from speciosa.clinical.planning.document import ItemStatus, diff_plans, evaluate_plan
from speciosa.clinical.planning.induction import Readiness, check_induction_readiness
from speciosa.clinical.planning.objectives import (
    KratomDoseAtMost,
    ObjectiveStatus,
    ReliableImprovement,
)
from speciosa.clinical.planning.reliable_change import reliable_change
from speciosa.clinical.planning.taper import StepUnit
from speciosa.clinical.planning.templates import TaperRequest, apply_pathway, merge_documents

START = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def kratom_facts(grams: str = "20", hours_ago: float = 14, cows: float | None = None):
    return PatientFacts(
        patient_key="p",
        as_of=NOW,
        substances=(
            SubstanceUseFact(
                substance=Substance.KRATOM,
                grams_per_day=Decimal(grams),
                last_use=NOW - timedelta(hours=hours_ago),
            ),
        ),
        scores=(ScoreFact(instrument_id="cows", at=NOW, total=cows),) if cows is not None else (),
    )


def test_taper_pathway_builds_a_dated_schedule_from_recorded_use():
    request = TaperRequest(step=Decimal("2"), step_unit=StepUnit.GRAMS, interval_days=7)
    plan = apply_pathway("kratom-taper", facts=kratom_facts("8"), start=START, taper=request)
    assert [s.grams_per_day for s in plan.taper] == [Decimal(x) for x in ("8", "6", "4", "2", "0")]
    assert plan.taper[-1].starts_on == START + timedelta(weeks=4)


def test_taper_objectives_follow_the_schedule():
    request = TaperRequest(step=Decimal("2"), step_unit=StepUnit.GRAMS, interval_days=7)
    plan = apply_pathway("kratom-taper", facts=kratom_facts("8"), start=START, taper=request)
    halfway = next(o for o in plan.objectives() if o.id == "kratom-halfway")
    assert isinstance(halfway.condition, KratomDoseAtMost)
    assert halfway.condition.max_grams_per_day == 4
    assert halfway.target_date == START + timedelta(weeks=2)
    negative = next(o for o in plan.objectives() if o.id == "mitragynine-negative")
    assert negative.target_date == START + timedelta(weeks=8)  # 4 weeks after the last step


def test_taper_pathway_refuses_a_patient_without_kratom_use():
    no_kratom = PatientFacts(patient_key="p", as_of=NOW)
    with pytest.raises(InvalidInput, match="only reduces existing use"):
        apply_pathway("kratom-taper", facts=no_kratom, start=START)


def test_taper_floor_is_respected():
    request = TaperRequest(
        step=Decimal("5"),
        step_unit=StepUnit.GRAMS,
        interval_days=14,
        floor_grams_per_day=Decimal("4"),
    )
    plan = apply_pathway("kratom-taper", facts=kratom_facts("20"), start=START, taper=request)
    assert plan.taper[-1].grams_per_day == Decimal("4")


def test_depression_template_pulls_cited_rci_parameters():
    plan = apply_pathway("depression-anxiety", facts=kratom_facts(), start=START)
    phq9 = next(o for o in plan.objectives() if o.id == "phq9-improved")
    assert isinstance(phq9.condition, ReliableImprovement)
    assert (phq9.condition.sd, phq9.condition.reliability) == (6.0, 0.89)
    assert phq9.condition.parameters_id == "phq9-rci"


def test_adhd_template_proposes_medication_rather_than_ordering_it():
    plan = apply_pathway("adhd-early-recovery", facts=kratom_facts(), start=START)
    asrs = next(o for o in plan.objectives() if o.id == "asrs-week8")
    statuses = {i.library_id: i.status for i in asrs.interventions}
    assert statuses["atomoxetine"] is ItemStatus.PROPOSED


def test_evaluating_a_fresh_plan_reports_not_enough_data():
    plan = apply_pathway("kratom-oud-buprenorphine", facts=kratom_facts(), start=START)
    results = evaluate_plan(plan, kratom_facts())
    assert results["fentanyl-negative"].status is ObjectiveStatus.NOT_ENOUGH_DATA


def test_merged_pathways_keep_ids_unique():
    facts = kratom_facts()
    merged = merge_documents(
        "Taper + ADHD",
        START,
        [
            apply_pathway("kratom-oud-buprenorphine", facts=facts, start=START),
            apply_pathway("adhd-early-recovery", facts=facts, start=START),
        ],
    )
    ids = [item.id for item in merged.iter_items()]
    assert len(ids) == len(set(ids))
    assert "adhd-early-recovery.cbt-attendance" in ids


# --- diff -----------------------------------------------------------------------------


def test_diff_reports_a_changed_target_date_and_an_added_intervention():
    before = apply_pathway("adhd-early-recovery", facts=kratom_facts(), start=START)
    data = before.model_dump()
    objective = data["problems"][0]["goals"][0]["objectives"][0]
    objective["target_date"] = START + timedelta(weeks=10)
    objective["interventions"].append({"id": "mi-extra", "text": "MI booster", "owner": "cam"})
    after = type(before).model_validate(data)
    changes = {(c.op, c.path) for c in diff_plans(before, after)}
    base = "problem:adhd/goal:adhd-symptoms/objective:asrs-week8"
    assert ("changed", f"{base}.target_date") in changes
    assert ("added", f"{base}/intervention:mi-extra") in changes
    assert len(changes) == 2  # the new intervention's own fields are not listed again


def test_diff_of_identical_plans_is_empty():
    plan = apply_pathway("depression-anxiety", facts=kratom_facts(), start=START)
    assert diff_plans(plan, plan) == []


def test_diff_reports_a_removed_problem_once():
    before = apply_pathway("depression-anxiety", facts=kratom_facts(), start=START)
    data = before.model_dump()
    data["problems"] = data["problems"][:1]
    changes = diff_plans(before, type(before).model_validate(data))
    assert [(c.op, c.path) for c in changes] == [("removed", "problem:anxiety")]


# --- induction decision points --------------------------------------------------------


def test_induction_ready_after_12_hours_with_cows_8():
    check = check_induction_readiness(kratom_facts(hours_ago=14, cows=9))
    assert check.readiness is Readiness.READY


def test_induction_waits_when_too_soon():
    check = check_induction_readiness(kratom_facts(hours_ago=6, cows=10))
    assert check.readiness is Readiness.WAIT
    assert check.hours_since_last_use == 6


def test_induction_waits_when_cows_is_low():
    check = check_induction_readiness(kratom_facts(hours_ago=20, cows=5))
    assert check.readiness is Readiness.WAIT


def test_induction_without_cows_is_not_enough_data():
    check = check_induction_readiness(kratom_facts(hours_ago=20))
    assert check.readiness is Readiness.NOT_ENOUGH_DATA


def test_fentanyl_use_lengthens_the_wait():
    facts = kratom_facts(hours_ago=14, cows=10)
    fentanyl = SubstanceUseFact(substance=Substance.FENTANYL, last_use=NOW - timedelta(hours=14))
    facts = PatientFacts(
        patient_key="p", as_of=NOW, substances=(*facts.substances, fentanyl), scores=facts.scores
    )
    check = check_induction_readiness(facts)
    assert check.required_hours == 24
    assert check.readiness is Readiness.WAIT


# --- RCI arithmetic -------------------------------------------------------------------


def test_rci_worked_example():
    # SD 6, r 0.89: SE = 6*sqrt(0.11) = 1.990; S_diff = 2.814; 1.96*S_diff = 5.52
    rc = reliable_change(15, 9, sd=6, reliability=0.89)
    assert rc.s_diff == pytest.approx(2.814, abs=0.001)
    assert rc.threshold_points == pytest.approx(5.52, abs=0.01)
    assert rc.is_reliable is True


def test_rci_rejects_reliability_of_one():
    with pytest.raises(InvalidInput):
        reliable_change(10, 5, sd=5, reliability=1.0)


# --- checks before saving -------------------------------------------------------------


def test_check_refuses_raising_a_kratom_target_above_current_use():
    from speciosa.clinical.planning.checks import check_kratom_only_reduces

    plan = apply_pathway("kratom-taper", facts=kratom_facts("8"), start=START)
    data = plan.model_dump()
    objective = data["problems"][0]["goals"][0]["objectives"][0]
    objective["condition"]["max_grams_per_day"] = 12
    objective["condition"]["baseline_grams_per_day"] = None
    with pytest.raises(InvalidInput, match="only reduce"):
        check_kratom_only_reduces(type(plan).model_validate(data), kratom_facts("8"))


def test_check_refuses_an_increasing_taper():
    from speciosa.clinical.planning.checks import check_kratom_only_reduces

    plan = apply_pathway("kratom-taper", facts=kratom_facts("8"), start=START)
    data = plan.model_dump()
    data["taper"][2]["grams_per_day"] = Decimal("9")
    with pytest.raises(InvalidInput, match="never increase"):
        check_kratom_only_reduces(type(plan).model_validate(data), kratom_facts("8"))


def test_check_accepts_the_generated_taper_plan():
    from speciosa.clinical.planning.checks import check_kratom_only_reduces

    plan = apply_pathway("kratom-taper", facts=kratom_facts("8"), start=START)
    check_kratom_only_reduces(plan, kratom_facts("8"))  # no error
    assert plan.taper[0].grams_per_day == Decimal("8")
