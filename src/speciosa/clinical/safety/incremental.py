"""Incremental re-evaluation: which rules a change can affect, and which facts they read.

A write changes one kind of fact (a new PHQ-9 score, a new medication). A rule that reads
none of the changed facts gives the same result as at its last evaluation, so only the
*affected* rules need re-evaluating, and only the facts those rules read need loading.

Every variable of the condition language declares its inputs here (``INPUTS``):

* a ``PatientFacts`` field (``substances``, ``medications``, ``diagnoses``, ``labs``,
  ``events``, ``patient`` for the demographics on the patient row), or
  ``scores:<instrument>`` for the scores of one instrument;
* ``clock`` when the value depends on ``as_of`` (hours since the last dose). Time passes
  between any two evaluations, so rules reading the clock are always affected.

A change is named the same way: ``scores:phq9`` (or ``scores`` for any instrument),
``medications``... Result: ``evaluate(facts_for(needs), index_for(affected))`` holds
exactly the affected rules that a full ``evaluate`` of the complete facts would hold
(``tests/clinical/safety/test_incremental.py`` checks this property on random facts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from speciosa.clinical.facts import PatientFacts, ScoreFact
from speciosa.clinical.safety.conditions import Condition, Leaf
from speciosa.clinical.safety.engine import RuleIndex
from speciosa.clinical.safety.rules import Rule, load_rules
from speciosa.clinical.safety.variables import VARIABLES, Params

CLOCK = "clock"
SCORES = "scores"
# inputs that are PatientFacts fields loaded from their own table
FIELD_INPUTS = frozenset({"substances", "medications", "diagnoses", "labs", "events"})
PATIENT = "patient"  # birth date, sex, pregnancy: on the patient row, always loaded


def _fixed(*inputs: str) -> Callable[[Params], frozenset[str]]:
    found = frozenset(inputs)
    return lambda _params: found


def _one_instrument(params: Params) -> frozenset[str]:
    return frozenset({f"{SCORES}:{params['instrument']}"})


def _thresholded_instruments(params: Params) -> frozenset[str]:
    return frozenset(f"{SCORES}:{i}" for i in params["thresholds"])


# variable name -> inputs it reads (given its params). A new variable without an entry
# fails loudly (KeyError) the first time a rule using it is considered.
INPUTS: dict[str, Callable[[Params], frozenset[str]]] = {
    "kratom_current": _fixed("substances"),
    "kratom_grams_per_day": _fixed("substances"),
    "kratom_form": _fixed("substances"),
    "hours_since_kratom": _fixed("substances", CLOCK),
    "hours_since_opioid_or_kratom_use": _fixed("substances", CLOCK),
    "substances_current": _fixed("substances"),
    "medication_classes": _fixed("medications"),
    "ordered_medication_classes": _fixed("medications"),
    "medication_names": _fixed("medications"),
    "diagnosis_codes": _fixed("diagnoses"),
    "lab_times_uln": _fixed("labs"),
    "lab_methods": _fixed("labs"),
    "lab_confirmed_analytes": _fixed("labs"),
    "score_total": _one_instrument,
    "score_item": _one_instrument,
    "score_band": _one_instrument,
    "score_positive": _one_instrument,
    "instruments_reliably_worse": _thresholded_instruments,
    "event_kinds": _fixed("events"),
    "is_pregnant": _fixed(PATIENT),
}

# Score variables that read only the first (baseline) and the latest score of each of
# their instruments. When every affected rule reads scores this way, the loader may
# fetch just those two rows per instrument instead of the whole history.
SCORE_ENDS_ONLY = frozenset(
    {"score_total", "score_item", "score_band", "score_positive", "instruments_reliably_worse"}
)


def leaf_inputs(leaf: Leaf) -> frozenset[str]:
    return INPUTS[leaf.variable.name](leaf.params)


def _leaves(condition: Condition) -> list[Leaf]:
    return condition.leaves()


def rule_inputs(rule: Rule) -> frozenset[str]:
    return frozenset().union(*(leaf_inputs(leaf) for leaf in _leaves(rule.condition)))


def _matches(inputs: frozenset[str], changes: frozenset[str]) -> bool:
    if CLOCK in inputs:
        return True
    for item in inputs:
        if item in changes:
            return True
        if item.startswith(f"{SCORES}:") and SCORES in changes:
            return True
    return False


def affected_rules(changes: Iterable[str], rules: Iterable[Rule] | None = None) -> tuple[Rule, ...]:
    """The rules whose result may differ after ``changes`` (plus every clock-reading rule)."""
    wanted = frozenset(changes)
    return tuple(
        rule
        for rule in (rules if rules is not None else load_rules())
        if _matches(rule_inputs(rule), wanted)
    )


@dataclass(frozen=True, slots=True)
class FactNeeds:
    """What to load for a set of rules.

    ``fields``: PatientFacts fields among ``FIELD_INPUTS`` to load in full.
    ``score_instruments``: instruments whose scores to load (empty: none).
    ``score_ends_only``: the first and latest score per instrument are enough.
    """

    fields: frozenset[str]
    score_instruments: frozenset[str]
    score_ends_only: bool


def needs_of(rules: Iterable[Rule]) -> FactNeeds:
    fields: set[str] = set()
    instruments: set[str] = set()
    ends_only = True
    for rule in rules:
        for leaf in _leaves(rule.condition):
            for item in leaf_inputs(leaf):
                if item in FIELD_INPUTS:
                    fields.add(item)
                elif item.startswith(f"{SCORES}:"):
                    instruments.add(item.split(":", 1)[1])
                    ends_only = ends_only and leaf.variable.name in SCORE_ENDS_ONLY
    return FactNeeds(frozenset(fields), frozenset(instruments), ends_only)


def index_for(rules: tuple[Rule, ...]) -> RuleIndex:
    """A rule index over just these rules."""
    return RuleIndex(rules)


@dataclass(frozen=True, slots=True)
class IncrementalPlan:
    """Everything a re-evaluation after ``changes`` needs, computed once per process."""

    rules: tuple[Rule, ...]
    rule_ids: frozenset[str]
    needs: FactNeeds
    index: RuleIndex


@lru_cache(maxsize=128)
def _plan(changes: frozenset[str]) -> IncrementalPlan:
    rules = affected_rules(changes)
    return IncrementalPlan(rules, frozenset(r.id for r in rules), needs_of(rules), index_for(rules))


def plan_for(changes: Iterable[str]) -> IncrementalPlan:
    """The affected rules, what they read, and their index (cached per kind of change)."""
    return _plan(frozenset(changes))


def score_ends(scores: tuple[ScoreFact, ...]) -> tuple[ScoreFact, ...]:
    """The first and the latest score of each instrument, in their order (oldest first)."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, s in enumerate(scores):
        first.setdefault(s.instrument_id, i)
        last[s.instrument_id] = i
    kept = set(first.values()) | set(last.values())
    return tuple(s for i, s in enumerate(scores) if i in kept)


def restrict(facts: PatientFacts, needs: FactNeeds) -> PatientFacts:
    """``facts`` with only what ``needs`` asks for (what the incremental loader returns)."""
    scores = tuple(s for s in facts.scores if s.instrument_id in needs.score_instruments)
    if needs.score_ends_only:
        scores = score_ends(scores)
    return replace(
        facts,
        substances=facts.substances if "substances" in needs.fields else (),
        medications=facts.medications if "medications" in needs.fields else (),
        diagnoses=facts.diagnoses if "diagnoses" in needs.fields else (),
        labs=facts.labs if "labs" in needs.fields else (),
        events=facts.events if "events" in needs.fields else (),
        scores=scores,
        study_arms=(),
    )


def unknown_variables() -> set[str]:
    """Variables of the condition language without declared inputs (a test keeps it empty)."""
    return set(VARIABLES) - set(INPUTS)
