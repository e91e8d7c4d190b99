"""Incremental re-evaluation gives the same findings as a full evaluation."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.facts import (
    KratomForm,
    LabMethod,
    MedicationStatus,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.safety.engine import evaluate
from speciosa.clinical.safety.incremental import (
    affected_rules,
    index_for,
    needs_of,
    restrict,
    score_ends,
    unknown_variables,
)
from speciosa.clinical.safety.rules import load_rules
from tests.clinical.safety.builders import (
    NOW,
    dx,
    event,
    lab,
    med,
    medication_facts,
    patient,
    score,
    uds,
)


def test_every_variable_declares_its_inputs():
    assert unknown_variables() == set()


def test_a_phq9_score_affects_phq9_rules_and_clock_rules_only():
    ids = {r.id for r in affected_rules({"scores:phq9"})}
    assert ids == {
        "phq9-item9-positive",
        "reliable-deterioration",
        # read the hours since the last dose: time has passed since the last evaluation
        "buprenorphine-induction-after-kratom",
        "naltrexone-recent-opioid-or-kratom",
        "naltrexone-short-opioid-free-interval",
    }


def test_any_score_change_affects_every_score_rule():
    ids = {r.id for r in affected_rules({"scores"})}
    assert {"cssrs-high-risk", "cows-severe-withdrawal", "phq9-item9-positive"} <= ids
    assert "kratom-cyp2d6-substrate" not in ids


def test_a_medication_change_affects_the_interaction_rules():
    ids = {r.id for r in affected_rules({"medications"})}
    assert "kratom-cyp2d6-substrate" in ids
    assert "phq9-item9-positive" not in ids


def test_needs_of_phq9_change_loads_scores_substances_and_medications_only():
    needs = needs_of(affected_rules({"scores:phq9"}))
    assert needs.fields == {"substances", "medications"}
    assert needs.score_instruments == {"phq9", "gad7", "cows"}
    assert needs.score_ends_only is True


def test_score_ends_keeps_first_and_latest_per_instrument_in_order():
    rows = (
        score("phq9", 1, days_ago=9),
        score("gad7", 2, days_ago=8),
        score("phq9", 3, days_ago=7),
        score("phq9", 4, days_ago=6),
        score("cows", 5, days_ago=5),
    )
    assert score_ends(rows) == (rows[0], rows[1], rows[3], rows[4])


def test_clock_rules_are_rechecked_when_only_a_score_changed():
    """Buprenorphine ordered 2 h after kratom; 10 h later a PHQ-9 arrives: the hint ends."""
    before = patient(
        substances=(
            SubstanceUseFact(substance=Substance.KRATOM, grams_per_day=Decimal("20"), last_use=NOW),
        ),
        medications=(med("buprenorphine", MedicationStatus.ORDERED),),
        scores=(score("cows", 12),),
    )
    assert "buprenorphine-induction-after-kratom" in {f.rule_id for f in evaluate(before)}
    after = replace(
        before,
        as_of=NOW + timedelta(hours=10),
        scores=(*before.scores, replace(score("phq9", 3), at=NOW + timedelta(hours=10))),
    )
    affected = affected_rules({"scores:phq9"})
    found = evaluate(restrict(after, needs_of(affected)), index_for(affected))
    assert "buprenorphine-induction-after-kratom" in {r.id for r in affected}
    assert "buprenorphine-induction-after-kratom" not in {f.rule_id for f in found}


# --- the equivalence property -----------------------------------------------------------

# recent doses are common: the clock-reading rules turn on hours since the last dose
_hours = st.one_of(st.none(), st.integers(0, 12), st.integers(0, 24 * 20))
_substance = st.builds(
    lambda substance, hours, form, grams, current: SubstanceUseFact(
        substance=substance,
        last_use=NOW - timedelta(hours=hours) if hours is not None else None,
        kratom_form=form,
        grams_per_day=grams,
        is_current=current,
    ),
    st.sampled_from(list(Substance)),
    _hours,
    st.one_of(st.none(), st.sampled_from(list(KratomForm))),
    st.one_of(st.none(), st.integers(0, 80).map(Decimal)),
    st.booleans(),
)
_days = st.integers(0, 60)
_score = st.one_of(
    st.builds(
        lambda t, i9, d: score("phq9", t, items={"9": i9}, days_ago=d),
        st.integers(0, 27),
        st.integers(0, 3),
        _days,
    ),
    st.builds(lambda t, d: score("gad7", t, days_ago=d), st.integers(0, 21), _days),
    st.builds(lambda t, d: score("cows", t, days_ago=d), st.integers(0, 48), _days),
    st.builds(lambda t, d: score("ciwa_ar", t, days_ago=d), st.integers(0, 40), _days),
    st.builds(
        lambda b, d: score("cssrs", band=b, days_ago=d),
        st.sampled_from(["low", "moderate", "high", ""]),
        _days,
    ),
    st.builds(lambda p, d: score("asrs_screener", 3, positive=p, days_ago=d), st.booleans(), _days),
)
_lab = st.one_of(
    st.builds(
        lambda a, v: lab(a, v, 40),
        st.sampled_from(["ALT", "AST", "BILIRUBIN_TOTAL"]),
        st.floats(1, 400),
    ),
    st.builds(uds, st.sampled_from(["positive", "negative"])),
    st.just(replace(uds("positive", "MITRAGYNINE"), method=LabMethod.LCMS)),
)
_event = st.builds(
    event,
    st.sampled_from(["assessment:adhd", "session:cbt", "referral:adhd"]),
    st.sampled_from(["scheduled", "missed", "attended"]),
)
_codes = st.lists(st.sampled_from(["F15.20", "G40.909", "F90.0", "F11.20", "F14.10"]), max_size=2)


def _sorted_scores(scores) -> tuple:
    return tuple(sorted(scores, key=lambda s: s.at))


_facts = st.builds(
    lambda subs, meds, scores, codes, labs, events, pregnant: patient(
        substances=tuple(subs),
        medications=tuple(meds),
        scores=_sorted_scores(scores),
        diagnoses=tuple(dx(c) for c in codes),
        labs=tuple(sorted(labs, key=lambda lab_: lab_.collected_at)),
        events=tuple(events),
        is_pregnant=pregnant,
    ),
    st.lists(_substance, max_size=3),
    st.lists(medication_facts, max_size=3),
    st.lists(_score, max_size=5),
    _codes,
    st.lists(_lab, max_size=3),
    st.lists(_event, max_size=2),
    st.one_of(st.none(), st.booleans()),
)


@st.composite
def _change(draw, before):
    """(facts after one write, the names of what changed)."""
    kind = draw(
        st.sampled_from(["score", "substances", "medications", "diagnoses", "labs", "events"])
    )
    if kind == "score":
        new = draw(_score)
        new = replace(new, at=before.as_of)  # a new response is the latest one
        after = replace(before, scores=(*before.scores, new))
        changes = {f"scores:{new.instrument_id}"}
    elif kind == "substances":
        after = replace(before, substances=tuple(draw(st.lists(_substance, max_size=3))))
        changes = {"substances"}
    elif kind == "medications":
        after = replace(before, medications=tuple(draw(st.lists(medication_facts, max_size=3))))
        changes = {"medications"}
    elif kind == "diagnoses":
        after = replace(before, diagnoses=tuple(dx(c) for c in draw(_codes)))
        changes = {"diagnoses"}
    elif kind == "labs":
        after = replace(before, labs=tuple(draw(st.lists(_lab, max_size=3))))
        changes = {"labs"}
    else:
        after = replace(before, events=tuple(draw(st.lists(_event, max_size=2))))
        changes = {"events"}
    # time passes between the two evaluations
    hours = draw(st.one_of(st.integers(0, 12), st.integers(0, 24 * 10)))
    after = replace(after, as_of=before.as_of + timedelta(hours=hours))
    return after, changes


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_incremental_reevaluation_equals_full_reevaluation(data):
    before = data.draw(_facts)
    after, changes = data.draw(_change(before))
    affected = affected_rules(changes)
    affected_ids = {r.id for r in affected}

    full_before = evaluate(before)
    full_after = evaluate(after)
    incremental = evaluate(restrict(after, needs_of(affected)), index_for(affected))

    # the affected rules: identical findings (triggers included) from the reduced facts
    assert incremental == [f for f in full_after if f.rule_id in affected_ids]
    # the other rules: nothing they read changed, so their result did not change
    unaffected_before = {f.rule_id for f in full_before if f.rule_id not in affected_ids}
    unaffected_after = {f.rule_id for f in full_after if f.rule_id not in affected_ids}
    assert unaffected_before == unaffected_after


@settings(max_examples=150, deadline=None)
@given(_facts)
def test_restricted_facts_give_the_same_findings_for_every_rule_set(facts):
    for changes in ({"scores"}, {"substances"}, {"medications"}, {"labs"}, {"patient"}):
        affected = affected_rules(changes)
        ids = {r.id for r in affected}
        expected = [f for f in evaluate(facts) if f.rule_id in ids]
        assert evaluate(restrict(facts, needs_of(affected)), index_for(affected)) == expected


def test_all_rules_affected_by_every_kind_together():
    everything = {"scores", "substances", "medications", "diagnoses", "labs", "events", "patient"}
    assert affected_rules(everything) == load_rules()
