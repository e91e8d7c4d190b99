"""The condition language of the safety rules: a small typed tree, never ``eval``.

A condition is one of::

    {all: [condition, ...]}     every child holds
    {any: [condition, ...]}     at least one child holds
    {not: condition}            the child does not hold
    {fact: <variable>, op: <operator>, value: <operand>, params: {...}}

Variables are declared in ``variables.py``; each value type has a small, closed set of
operators. A missing value (``None``) satisfies only ``is_missing``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from speciosa.clinical.safety.variables import VARIABLES, Params, Value, ValueType, Variable


class InvalidCondition(ValueError):
    """A rule's ``when`` does not fit the condition language."""


class FactReader(Protocol):
    """Reads a variable for the patient under evaluation (cached or not)."""

    def read(self, variable: Variable, params: Params, slot: int) -> Value: ...


Clauses = tuple[frozenset[str], ...]  # all clauses must hold; a clause holds if any key is present

# Operators whose truth implies the patient has one of the operand values (index by value).
VALUE_INDEXED_OPERATORS = frozenset({"includes_any", "includes_all", "in", "any_startswith"})

_slots: dict[tuple[str, Any], int] = {}


def slot_for(variable: Variable, params_key: tuple[Any, ...]) -> int:
    """A small int naming one (variable, params) pair, for the per-patient cache."""
    return _slots.setdefault((variable.name, params_key), len(_slots))


OperandCheck = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    test: Callable[[Value, Any], bool]
    operand: str  # "none" | "number" | "list"
    # True when the operator can only hold if the variable's facts are present; the engine
    # uses it to skip rules for patients without those facts.
    needs_facts: bool = True


def _num(test: Callable[[float, float], bool]) -> Callable[[Value, Any], bool]:
    def check(value: Value, operand: Any) -> bool:
        return isinstance(value, float) and test(value, float(operand))

    return check


def _set_test(
    test: Callable[[frozenset[str], frozenset[str]], bool],
) -> Callable[[Value, Any], bool]:
    def check(value: Value, operand: Any) -> bool:
        return isinstance(value, frozenset) and test(value, frozenset(operand))

    return check


def _startswith_any(value: Value, operand: Any) -> bool:
    return isinstance(value, frozenset) and any(code.startswith(tuple(operand)) for code in value)


def _missing(value: Value, _operand: Any) -> bool:
    return value is None


OPERATORS: dict[ValueType, dict[str, Operator]] = {
    ValueType.NUMBER: {
        op.name: op
        for op in [
            Operator("gt", _num(lambda a, b: a > b), "number"),
            Operator("gte", _num(lambda a, b: a >= b), "number"),
            Operator("lt", _num(lambda a, b: a < b), "number"),
            Operator("lte", _num(lambda a, b: a <= b), "number"),
            Operator("eq", _num(lambda a, b: a == b), "number"),
            Operator("is_missing", _missing, "none", needs_facts=False),
        ]
    },
    ValueType.BOOLEAN: {
        op.name: op
        for op in [
            Operator("is_true", lambda v, _o: v is True, "none"),
            Operator("is_false", lambda v, _o: v is False, "none", needs_facts=False),
            Operator("is_missing", _missing, "none", needs_facts=False),
        ]
    },
    ValueType.TEXT: {
        op.name: op
        for op in [
            Operator("in", lambda v, o: isinstance(v, str) and v in o, "list"),
            Operator("not_in", lambda v, o: isinstance(v, str) and v not in o, "list"),
            Operator("is_missing", _missing, "none", needs_facts=False),
        ]
    },
    ValueType.SET: {
        op.name: op
        for op in [
            Operator("includes_any", _set_test(lambda v, o: not v.isdisjoint(o)), "list"),
            Operator("includes_all", _set_test(lambda v, o: o <= v), "list"),
            Operator(
                "excludes_all",
                lambda v, o: v is None or (isinstance(v, frozenset) and v.isdisjoint(o)),
                "list",
                needs_facts=False,
            ),
            Operator("any_startswith", _startswith_any, "list"),
            Operator("is_empty", lambda v, _o: not v, "none", needs_facts=False),
            Operator("not_empty", lambda v, _o: bool(v), "none"),
        ]
    },
}


class Trigger(NamedTuple):
    """One fact that made a rule fire: what was read, how it was tested, what it was.

    A NamedTuple rather than a frozen dataclass: findings are built in bulk (cheap to make).
    """

    fact: str
    op: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "op": self.op,
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


class Condition(Protocol):
    def holds(self, reader: FactReader) -> bool: ...

    def explain(self, reader: FactReader) -> list[Trigger]: ...

    def required_clauses(self) -> Clauses: ...

    def leaves(self) -> list[Leaf]: ...


@dataclass(frozen=True, slots=True)
class Leaf:
    variable: Variable
    operator: Operator
    operand: Any
    params: Params = field(default_factory=dict)
    slot: int = 0
    label: str = ""  # how a triggering fact is named in a Finding

    def holds(self, reader: FactReader) -> bool:
        return self.operator.test(reader.read(self.variable, self.params, self.slot), self.operand)

    def explain(self, reader: FactReader) -> list[Trigger]:
        value = reader.read(self.variable, self.params, self.slot)
        if not self.operator.test(value, self.operand):
            return []
        return [Trigger(self.label, self.operator.name, self.operand, _plain(value))]

    def index_key(self) -> str:
        return self.variable.key(self.params)

    def required_clauses(self) -> Clauses:
        if not self.operator.needs_facts:
            return ()
        value_key = self.variable.value_key
        if value_key is not None and self.operator.name in VALUE_INDEXED_OPERATORS:
            return (frozenset(value_key(str(v)) for v in self.operand),)
        return (frozenset({self.index_key()}),)

    def leaves(self) -> list[Leaf]:
        return [self]


@dataclass(frozen=True, slots=True)
class AllOf:
    children: tuple[Condition, ...]

    def holds(self, reader: FactReader) -> bool:
        # explicit loops here and in AnyOf: no generator object per call on the hot path
        for child in self.children:  # noqa: SIM110
            if not child.holds(reader):
                return False
        return True

    def explain(self, reader: FactReader) -> list[Trigger]:
        return [t for child in self.children for t in child.explain(reader)]

    def required_clauses(self) -> Clauses:
        # Every child must hold, so every child's clauses must hold.
        return tuple(clause for child in self.children for clause in child.required_clauses())

    def leaves(self) -> list[Leaf]:
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Condition, ...]

    def holds(self, reader: FactReader) -> bool:
        for child in self.children:  # noqa: SIM110
            if child.holds(reader):
                return True
        return False

    def explain(self, reader: FactReader) -> list[Trigger]:
        for child in self.children:
            if child.holds(reader):
                return child.explain(reader)
        return []

    def required_clauses(self) -> Clauses:
        # One alternative must hold, so one of the alternatives' keys must be present:
        # the union of one (the narrowest) clause per alternative is necessary.
        per_child = [child.required_clauses() for child in self.children]
        if not per_child or any(not clauses for clauses in per_child):
            return ()
        return (frozenset().union(*(min(clauses, key=len) for clauses in per_child)),)

    def leaves(self) -> list[Leaf]:
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True, slots=True)
class Not:
    child: Condition

    def holds(self, reader: FactReader) -> bool:
        return not self.child.holds(reader)

    def explain(self, reader: FactReader) -> list[Trigger]:
        return []  # an absence is not a triggering fact

    def required_clauses(self) -> Clauses:
        return ()

    def leaves(self) -> list[Leaf]:
        return self.child.leaves()


def _check_operand(where: str, operator: Operator, operand: Any) -> Any:
    if operator.operand == "none":
        if operand is not None:
            raise InvalidCondition(f"{where}: operator {operator.name} takes no value")
        return None
    if operator.operand == "number":
        if isinstance(operand, bool) or not isinstance(operand, int | float):
            raise InvalidCondition(f"{where}: operator {operator.name} needs a number")
        return float(operand)
    if not isinstance(operand, list) or not operand:
        raise InvalidCondition(f"{where}: operator {operator.name} needs a non-empty list")
    return frozenset(str(v) for v in operand)


def parse_condition(raw: Any, *, where: str) -> Condition:
    """Build a condition tree from rule data, rejecting anything outside the language."""
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidCondition(f"{where}: a condition must be a mapping")
    if set(raw) in ({"all"}, {"any"}):
        kind = next(iter(raw))
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise InvalidCondition(f"{where}: '{kind}' needs a non-empty list")
        children = tuple(
            parse_condition(item, where=f"{where}.{kind}[{i}]") for i, item in enumerate(items)
        )
        return AllOf(children) if kind == "all" else AnyOf(children)
    if set(raw) == {"not"}:
        return Not(parse_condition(raw["not"], where=f"{where}.not"))
    unknown = set(raw) - {"fact", "op", "value", "params"}
    if unknown or "fact" not in raw or "op" not in raw:
        raise InvalidCondition(
            f"{where}: a leaf has fact, op and optional value/params (got {sorted(raw)})"
        )
    variable = VARIABLES.get(str(raw["fact"]))
    if variable is None:
        raise InvalidCondition(f"{where}: unknown fact {raw['fact']!r}")
    operator = OPERATORS[variable.type].get(str(raw["op"]))
    if operator is None:
        raise InvalidCondition(
            f"{where}: {variable.name} ({variable.type}) has no operator {raw['op']!r}"
        )
    params = dict(raw.get("params") or {})
    if set(params) != variable.required_params:
        raise InvalidCondition(
            f"{where}: {variable.name} needs params {sorted(variable.required_params)}, "
            f"got {sorted(params)}"
        )
    operand = _check_operand(where, operator, raw.get("value"))
    return Leaf(
        variable,
        operator,
        operand,
        params,
        slot_for(variable, _freeze(params)),
        _label(variable.name, params),
    )


def _label(name: str, params: Params) -> str:
    if not params:
        return name
    shown = ",".join(f"{k}={v}" for k, v in sorted(params.items()) if not isinstance(v, Mapping))
    return f"{name}[{shown}]"
