"""Evaluate the safety rules over one patient's facts.

``evaluate(facts)`` is pure and deterministic: same facts, same findings, in the same
order (most severe first, then rule id). Speed for whole-program re-checks comes from two
things, both invisible to callers:

* an index of rules by the fact keys they require (``Rule.required``, e.g.
  ``kratom`` and ``med_class:benzodiazepine``): a patient without current kratom, or
  without a benzodiazepine, never evaluates the kratom-benzodiazepine rule;
* a per-patient cache of variable values, so ten rules reading ``medication_classes``
  classify the medication list once.

``evaluate_each_rule`` is the naive baseline (every rule, no index, no cache) kept for
the benchmark and for the equivalence test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from speciosa.clinical.citations import Citation
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.safety.compiler import CompiledRule, compile_rule
from speciosa.clinical.safety.conditions import Trigger, slot_for
from speciosa.clinical.safety.rules import Rule, Severity, load_rules
from speciosa.clinical.safety.variables import VARIABLES, Params, Value, Variable, snapshot


class Finding(NamedTuple):
    """A rule that holds for a patient, with the facts that made it hold.

    A NamedTuple (immutable, cheap to build in bulk for program-wide re-checks).
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
        self.by_key: dict[str, list[Rule]] = defaultdict(list)
        self.always: list[Rule] = []
        self.multiply_filed = False  # some rule is filed under more than one key
        for rule in rules:
            if rule.required:
                # the clause whose keys are least shared keeps candidate lists short
                clause = min(rule.required, key=lambda c: (sum(counts[k] for k in c), sorted(c)))
                self.multiply_filed |= len(clause) > 1
                for key in sorted(clause):
                    self.by_key[key].append(rule)
            else:
                self.always.append(rule)
        self.keys = frozenset(self.by_key)
        # the same, compiled, with each rule's other clauses (the filed one holds)
        compiled = {rule.id: compile_rule(rule) for rule in rules}
        self.always_compiled = tuple(compiled[rule.id] for rule in self.always)
        self.filed: dict[str, list[tuple[CompiledRule, tuple[frozenset[str], ...]]]] = {}
        for key, filed in self.by_key.items():
            self.filed[key] = [
                (compiled[rule.id], tuple(c for c in rule.required if key not in c))
                for rule in filed
            ]

    def compiled_candidates(self, keys: frozenset[str]) -> list[CompiledRule]:
        """``candidates(keys)``, compiled (in any order: findings are sorted later)."""
        found = list(self.always_compiled)
        for key in keys & self.keys:
            for compiled, rest in self.filed[key]:
                # the clause it is filed under holds (key); the others must hold too
                for clause in rest:
                    if clause.isdisjoint(keys):
                        break
                else:
                    found.append(compiled)
        if self.multiply_filed and len(found) > 1:
            return list(dict.fromkeys(found))  # filed under two of the patient's keys
        return found

    def candidates(self, keys: frozenset[str]) -> list[Rule]:
        found = list(self.always)
        seen: set[str] = set()
        # only the patient's keys that some rule is filed under (set intersection in C)
        for key in keys & self.keys:
            for rule in self.by_key[key]:
                if rule.id in seen:
                    continue
                seen.add(rule.id)
                for clause in rule.required:
                    if clause.isdisjoint(keys):
                        break
                else:
                    found.append(rule)
        return found


_MEMO_LIMIT = 4096
_default_index: RuleIndex | None = None


def default_index() -> RuleIndex:
    global _default_index
    if _default_index is None:
        _default_index = RuleIndex(load_rules())
    return _default_index


_SNAPSHOT_SLOTS: dict[str, int] = {}


def _snapshot_slot(name: str) -> int:
    try:
        return _SNAPSHOT_SLOTS[name]
    except KeyError:
        slot = _SNAPSHOT_SLOTS[name] = slot_for(VARIABLES[name], ())
        return slot


def evaluate(facts: PatientFacts, index: RuleIndex | None = None) -> list[Finding]:
    """All findings for one patient, most severe first."""
    index = index or default_index()
    keys, values = snapshot(facts)  # values: the per-patient cache, seeded
    fired = [c for c in index.compiled_candidates(keys) if c.holds(values, facts)]
    if len(fired) > 1:
        fired.sort(key=_compiled_order)
    new = tuple.__new__
    return [new(Finding, (*c.head, tuple(c.explain(values, facts)), *c.tail)) for c in fired]


def _compiled_order(compiled: CompiledRule) -> tuple[int, str]:
    return compiled.order


def _finding_order(finding: Finding) -> tuple[int, str]:
    return (finding.severity.rank, finding.rule_id)


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
