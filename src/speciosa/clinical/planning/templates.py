"""Apply a pathway template to one patient: a pre-filled ``PlanDocument`` to edit.

Kratom enters a plan only as the patient's *existing* use going down: the taper pathway
needs recorded current use and generates a schedule that never increases; no template
has a step that starts kratom.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from speciosa.clinical.errors import InvalidInput
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.planning.document import (
    DecisionPoint,
    Goal,
    Intervention,
    ItemStatus,
    Objective,
    PlanDocument,
    Problem,
    TaperStepOut,
)
from speciosa.clinical.planning.library import Library, PathwayEntry, load_library
from speciosa.clinical.planning.objectives import Condition, KratomDoseAtMost
from speciosa.clinical.planning.taper import (
    StepUnit,
    TaperOptions,
    TaperStep,
    generate_taper_schedule,
)

_condition_adapter: TypeAdapter[Condition] = TypeAdapter(Condition)


class TaperRequest(BaseModel):
    """The clinician's taper choices; ``None`` fields take the pathway defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: Decimal | None = Field(default=None, gt=0)
    step_unit: StepUnit | None = None
    interval_days: int | None = Field(default=None, ge=1, le=90)
    floor_grams_per_day: Decimal = Field(default=Decimal("0"), ge=0)
    current_grams_per_day: Decimal | None = Field(default=None, gt=0)  # else from facts


def _taper_for(
    facts: PatientFacts, start: date, request: TaperRequest, library: Library
) -> list[TaperStep]:
    use = facts.kratom_use()
    current = request.current_grams_per_day or (use.grams_per_day if use else None)
    if current is None or current <= 0:
        raise InvalidInput(
            "current_grams_per_day",
            "no current kratom use (g/day) is recorded; a taper only reduces existing use",
        )
    defaults = library.parameters["kratom-taper"].values
    unit = request.step_unit or StepUnit.PERCENT
    step = request.step or Decimal(str(defaults["step_percent"]))
    try:
        options = TaperOptions(
            current_grams_per_day=current,
            start=start,
            step=step,
            step_unit=unit,
            interval_days=request.interval_days or int(defaults["interval_days"]),
            floor_grams_per_day=request.floor_grams_per_day,
        )
    except ValueError as exc:
        raise InvalidInput("taper", str(exc).splitlines()[-1]) from exc
    return generate_taper_schedule(options)


def _target(raw: dict[str, Any], start: date, taper_end: date | None) -> date | None:
    if "target_week" in raw:
        return start + timedelta(weeks=int(raw["target_week"]))
    if "target_week_after_taper" in raw and taper_end is not None:
        return taper_end + timedelta(weeks=int(raw["target_week_after_taper"]))
    return None


def _condition(
    raw: dict[str, Any], library: Library, schedule: list[TaperStep], start: date
) -> Condition:
    if "taper_target" in raw:
        if not schedule:
            raise ValueError("taper_target needs a taper schedule")
        step = schedule[len(schedule) // 2] if raw["taper_target"] == "halfway" else schedule[-1]
        return KratomDoseAtMost(
            max_grams_per_day=float(step.grams_per_day),
            by_date=step.starts_on,
            baseline_grams_per_day=float(schedule[0].grams_per_day),
        )
    values: dict[str, Any] = {}
    if "parameters" in raw:
        values |= library.parameters[raw["parameters"]].values
        if raw["condition"]["kind"] == "reliable_improvement":
            values["parameters_id"] = raw["parameters"]
    values |= raw["condition"]
    return _condition_adapter.validate_python(values)


def _interventions(raw: list[dict[str, Any]], library: Library) -> list[Intervention]:
    items = []
    for entry in raw:
        known = library.intervention(entry["library_id"])
        items.append(
            Intervention(
                id=entry["id"],
                library_id=known.id,
                text=entry.get("text", known.name),
                owner=entry.get("owner", known.default_owner),
                frequency=entry.get("frequency", known.default_frequency),
                status=ItemStatus(entry.get("status", ItemStatus.ACTIVE)),
            )
        )
    return items


def _problems(
    pathway: PathwayEntry,
    library: Library,
    start: date,
    schedule: list[TaperStep],
) -> list[Problem]:
    taper_end = schedule[-1].starts_on if schedule else None
    problems = []
    for p in pathway.problems:
        goals = []
        for g in p.get("goals", []):
            objectives = []
            for o in g.get("objectives", []):
                condition = _condition(o, library, schedule, start)
                target = _target(o, start, taper_end)
                if isinstance(condition, KratomDoseAtMost):
                    target = condition.by_date
                objectives.append(
                    Objective(
                        id=o["id"],
                        text=o["text"],
                        owner=o.get("owner", ""),
                        target_date=target,
                        condition=condition,
                        interventions=_interventions(o.get("interventions", []), library),
                    )
                )
            goal_targets = [o.target_date for o in objectives if o.target_date]
            goals.append(
                Goal(
                    id=g["id"],
                    text=g["text"],
                    owner=g.get("owner", ""),
                    target_date=max(goal_targets) if goal_targets else None,
                    objectives=objectives,
                )
            )
        problems.append(
            Problem(
                id=p["id"],
                code=p.get("code", ""),
                text=p["text"],
                owner=p.get("owner", ""),
                goals=goals,
            )
        )
    return problems


def apply_pathway(
    pathway_id: str,
    *,
    facts: PatientFacts,
    start: date,
    taper: TaperRequest | None = None,
    library: Library | None = None,
) -> PlanDocument:
    """A plan pre-filled from ``pathway_id`` for the patient described by ``facts``."""
    library = library or load_library()
    pathway = library.pathway(pathway_id)
    schedule: list[TaperStep] = []
    if pathway.generator == "kratom_taper":
        schedule = _taper_for(facts, start, taper or TaperRequest(), library)
    return PlanDocument(
        title=pathway.title,
        pathway_id=pathway.id,
        start_date=start,
        evidence_note=pathway.evidence_note,
        problems=_problems(pathway, library, start, schedule),
        taper=[
            TaperStepOut(step=s.step, starts_on=s.starts_on, grams_per_day=s.grams_per_day)
            for s in schedule
        ],
        monitoring=list(pathway.monitoring),
        decision_points=[DecisionPoint(**point) for point in pathway.decision_points],
        citation_ids=list(pathway.citations),
    )


def merge_documents(title: str, start: date, documents: list[PlanDocument]) -> PlanDocument:
    """One plan from several applied pathways (e.g. taper + ADHD). Item ids must not clash,
    so each pathway's items are prefixed with its id when two pathways share an id."""
    seen: set[str] = set()
    problems: list[Problem] = []
    for doc in documents:
        ids = {item.id for item in doc.iter_items()}
        clash = ids & seen
        prefix = f"{doc.pathway_id}." if clash and doc.pathway_id else ""
        for problem in doc.problems:
            problems.append(_prefixed(problem, prefix) if prefix else problem)
        seen |= {prefix + i for i in ids}
    return PlanDocument(
        title=title,
        pathway_id=documents[0].pathway_id if len(documents) == 1 else None,
        start_date=start,
        evidence_note=" ".join(d.evidence_note for d in documents if d.evidence_note),
        problems=problems,
        taper=next((d.taper for d in documents if d.taper), []),
        monitoring=[m for d in documents for m in d.monitoring],
        decision_points=[p for d in documents for p in d.decision_points],
        citation_ids=sorted({c for d in documents for c in d.citation_ids}),
    )


def _prefixed(problem: Problem, prefix: str) -> Problem:
    data = problem.model_dump()

    def rename(node: dict[str, Any]) -> None:
        node["id"] = prefix + node["id"]
        for key in ("goals", "objectives", "interventions"):
            for child in node.get(key, []):
                rename(child)

    rename(data)
    return Problem.model_validate(data)
