from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from speciosa.clinical.facts import (
    DiagnosisFact,
    LabFact,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    ScoreFact,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.research.eligibility import (
    Decision,
    Outcome,
    evaluate_eligibility,
    parse_criteria,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)

CRITERIA = parse_criteria(
    [
        {
            "id": "adult",
            "kind": "inclusion",
            "text": "Aged 18-65",
            "condition": {"type": "age_between", "min_years": 18, "max_years": 65},
        },
        {
            "id": "kratom-oud",
            "kind": "inclusion",
            "text": "Opioid use disorder (F11)",
            "condition": {"type": "diagnosis", "prefixes": ["F11"]},
        },
        {
            "id": "asrs",
            "kind": "inclusion",
            "text": "ASRS screener >= 14",
            "condition": {"type": "latest_score", "instrument_id": "asrs6", "at_least": 14},
        },
        {
            "id": "no-bup",
            "kind": "exclusion",
            "text": "Already on buprenorphine",
            "condition": {"type": "current_medication", "names": ["buprenorphine"]},
        },
        {
            "id": "liver",
            "kind": "exclusion",
            "text": "ALT or AST > 3x ULN",
            "condition": {"type": "lab_above_uln", "analytes": ["ALT", "AST"], "times_uln": 3},
        },
        {
            "id": "pregnant",
            "kind": "exclusion",
            "text": "Pregnant",
            "condition": {"type": "pregnant"},
        },
    ]
)


def lab(analyte: str, value: float, uln: float = 40) -> LabFact:
    return LabFact(analyte=analyte, collected_at=NOW, value=value, ref_high=uln)


def facts(**overrides) -> PatientFacts:
    base = dict(
        patient_key="p1",
        as_of=NOW,
        birth_date=date(1990, 1, 1),
        is_pregnant=False,
        diagnoses=(DiagnosisFact("F11.20"),),
        scores=(ScoreFact("asrs6", NOW, 16),),
        labs=(lab("ALT", 30), lab("AST", 25)),
        substances=(SubstanceUseFact(Substance.KRATOM),),
    )
    base.update(overrides)
    return PatientFacts(**base)


def test_typical_candidate_is_eligible():
    assert evaluate_eligibility(CRITERIA, facts()).decision is Decision.ELIGIBLE


def test_alt_above_three_times_uln_excludes_with_reason():
    result = evaluate_eligibility(CRITERIA, facts(labs=(lab("ALT", 130), lab("AST", 30))))
    assert result.decision is Decision.INELIGIBLE
    assert result.reasons == ["exclusion applies: ALT or AST > 3x ULN"]


def test_exactly_three_times_uln_is_not_above():
    result = evaluate_eligibility(CRITERIA, facts(labs=(lab("ALT", 120), lab("AST", 30))))
    assert result.decision is Decision.ELIGIBLE


def test_every_failed_criterion_has_its_own_reason():
    minor = facts(birth_date=date(2010, 1, 1), is_pregnant=True, diagnoses=())
    result = evaluate_eligibility(CRITERIA, minor)
    assert [r.criterion_id for r in result.failed] == ["adult", "kratom-oud", "pregnant"]


def test_current_buprenorphine_excludes_but_stopped_does_not():
    on = MedicationFact("buprenorphine")
    off = MedicationFact("buprenorphine", status=MedicationStatus.STOPPED)
    assert evaluate_eligibility(CRITERIA, facts(medications=(on,))).decision is Decision.INELIGIBLE
    assert evaluate_eligibility(CRITERIA, facts(medications=(off,))).decision is Decision.ELIGIBLE


def test_missing_score_makes_decision_incomplete_not_ineligible():
    result = evaluate_eligibility(CRITERIA, facts(scores=()))
    assert result.decision is Decision.INCOMPLETE
    assert [r.criterion_id for r in result.undecided] == ["asrs"]


def test_latest_score_counts_not_an_earlier_one():
    scores = (ScoreFact("asrs6", NOW, 20), ScoreFact("asrs6", NOW, 9))
    result = evaluate_eligibility(CRITERIA, facts(scores=scores))
    assert result.results[2].outcome is Outcome.NOT_MET


def test_unmeasured_liver_test_is_unknown():
    result = evaluate_eligibility(CRITERIA, facts(labs=(lab("ALT", 30),)))
    assert result.decision is Decision.INCOMPLETE


def test_diagnosis_prefix_ignores_inactive_diagnoses():
    inactive = (DiagnosisFact("F11.20", is_active=False),)
    assert evaluate_eligibility(CRITERIA, facts(diagnoses=inactive)).decision is Decision.INELIGIBLE


def test_kratom_grams_threshold():
    crit = parse_criteria(
        [
            {
                "id": "k",
                "kind": "inclusion",
                "text": ">= 5 g/day kratom",
                "condition": {
                    "type": "current_substance",
                    "substance": "kratom",
                    "min_grams_per_day": 5,
                },
            }
        ]
    )
    heavy = facts(substances=(SubstanceUseFact(Substance.KRATOM, grams_per_day=12),))
    light = facts(substances=(SubstanceUseFact(Substance.KRATOM, grams_per_day=2),))
    assert evaluate_eligibility(crit, heavy).decision is Decision.ELIGIBLE
    assert evaluate_eligibility(crit, light).decision is Decision.INELIGIBLE


def test_unknown_condition_type_is_rejected():
    with pytest.raises(ValidationError):
        parse_criteria(
            [{"id": "x", "kind": "inclusion", "text": "?", "condition": {"type": "zodiac"}}]
        )


def test_unrecorded_pregnancy_is_not_applicable_to_males_but_unknown_otherwise():
    from speciosa.clinical.facts import Sex

    male = facts(is_pregnant=None, sex_at_birth=Sex.MALE)
    female = facts(is_pregnant=None, sex_at_birth=Sex.FEMALE)
    assert evaluate_eligibility(CRITERIA, male).decision is Decision.ELIGIBLE
    assert evaluate_eligibility(CRITERIA, female).decision is Decision.INCOMPLETE
