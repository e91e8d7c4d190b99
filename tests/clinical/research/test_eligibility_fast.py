"""The inlined ``evaluate_eligibility`` and the one-pass lab lookup against the plain forms."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.facts import (
    DiagnosisFact,
    LabFact,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    Sex,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.knowledge import load_data_file
from speciosa.clinical.research.eligibility import (
    Decision,
    Outcome,
    evaluate_criterion,
    evaluate_eligibility,
    latest_lab_ratio,
    latest_lab_ratios,
    parse_criteria,
)
from speciosa.clinical.research.safety_data import DATA_DIR

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CRITERIA = parse_criteria(load_data_file(DATA_DIR / "demo_study.yaml")["eligibility_criteria"])

_lab = st.builds(
    lambda analyte, days, value, uln: LabFact(
        analyte, NOW - timedelta(days=days), value, ref_high=uln
    ),
    st.sampled_from(["ALT", "AST", "GGT"]),
    st.integers(0, 3),  # few distinct dates: ties happen
    st.one_of(st.none(), st.floats(1, 400)),
    st.one_of(st.none(), st.sampled_from([0.0, 40.0, 56.0])),
)
_facts = st.builds(
    lambda year, sex, pregnant, kratom, grams, codes, active, meds, labs: PatientFacts(
        patient_key="p",
        as_of=NOW,
        birth_date=None if year is None else date(year, 1, 1),
        sex_at_birth=sex,
        is_pregnant=pregnant,
        substances=(SubstanceUseFact(Substance.KRATOM, grams_per_day=grams, is_current=kratom),),
        diagnoses=tuple(DiagnosisFact(c, is_active=active) for c in codes),
        medications=tuple(MedicationFact(n, status=s) for n, s in meds),
        labs=tuple(labs),
    ),
    st.one_of(st.none(), st.integers(1940, 2015)),
    st.sampled_from(list(Sex)),
    st.one_of(st.none(), st.booleans()),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(["F19.20", "F11.20", "F90.2", "F1"]), max_size=2),
    st.booleans(),
    st.lists(
        st.tuples(
            st.sampled_from(["methadone", "Buprenorphine", "sertraline"]),
            st.sampled_from(list(MedicationStatus)),
        ),
        max_size=2,
    ),
    st.lists(_lab, max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(_facts)
def test_evaluate_eligibility_equals_criterion_by_criterion(facts):
    results = tuple(evaluate_criterion(c, facts) for c in CRITERIA)
    if any(r.outcome is Outcome.NOT_MET for r in results):
        decision = Decision.INELIGIBLE
    elif any(r.outcome is Outcome.UNKNOWN for r in results):
        decision = Decision.INCOMPLETE
    else:
        decision = Decision.ELIGIBLE
    found = evaluate_eligibility(CRITERIA, facts)
    assert found.results == results
    assert found.decision is decision


@settings(max_examples=200, deadline=None)
@given(st.lists(_lab, max_size=6))
def test_latest_lab_ratios_equals_one_lookup_per_analyte(labs):
    facts = PatientFacts(patient_key="p", as_of=NOW, labs=tuple(labs))
    analytes = ("ALT", "AST", "CK")
    assert latest_lab_ratios(facts, analytes) == [latest_lab_ratio(facts, a) for a in analytes]


def test_a_criterion_result_names_the_criterion_text():
    facts = PatientFacts(patient_key="p", as_of=NOW, birth_date=date(2015, 1, 1))
    adult = next(
        r for r in evaluate_eligibility(CRITERIA, facts).results if r.criterion_id == "adult"
    )
    assert adult.outcome is Outcome.NOT_MET
    assert adult.reason == "inclusion not met: Aged 18-65"
