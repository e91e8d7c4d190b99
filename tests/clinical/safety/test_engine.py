"""Engine behaviour: order, determinism, triggers, and equality with the naive loop."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.facts import KratomForm, Substance, SubstanceUseFact
from speciosa.clinical.safety.engine import evaluate, evaluate_each_rule
from speciosa.clinical.safety.rules import Severity
from tests.clinical.safety.builders import (
    NOW,
    dx,
    kratom,
    lab,
    med,
    medication_facts,
    patient,
    score,
    uses,
)


def test_findings_are_sorted_most_severe_first_then_by_rule_id():
    facts = patient(
        substances=(kratom("45", KratomForm.EXTRACT_SHOT), uses(Substance.ALCOHOL)),
        medications=(med("alprazolam"), med("atomoxetine")),
    )
    findings = evaluate(facts)
    keys = [(f.severity.rank, f.rule_id) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].severity is Severity.CRITICAL


def test_evaluate_is_deterministic():
    facts = patient(substances=(kratom(),), medications=(med("alprazolam"), med("quetiapine")))
    assert evaluate(facts) == evaluate(facts)


def test_finding_names_triggering_facts():
    facts = patient(substances=(kratom(),), medications=(med("pregabalin"),))
    finding = next(f for f in evaluate(facts) if f.rule_id == "kratom-gabapentinoid")
    by_fact = {t.fact: t for t in finding.triggers}
    assert by_fact["kratom_current"].actual is True
    assert by_fact["medication_classes"].actual == ["gabapentinoid"]


def test_finding_carries_citations_and_cards():
    facts = patient(substances=(kratom(),), medications=(med("alprazolam"),))
    finding = next(f for f in evaluate(facts) if f.rule_id == "kratom-benzodiazepine")
    assert any(c.doi == "10.1002/cpt.2891" for c in finding.citations)
    assert "C5" in finding.evidence_cards


def test_medication_matched_by_rxnorm_when_name_unknown():
    facts = patient(substances=(kratom(),), medications=(med("brand x", rxnorm="596"),))
    assert "kratom-benzodiazepine" in {f.rule_id for f in evaluate(facts)}


def test_stopped_kratom_does_not_count_as_current():
    stopped = SubstanceUseFact(
        substance=Substance.KRATOM, grams_per_day=Decimal(50), is_current=False
    )
    facts = patient(substances=(stopped,), medications=(med("alprazolam"),))
    assert evaluate(facts) == []


def test_latest_liver_value_wins():
    facts = patient(
        substances=(kratom(),), labs=(lab("ALT", 200, 40, days_ago=20), lab("ALT", 50, 40))
    )
    assert "kratom-liver-signal" not in {f.rule_id for f in evaluate(facts)}


def _triggers(facts, rule_id):
    finding = next(f for f in evaluate(facts) if f.rule_id == rule_id)
    return {t.fact: t.actual for t in finding.triggers}


def test_shared_findings_keep_each_patients_values():
    # equal triggers share one Finding; different values must never leak between patients
    light, heavy = patient(substances=(kratom("45"),)), patient(substances=(kratom("50"),))
    for facts, grams in [(light, 45.0), (heavy, 50.0), (light, 45.0), (heavy, 50.0)]:
        assert _triggers(facts, "kratom-high-daily-dose") == {
            "kratom_current": True,
            "kratom_grams_per_day": grams,
        }
    one, two = (
        patient(substances=(kratom(),), medications=(med("alprazolam"),)),
        patient(substances=(kratom(),), medications=(med("alprazolam"), med("pregabalin"))),
    )
    assert "gabapentinoid" not in _triggers(one, "kratom-benzodiazepine")["medication_classes"]
    assert "gabapentinoid" in _triggers(two, "kratom-benzodiazepine")["medication_classes"]
    assert evaluate(one) == evaluate_each_rule(one)
    assert evaluate(two) == evaluate_each_rule(two)


def test_rule_filed_under_two_present_keys_fires_once():
    facts = patient(
        substances=(kratom(), uses(Substance.BENZODIAZEPINE)), medications=(med("alprazolam"),)
    )
    ids = [f.rule_id for f in evaluate(facts)]
    assert ids.count("kratom-benzodiazepine") == 1
    assert evaluate(facts) == evaluate_each_rule(facts)


def test_reliable_deterioration_needs_two_scores_of_the_instrument():
    rule = "reliable-deterioration"
    once = patient(scores=(score("phq9", 20),))
    twice = patient(scores=(score("phq9", 5, days_ago=60), score("gad7", 3), score("phq9", 12)))
    assert rule not in {f.rule_id for f in evaluate(once)}
    assert _triggers(twice, rule) == {"instruments_reliably_worse[]": ["phq9"]}
    assert evaluate(twice) == evaluate_each_rule(twice)


_substance = st.builds(
    SubstanceUseFact,
    substance=st.sampled_from(list(Substance)),
    last_use=st.one_of(st.none(), st.integers(0, 24 * 20).map(lambda h: NOW - timedelta(hours=h))),
    kratom_form=st.one_of(st.none(), st.sampled_from(list(KratomForm))),
    grams_per_day=st.one_of(st.none(), st.integers(0, 80).map(Decimal)),
    is_current=st.booleans(),
)
_score = st.one_of(
    st.builds(
        lambda t, i9: score("phq9", t, items={"9": i9}), st.integers(0, 27), st.integers(0, 3)
    ),
    st.builds(lambda t: score("cows", t), st.integers(0, 48)),
    st.builds(lambda b: score("cssrs", band=b), st.sampled_from(["low", "moderate", "high", ""])),
    st.builds(lambda p: score("asrs_screener", 3, positive=p), st.booleans()),
)
_facts = st.builds(
    lambda subs, meds, scores, codes, alt: patient(
        substances=tuple(subs),
        medications=tuple(meds),
        scores=tuple(scores),
        diagnoses=tuple(dx(c) for c in codes),
        labs=(lab("ALT", alt, 40),) if alt is not None else (),
    ),
    st.lists(_substance, max_size=3),
    st.lists(medication_facts, max_size=3),
    st.lists(_score, max_size=3),
    st.lists(st.sampled_from(["F15.20", "G40.909", "F90.0", "F11.20"]), max_size=2),
    st.one_of(st.none(), st.floats(1, 400)),
)


@settings(max_examples=150, deadline=None)
@given(_facts)
def test_indexed_engine_equals_naive_loop(facts):
    assert evaluate(facts) == evaluate_each_rule(facts)
