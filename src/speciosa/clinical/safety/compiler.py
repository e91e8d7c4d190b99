"""Rule conditions compiled once into Python closures (no tree walk per patient).

``compile_rule(rule)`` turns a rule's condition tree into two plain functions of
``(values, facts)``:

* ``holds`` - does the rule fire? Each leaf is a closure that reads its variable from
  ``values`` (the per-patient cache, seeded by ``variables.snapshot``) or reads it once
  and stores it there, then applies its operator with the operand bound in advance;
* ``explain`` - the triggering facts of a rule that fired: a function, or the triggers
  themselves when they are the same for every patient the rule fires for;
* ``explained_by`` - what those triggers depend on, as a hashable tuple (the values of
  the leaves explain reads, and which alternative of each ``any`` held): patients with
  the same tuple get equal triggers, so the engine can build their finding once.

The meaning is exactly ``Condition.holds`` / ``Condition.explain`` with a cached reader:
the operators below mirror ``conditions.OPERATORS`` (an operator without a compiled form
falls back to its ``test``), and the property test checks the engine against the plain
every-rule loop.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.safety.conditions import (
    AllOf,
    AnyOf,
    Condition,
    Leaf,
    Not,
    Trigger,
    _plain,
)
from speciosa.clinical.safety.rules import Rule
from speciosa.clinical.safety.variables import SNAPSHOT_VARIABLES, Value, ValueType

Values = dict[Any, Value]  # per-patient cache: variable name (no params) or slot -> value
Holds = Callable[[Values, PatientFacts], bool]
Explain = Callable[[Values, PatientFacts], tuple[Trigger, ...]]
Test = Callable[[Value], bool]
ExplainedBy = Callable[[Values, PatientFacts], tuple[Any, ...]]

_MISSING: Any = object()


class CompiledRule:
    """A rule with its compiled condition (hashed by identity: one per rule)."""

    __slots__ = ("explain", "explained_by", "holds", "order", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.holds = _holds(rule.condition)
        self.explain = _explain(rule.condition)
        # None: no key (a condition type without a compiler), build each finding afresh
        self.explained_by: ExplainedBy | None
        try:
            self.explained_by = _explained_by(rule.condition) or _nothing
        except _NoKey:
            self.explained_by = None
        self.order = (rule.severity.rank, rule.id)  # findings: most severe first, then id


def compile_rule(rule: Rule) -> CompiledRule:
    return CompiledRule(rule)


def cache_key(leaf: Leaf) -> Any:
    """Where a leaf's value lives in the per-patient cache: the variable name when it
    has no parameters (as ``snapshot`` seeds it), else the leaf's (variable, params) slot."""
    return leaf.variable.name if not leaf.params else leaf.slot


# number comparisons as C functions (no Python frame per test in a number leaf)
_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _bind(leaf: Leaf) -> Test:
    """The leaf's operator with its operand bound: ``test(value)``."""
    o = leaf.operand
    kind, name = leaf.variable.type, leaf.operator.name
    if name == "is_missing":
        return lambda v: v is None
    if kind is ValueType.NUMBER:
        if name == "gt":
            return lambda v: isinstance(v, float) and v > o
        if name == "gte":
            return lambda v: isinstance(v, float) and v >= o
        if name == "lt":
            return lambda v: isinstance(v, float) and v < o
        if name == "lte":
            return lambda v: isinstance(v, float) and v <= o
        if name == "eq":
            return lambda v: isinstance(v, float) and v == o
    elif kind is ValueType.BOOLEAN:
        if name == "is_true":
            return lambda v: v is True
        if name == "is_false":
            return lambda v: v is False
    elif kind is ValueType.TEXT:
        if name == "in":
            return lambda v: isinstance(v, str) and v in o
        if name == "not_in":
            return lambda v: isinstance(v, str) and v not in o
    elif kind is ValueType.SET:
        if name == "includes_any":
            return lambda v: isinstance(v, frozenset) and not v.isdisjoint(o)
        if name == "includes_all":
            return lambda v: isinstance(v, frozenset) and o <= v
        if name == "excludes_all":
            return lambda v: v is None or (isinstance(v, frozenset) and v.isdisjoint(o))
        if name == "is_empty":
            return operator.not_
        if name == "not_empty":
            return bool
        if name == "any_startswith":
            prefixes = tuple(o)  # str.startswith takes a tuple: one call per code

            def any_startswith(v: Value) -> bool:
                if isinstance(v, frozenset):
                    for code in v:  # noqa: SIM110 - no generator per call
                        if code.startswith(prefixes):
                            return True
                return False

            return any_startswith
    test = leaf.operator.test  # any other operator: as declared (any_startswith, ...)
    return lambda v: test(v, o)


def _reader(leaf: Leaf) -> Callable[[Values, PatientFacts], Value]:
    key, read, params = cache_key(leaf), leaf.variable.read, leaf.params

    def value(values: Values, facts: PatientFacts) -> Value:
        found: Value = values.get(key, _MISSING)
        if found is _MISSING:
            found = values[key] = read(facts, params)
        return found

    return value


def _snapshot_leaf(leaf: Leaf) -> Holds | None:
    """A leaf on a variable ``snapshot`` always seeds: read straight from the cache (its
    value is there, and is a bool or a frozenset), the commonest tests inlined."""
    name, op, o = leaf.variable.name, leaf.operator.name, leaf.operand
    if leaf.params or name not in SNAPSHOT_VARIABLES:
        return None
    if op == "is_true":
        return lambda values, facts: values[name] is True
    if leaf.variable.type is ValueType.SET and op == "includes_any":
        return lambda values, facts: not values[name].isdisjoint(o)  # type: ignore[union-attr]
    if leaf.variable.type is ValueType.SET and op == "excludes_all":
        return lambda values, facts: values[name].isdisjoint(o)  # type: ignore[union-attr]
    test = _bind(leaf)
    return lambda values, facts: test(values[name])


def _holds(node: Condition) -> Holds:
    if isinstance(node, Leaf):
        direct = _snapshot_leaf(node)
        if direct is not None:
            return direct
        key, read, params, test = cache_key(node), node.variable.read, node.params, _bind(node)
        compare, o = _COMPARE.get(node.operator.name), node.operand
        if node.variable.type is ValueType.NUMBER and compare is not None:

            def number_leaf(values: Values, facts: PatientFacts) -> bool:
                found = values.get(key, _MISSING)
                if found is _MISSING:
                    found = values[key] = read(facts, params)
                return isinstance(found, float) and compare(found, o)  # _bind's test, inline

            return number_leaf

        def leaf(values: Values, facts: PatientFacts) -> bool:
            found = values.get(key, _MISSING)
            if found is _MISSING:
                found = values[key] = read(facts, params)
            return test(found)

        return leaf
    if isinstance(node, Not):
        child = _holds(node.child)
        return lambda values, facts: not child(values, facts)
    if isinstance(node, AllOf | AnyOf):
        parts = tuple(_holds(c) for c in node.children)
        if len(parts) == 1:
            return parts[0]
        if isinstance(node, AllOf):
            if len(parts) == 2:
                a, b = parts
                return lambda values, facts: a(values, facts) and b(values, facts)
            if len(parts) == 3:
                a, b, c = parts
                return lambda values, facts: (
                    a(values, facts) and b(values, facts) and c(values, facts)
                )

            def all_of(values: Values, facts: PatientFacts) -> bool:
                for part in parts:  # noqa: SIM110 - no generator per call
                    if not part(values, facts):
                        return False
                return True

            return all_of
        if len(parts) == 2:
            a, b = parts
            return lambda values, facts: a(values, facts) or b(values, facts)

        def any_of(values: Values, facts: PatientFacts) -> bool:
            for part in parts:  # noqa: SIM110
                if part(values, facts):
                    return True
            return False

        return any_of
    holds = node.holds  # an unknown node type: interpret it through a cached reader
    return lambda values, facts: holds(_CacheReader(values, facts))


# An operator whose truth fixes the value it tested: a leaf that holds with it reports the
# same trigger for every patient, so that trigger is built once.
_FIXED_ACTUAL: dict[str, Value] = {"is_true": True, "is_false": False, "is_missing": None}


def _explain(node: Condition) -> Explain | tuple[Trigger, ...]:
    """The triggers of a node *that holds* (the engine explains fired rules only): a
    function of ``(values, facts)``, or the triggers themselves when every patient for
    whom the node holds gets the same ones (``kratom_current is_true``)."""
    if isinstance(node, Leaf):
        label, op, operand = node.label, node.operator.name, node.operand
        if op in _FIXED_ACTUAL:
            return (Trigger(label, op, operand, _FIXED_ACTUAL[op]),)
        value = _reader(node)
        return lambda values, facts: (Trigger(label, op, operand, _plain(value(values, facts))),)
    if isinstance(node, Not):
        return ()  # an absence is not a triggering fact
    if isinstance(node, AllOf):
        parts = [_explain(c) for c in node.children]
        fixed = [p for p in parts if isinstance(p, tuple)]
        if len(fixed) == len(parts):
            return tuple(t for p in fixed for t in p)
        return _concatenate(parts)
    if isinstance(node, AnyOf):
        options = tuple((_holds(c), _explain(c)) for c in node.children)

        def first_that_holds(values: Values, facts: PatientFacts) -> tuple[Trigger, ...]:
            for holds, explain in options:
                if holds(values, facts):
                    return explain if isinstance(explain, tuple) else explain(values, facts)
            return ()

        return first_that_holds
    explain = node.explain
    return lambda values, facts: tuple(explain(_CacheReader(values, facts)))


def _concatenate(parts: list[Explain | tuple[Trigger, ...]]) -> Explain:
    """The triggers of every part, in order (fixed parts as they are). Speed matters
    little here: the engine builds each distinct finding once."""
    calls = [_as_function(p) for p in parts]
    return lambda values, facts: tuple(t for part in calls for t in part(values, facts))


def _as_function(explain: Explain | tuple[Trigger, ...]) -> Explain:
    if isinstance(explain, tuple):
        return lambda values, facts: explain
    return explain


def _explained_by(node: Condition) -> ExplainedBy | None:
    """``_explain``'s inputs for a node that holds, mirroring it step by step: each leaf
    whose trigger is not fixed gives its value, each ``any`` the index of the first
    alternative that holds. None when the node's triggers are fixed.

    Values are hashable (float, bool, str, frozenset or None), and a leaf explained here
    holds, so its value has the one type its operator accepts: equal tuples mean equal
    triggers. A node explained here holds, so ``holds`` has read each of its leaves into
    the cache already."""
    if isinstance(node, Leaf):
        if node.operator.name in _FIXED_ACTUAL:
            return None
        key = cache_key(node)
        return lambda values, facts: (values[key],)
    if isinstance(node, Not):
        return None
    if isinstance(node, AllOf):
        parts = [p for p in (_explained_by(c) for c in node.children) if p is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]

        def all_of(values: Values, facts: PatientFacts) -> tuple[Any, ...]:
            found: tuple[Any, ...] = ()
            for part in parts:
                found += part(values, facts)
            return found

        return all_of
    if isinstance(node, AnyOf):
        options = tuple((_holds(c), _explained_by(c)) for c in node.children)

        def which(values: Values, facts: PatientFacts) -> tuple[Any, ...]:
            for i, (holds, explained_by) in enumerate(options):
                if holds(values, facts):
                    return (i, *explained_by(values, facts)) if explained_by else (i,)
            return ()

        return which
    raise _NoKey(type(node).__name__)


class _NoKey(Exception):
    """A condition type that ``_explained_by`` does not know."""


def _nothing(values: Values, facts: PatientFacts) -> tuple[Any, ...]:
    return ()


class _CacheReader:
    """A ``FactReader`` over the compiled cache (for condition types without a compiler)."""

    __slots__ = ("_facts", "_values")

    def __init__(self, values: Values, facts: PatientFacts) -> None:
        self._values, self._facts = values, facts

    def read(self, variable: Any, params: Any, slot: int) -> Value:
        key = variable.name if not params else slot
        found: Value = self._values.get(key, _MISSING)
        if found is _MISSING:
            found = self._values[key] = variable.read(self._facts, params)
        return found
