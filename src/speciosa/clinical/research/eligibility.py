"""Eligibility criteria as data, evaluated over ``PatientFacts``.

A criterion is an inclusion (must hold) or an exclusion (must not hold) over one typed
condition. Evaluation gives, per criterion, met / not met / unknown (a fact is missing),
and the overall decision: eligible, ineligible (a reason for each failed criterion) or
incomplete (nothing failed, but some facts needed to decide are missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.facts import LabFact, PatientFacts, Sex, Substance


class _Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgeBetween(_Condition):
    type: Literal["age_between"] = "age_between"
    min_years: int | None = None
    max_years: int | None = None

    def check(self, facts: PatientFacts) -> bool | None:
        age = facts.age
        if age is None:
            return None
        too_young = self.min_years is not None and age < self.min_years
        too_old = self.max_years is not None and age > self.max_years
        return not (too_young or too_old)


class HasDiagnosis(_Condition):
    """An active diagnosis whose ICD-10 code starts with one of ``prefixes``."""

    type: Literal["diagnosis"] = "diagnosis"
    prefixes: tuple[str, ...]

    def check(self, facts: PatientFacts) -> bool | None:
        # facts.has_diagnosis(p) for any p: str.startswith takes the tuple of prefixes
        prefixes = self.prefixes
        return any(d.is_active and d.icd10.startswith(prefixes) for d in facts.diagnoses)


class LatestScore(_Condition):
    """The latest score of ``instrument_id`` is >= ``at_least`` and/or <= ``at_most``."""

    type: Literal["latest_score"] = "latest_score"
    instrument_id: str
    at_least: float | None = None
    at_most: float | None = None

    def check(self, facts: PatientFacts) -> bool | None:
        score = facts.latest_score(self.instrument_id)
        if score is None:
            return None
        low_ok = self.at_least is None or score.total >= self.at_least
        high_ok = self.at_most is None or score.total <= self.at_most
        return low_ok and high_ok


class TakesMedication(_Condition):
    """A current (active or ordered) medication with one of ``names`` (generic, lower case)."""

    type: Literal["current_medication"] = "current_medication"
    names: tuple[str, ...]

    def check(self, facts: PatientFacts) -> bool | None:
        wanted = _lowered(self.names)
        return any(m.is_current and m.name.lower() in wanted for m in facts.medications)


@cache
def _lowered(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


class LabAboveUln(_Condition):
    """The latest result of any of ``analytes`` is above ``times_uln`` x its upper limit."""

    type: Literal["lab_above_uln"] = "lab_above_uln"
    analytes: tuple[str, ...]
    times_uln: float

    def check(self, facts: PatientFacts) -> bool | None:
        ratios = latest_lab_ratios(facts, self.analytes)
        known = [r for r in ratios if r is not None]
        if any(r > self.times_uln for r in known):
            return True
        # not above in the labs we have; undecided if a named analyte was never measured
        return None if len(known) < len(ratios) else False


class IsPregnant(_Condition):
    type: Literal["pregnant"] = "pregnant"

    def check(self, facts: PatientFacts) -> bool | None:
        if facts.is_pregnant is None and facts.sex_at_birth is Sex.MALE:
            return False  # not recorded, and not applicable
        return facts.is_pregnant


class UsesSubstance(_Condition):
    """Current use of ``substance`` (for kratom optionally at >= ``min_grams_per_day``)."""

    type: Literal["current_substance"] = "current_substance"
    substance: Substance
    min_grams_per_day: float | None = None

    def check(self, facts: PatientFacts) -> bool | None:
        for use in facts.substances:
            if use.substance is not self.substance or not use.is_current:
                continue
            if self.min_grams_per_day is None:
                return True
            if use.grams_per_day is None:
                return None
            return float(use.grams_per_day) >= self.min_grams_per_day
        return False


Condition = Annotated[
    AgeBetween
    | HasDiagnosis
    | LatestScore
    | TakesMedication
    | LabAboveUln
    | IsPregnant
    | UsesSubstance,
    Field(discriminator="type"),
]


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: CriterionKind
    text: str  # as written in the protocol, shown in the screening log
    condition: Condition


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"  # no criterion failed, but some could not be decided


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion_id: str
    kind: CriterionKind
    outcome: Outcome
    reason: str  # why it failed or is unknown; empty when met


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    decision: Decision
    results: tuple[CriterionResult, ...]

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.NOT_MET)

    @property
    def undecided(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.UNKNOWN)

    @property
    def reasons(self) -> list[str]:
        return [r.reason for r in self.failed]


def latest_lab(facts: PatientFacts, analyte: str) -> LabFact | None:
    matching = [lab for lab in facts.labs if lab.analyte == analyte]
    return max(matching, key=lambda lab: lab.collected_at) if matching else None


def latest_lab_ratios(facts: PatientFacts, analytes: tuple[str, ...]) -> list[float | None]:
    """``[latest_lab_ratio(facts, a) for a in analytes]`` in one pass over the labs."""
    latest: dict[str, LabFact] = {}
    for lab in facts.labs:
        if lab.analyte in analytes:
            seen = latest.get(lab.analyte)
            if seen is None or lab.collected_at > seen.collected_at:  # max(): first wins ties
                latest[lab.analyte] = lab
    return [last.times_uln if (last := latest.get(a)) is not None else None for a in analytes]


def latest_lab_ratio(facts: PatientFacts, analyte: str) -> float | None:
    lab = latest_lab(facts, analyte)
    return lab.times_uln if lab is not None else None


class _Outcomes(NamedTuple):
    """A criterion's three possible results, built once (they depend on nothing else)."""

    criterion: Criterion
    wanted: bool  # an inclusion must hold; an exclusion must not
    met: CriterionResult
    not_met: CriterionResult
    unknown: CriterionResult


_outcomes: dict[int, _Outcomes] = {}


def _outcomes_of(criterion: Criterion) -> _Outcomes:
    found = _outcomes.get(id(criterion))
    if found is not None and found.criterion is criterion:
        return found
    wanted = criterion.kind is CriterionKind.INCLUSION
    prefix = "inclusion not met" if wanted else "exclusion applies"
    cid, kind, text = criterion.id, criterion.kind, criterion.text
    found = _Outcomes(
        criterion,
        wanted,
        CriterionResult(cid, kind, Outcome.MET, ""),
        CriterionResult(cid, kind, Outcome.NOT_MET, f"{prefix}: {text}"),
        CriterionResult(cid, kind, Outcome.UNKNOWN, f"not recorded: {text}"),
    )
    if len(_outcomes) > 10_000:  # criteria parsed again and again: do not grow forever
        _outcomes.clear()
    _outcomes[id(criterion)] = found
    return found


def evaluate_criterion(criterion: Criterion, facts: PatientFacts) -> CriterionResult:
    outcomes = _outcomes_of(criterion)
    holds = criterion.condition.check(facts)
    if holds is None:
        return outcomes.unknown
    return outcomes.met if holds is outcomes.wanted else outcomes.not_met


def evaluate_eligibility(criteria: list[Criterion], facts: PatientFacts) -> EligibilityResult:
    """Every criterion's result (none skipped: the screening log shows them all) and the
    decision. ``evaluate_criterion`` per criterion, inlined."""
    results = []
    failed = undecided = False
    for criterion in criteria:
        outcomes = _outcomes.get(id(criterion))
        if outcomes is None or outcomes.criterion is not criterion:
            outcomes = _outcomes_of(criterion)
        holds = criterion.condition.check(facts)
        if holds is None:
            results.append(outcomes.unknown)
            undecided = True
        elif holds is outcomes.wanted:
            results.append(outcomes.met)
        else:
            results.append(outcomes.not_met)
            failed = True
    if failed:
        decision = Decision.INELIGIBLE
    elif undecided:
        decision = Decision.INCOMPLETE
    else:
        decision = Decision.ELIGIBLE
    return EligibilityResult(decision, tuple(results))


def parse_criteria(raw: list[dict[str, object]]) -> list[Criterion]:
    """Criteria from a data file or the database (JSON); raises pydantic's ValidationError."""
    return [Criterion.model_validate(item) for item in raw]
