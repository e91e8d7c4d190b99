"""The plan document: problems → goals → objectives → interventions.

A ``PlanDocument`` is what one plan version stores (as JSON) and what the PDF and API
show. It maps later to FHIR CarePlan (plan), Condition (problem), Goal (goal and
objective, with ``target.measure``) and CarePlan.activity (intervention).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.planning.objectives import Condition, Evaluation, Window


class ItemStatus(StrEnum):
    """Lifecycle of a plan item (set by people, unlike an objective's evaluated status)."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    ACHIEVED = "achieved"
    ON_HOLD = "on_hold"
    DISCONTINUED = "discontinued"


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    text: str = Field(min_length=1, max_length=500)
    owner: str = Field(default="", max_length=80)  # a role ("counsellor") or a name
    target_date: date | None = None
    status: ItemStatus = ItemStatus.ACTIVE


class Intervention(_Item):
    library_id: str | None = None  # id in data/interventions.yaml
    frequency: str = Field(default="", max_length=120)


class Objective(_Item):
    condition: Condition
    interventions: list[Intervention] = Field(default_factory=list)


class Goal(_Item):
    objectives: list[Objective] = Field(default_factory=list)


class Problem(_Item):
    code: str = Field(default="", max_length=20)  # ICD-10-CM where one fits
    goals: list[Goal] = Field(default_factory=list)


class TaperStepOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: int
    starts_on: date
    grams_per_day: Decimal


class DecisionPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    rule: str
    citation_ids: list[str] = Field(default_factory=list)


class PlanDocument(BaseModel):
    """One complete version of a treatment plan."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    pathway_id: str | None = None
    start_date: date
    evidence_note: str = ""
    problems: list[Problem] = Field(default_factory=list)
    taper: list[TaperStepOut] = Field(default_factory=list)
    monitoring: list[str] = Field(default_factory=list)
    decision_points: list[DecisionPoint] = Field(default_factory=list)
    citation_ids: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> PlanDocument:
        seen: set[str] = set()
        for item in self.iter_items():
            if item.id in seen:
                raise ValueError(f"plan item id {item.id!r} is used twice")
            seen.add(item.id)
        return self

    def iter_items(self) -> list[_Item]:
        items: list[_Item] = []
        for problem in self.problems:
            items.append(problem)
            for goal in problem.goals:
                items.append(goal)
                for objective in goal.objectives:
                    items.append(objective)
                    items.extend(objective.interventions)
        return items

    def objectives(self) -> list[Objective]:
        return [o for p in self.problems for g in p.goals for o in g.objectives]


def evaluate_plan(document: PlanDocument, facts: PatientFacts) -> dict[str, Evaluation]:
    """Evaluate every active objective of a plan; keyed by objective id."""
    results: dict[str, Evaluation] = {}
    for objective in document.objectives():
        if objective.status in {ItemStatus.DISCONTINUED, ItemStatus.ON_HOLD}:
            continue
        window = Window(start=document.start_date, target=objective.target_date)
        results[objective.id] = objective.condition.evaluate(facts, window)
    return results


# --- version diff ---------------------------------------------------------------------


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)

    op: str  # "added" / "removed" / "changed"
    path: str  # e.g. "problem:kud/goal:reduce/objective:dose-w3.target_date"
    before: Any = None
    after: Any = None


def _flatten(document: PlanDocument) -> dict[str, Any]:
    """Every leaf field keyed by a path of item ids (so moving list order is no change)."""
    data = document.model_dump(mode="json")
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: dict[str, Any], kind_of_children: dict[str, str]) -> None:
        for key, value in node.items():
            if key in kind_of_children and isinstance(value, list):
                for child in value:
                    name = f"{kind_of_children[key]}:{child['id']}"
                    child_prefix = f"{prefix}/{name}" if prefix else name
                    flat[child_prefix] = "exists"
                    walk(child_prefix, child, CHILDREN)
            else:
                flat[f"{prefix}.{key}" if prefix else key] = value

    walk("", data, CHILDREN)
    return flat


CHILDREN = {
    "problems": "problem",
    "goals": "goal",
    "objectives": "objective",
    "interventions": "intervention",
}


def diff_plans(before: PlanDocument, after: PlanDocument) -> list[Change]:
    """What changed between two versions, as added / removed / changed paths."""
    old, new = _flatten(before), _flatten(after)
    changes: list[Change] = []
    removed_items = [k for k in old if k not in new and old[k] == "exists"]
    added_items = [k for k in new if k not in old and new[k] == "exists"]

    def under(path: str, roots: list[str]) -> bool:
        return any(path.startswith((root + "/", root + ".")) for root in roots)

    for path in sorted(set(old) | set(new)):
        if path in removed_items and not under(path, removed_items):
            changes.append(Change(op="removed", path=path))
        elif path in added_items and not under(path, added_items):
            changes.append(Change(op="added", path=path))
        elif under(path, removed_items) or under(path, added_items):
            continue
        elif old.get(path) != new.get(path):
            changes.append(
                Change(op="changed", path=path, before=old.get(path), after=new.get(path))
            )
    return changes
