"""The worked cases of issue 4."""

from speciosa.clinical.facts import KratomForm, MedicationFact, MedicationStatus, Route, Substance
from speciosa.clinical.safety.engine import evaluate
from speciosa.clinical.safety.rules import Severity
from tests.clinical.safety.builders import dx, kratom, lab, med, patient, score, uses


def _by_id(findings):
    return {f.rule_id: f for f in findings}


def test_20g_kratom_with_atomoxetine_gives_cyp2d6_alert_only():
    facts = patient(substances=(kratom("20"),), medications=(med("atomoxetine"),))
    findings = evaluate(facts)
    assert [f.rule_id for f in findings] == ["kratom-cyp2d6-substrate"]
    # in-vitro inhibition is strong but the human probe study was negative: moderate
    assert findings[0].severity is Severity.MODERATE


def test_kratom_with_alprazolam_gives_cns_depressant_alert():
    facts = patient(substances=(kratom(),), medications=(med("alprazolam"),))
    found = _by_id(evaluate(facts))
    assert found["kratom-benzodiazepine"].severity is Severity.CRITICAL


def test_xr_naltrexone_ordered_12h_after_kratom_is_critical():
    xr = MedicationFact(
        name="naltrexone", route=Route.INTRAMUSCULAR, status=MedicationStatus.ORDERED
    )
    facts = patient(substances=(kratom(hours_ago=12),), medications=(xr,))
    finding = _by_id(evaluate(facts))["naltrexone-recent-opioid-or-kratom"]
    assert finding.severity is Severity.CRITICAL
    hours = next(t for t in finding.triggers if t.fact == "hours_since_opioid_or_kratom_use")
    assert hours.actual == 12.0


def test_phq9_item9_of_2_is_critical_with_crisis_text():
    facts = patient(scores=(score("phq9", 14, items={"phq9-9": 2}),))
    finding = _by_id(evaluate(facts))["phq9-item9-positive"]
    assert finding.severity is Severity.CRITICAL
    assert "988" in finding.message
    assert finding.triggers[0].actual == 2.0


def test_clean_patient_has_no_alert():
    facts = patient(
        substances=(uses(Substance.NICOTINE),),
        medications=(med("sertraline"), med("clonidine")),
        diagnoses=(dx("F41.1"),),
        labs=(lab("ALT", 30, 40),),
        scores=(
            score("phq9", 4, items={"phq9-9": 0}),
            score("cows", 2),
            score("asrs_screener", 2, positive=False),
        ),
    )
    assert evaluate(facts) == []


def test_seven_oh_product_is_critical():
    facts = patient(substances=(kratom("3", KratomForm.SEVEN_OH),))
    assert _by_id(evaluate(facts))["kratom-concentrated-product"].severity is Severity.CRITICAL
