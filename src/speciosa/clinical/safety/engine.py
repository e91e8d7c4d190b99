"""Evaluate the safety rules over one patient's facts.

``evaluate(facts)`` is pure and deterministic: same facts, same findings, in the same
order (most severe first, then rule id). Speed for whole-program re-checks comes from
three things, all invisible to callers:

* an index of rules by the fact keys they require (``Rule.required``, e.g.
  ``kratom`` and ``med_class:benzodiazepine``): a patient without current kratom, or
  without a benzodiazepine, never evaluates the kratom-benzodiazepine rule;
* a per-patient cache of variable values, so ten rules reading ``medication_classes``
  classify the medication list once;
* findings built once per rule and triggering values: thousands of patients with the
  same finding (same drug classes, same instrument) share one immutable ``Finding``,
  which also spares the garbage collector most of a re-check's allocations.

``evaluate_each_rule`` is the naive baseline (every rule, no index, no cache) kept for
the benchmark and for the equivalence test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from operator import attrgetter
from typing import Any, NamedTuple

from speciosa.clinical.citations import Citation
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.safety.compiler import CompiledRule, Values, compile_rule
from speciosa.clinical.safety.conditions import Trigger
from speciosa.clinical.safety.rules import Rule, Severity, load_rules
from speciosa.clinical.safety.variables import Params, Value, Variable, snapshot


class Finding(NamedTuple):
    """A rule that holds for a patient, with the facts that made it hold.

    A NamedTuple (immutable, cheap to build in bulk for program-wide re-checks). Patients
    with equal triggers may share one Finding: treat it and its triggers as read-only.
    """

    rule_id: str
    rule_version: int
    severity: Severity
    title: str
    message: str
    action: str
    triggers: tuple[Trigger, ...]
    citations: tuple[Citation, ...]
    evidence_cards: tuple[str, ...]

    def triggers_as_dicts(self) -> list[dict[str, Any]]:
        return [t.as_dict() for t in self.triggers]


class CachedReader:
    """Reads each (variable, params) slot once per patient."""

    __slots__ = ("_cache", "_facts")

    def __init__(self, facts: PatientFacts, seed: dict[int, Value] | None = None) -> None:
        self._facts = facts
        self._cache: dict[int, Value] = seed if seed is not None else {}

    def read(self, variable: Variable, params: Params, slot: int) -> Value:
        try:
            return self._cache[slot]
        except KeyError:
            value = self._cache[slot] = variable.read(self._facts, params)
            return value


class DirectReader:
    """Reads every variable afresh (the naive baseline)."""

    __slots__ = ("_facts",)

    def __init__(self, facts: PatientFacts) -> None:
        self._facts = facts

    def read(self, variable: Variable, params: Params, slot: int) -> Value:
        return variable.read(self._facts, params)


def _finding(rule: Rule, triggers: Iterable[Trigger]) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_version=rule.version,
        severity=rule.severity,
        title=rule.title,
        message=rule.message,
        action=rule.action,
        triggers=tuple(triggers),
        citations=rule.citations,
        evidence_cards=rule.evidence_cards,
    )


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity.rank, f.rule_id))


class Candidate:
    """A compiled rule as the engine runs it: its test and how its finding is built."""

    __slots__ = ("finding", "holds", "order", "rule")

    def __init__(self, compiled: CompiledRule) -> None:
        rule = self.rule = compiled.rule
        self.holds = compiled.holds
        self.order = compiled.order
        head = (rule.id, rule.version, rule.severity, rule.title, rule.message, rule.action)
        tail = (rule.citations, rule.evidence_cards)
        explain, explained_by = compiled.explain, compiled.explained_by
        new = tuple.__new__  # Finding's fields in order, no Python-level NamedTuple.__new__
        self.finding: Callable[[Values, PatientFacts], Finding]
        if isinstance(explain, tuple):
            same = new(Finding, (*head, explain, *tail))  # the same triggers for everyone
            self.finding = lambda values, facts: same
        elif explained_by is None:
            self.finding = lambda values, facts: new(
                Finding, (*head, explain(values, facts), *tail)
            )
        else:
            # Findings with equal triggers are built once and shared: a program-wide
            # re-check makes thousands of equal ones (same classes, same instrument...).
            built: dict[tuple[Any, ...], Finding] = {}

            def finding(values: Values, facts: PatientFacts) -> Finding:
                key = explained_by(values, facts)
                found = built.get(key)
                if found is None:
                    if len(built) >= _BUILT_LIMIT:
                        built.clear()
                    found = built[key] = new(Finding, (*head, explain(values, facts), *tail))
                return found

            self.finding = finding


_BUILT_LIMIT = 512  # shared findings kept per rule


# A rule filed under a key, with what else it needs: (rule, earlier keys it is also filed
# under, its other clauses).
Filed = tuple[Candidate, frozenset[str], tuple[frozenset[str], ...]]


class RuleIndex:
    """Rules filed under the keys of their narrowest clause, plus always-run rules.

    A rule is a candidate for a patient when every one of its clauses has a key among
    the patient's ``present_keys``; only candidates are evaluated.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        counts: dict[str, int] = defaultdict(int)
        for rule in rules:
            for clause in rule.required:
                for key in clause:
                    counts[key] += 1
        self.always: tuple[Candidate, ...] = ()
        sure: dict[str, list[Candidate]] = defaultdict(list)
        checked: dict[str, list[Filed]] = defaultdict(list)
        for rule in rules:
            candidate = Candidate(compile_rule(rule))
            if not rule.required:
                self.always += (candidate,)
                continue
            # the clause whose keys are least shared keeps candidate lists short
            clause = min(rule.required, key=lambda c: (sum(counts[k] for k in c), sorted(c)))
            filed_under = sorted(clause)
            for i, key in enumerate(filed_under):
                # a patient with an earlier key of the clause meets the rule there: once only
                earlier = frozenset(filed_under[:i])
                rest = tuple(c for c in rule.required if key not in c)
                if earlier or rest:
                    checked[key].append((candidate, earlier, rest))
                else:
                    sure[key].append(candidate)
        # key -> (rules that are candidates whenever the key is present, rules to check)
        self.filed = {
            key: (tuple(sure[key]), tuple(checked[key])) for key in sure.keys() | checked.keys()
        }
        self.keys = frozenset(self.filed)

    def candidates(self, keys: AbstractSet[str]) -> list[Candidate]:
        """The rules whose clauses all have a key among ``keys`` (in no particular order)."""
        found = list(self.always)
        for key in keys & self.keys:
            sure, checked = self.filed[key]
            found += sure
            for candidate, earlier, rest in checked:
                if earlier and not earlier.isdisjoint(keys):
                    continue
                for clause in rest:
                    if clause.isdisjoint(keys):
                        break
                else:
                    found.append(candidate)
        return found


_default_index: RuleIndex | None = None


def default_index() -> RuleIndex:
    global _default_index
    if _default_index is None:
        _default_index = RuleIndex(load_rules())
    return _default_index


def evaluate(facts: PatientFacts, index: RuleIndex | None = None) -> list[Finding]:
    """All findings for one patient, most severe first."""
    index = index or default_index()
    keys, values = snapshot(facts)  # values: the per-patient cache, seeded
    fired = [c for c in index.candidates(keys) if c.holds(values, facts)]
    if len(fired) > 1:
        fired.sort(key=_order)
    return [c.finding(values, facts) for c in fired]


_order = attrgetter("order")


def evaluate_many(patients: Iterable[PatientFacts]) -> dict[str, list[Finding]]:
    index = default_index()
    return {facts.patient_key: evaluate(facts, index) for facts in patients}


def evaluate_each_rule(facts: PatientFacts, rules: Sequence[Rule] | None = None) -> list[Finding]:
    """Naive baseline: every rule, every variable read afresh. Same result as evaluate()."""
    reader = DirectReader(facts)
    findings = [
        _finding(rule, rule.condition.explain(reader))
        for rule in (rules if rules is not None else load_rules())
        if rule.condition.holds(reader)
    ]
    return _sorted(findings)
