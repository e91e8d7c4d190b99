"""What the plan PDF and the discharge summary show, computed here (templates display).

Objective statuses are evaluated fresh from the patient's facts at render time, and each
instrument an objective reads gets a small server-side SVG trend chart with its severity
bands (``speciosa.clinical.charts``, the same chart the web pages use).
"""

from typing import Any

from django.utils import timezone
from django.utils.safestring import mark_safe

from speciosa.clinical.charts import ChartBand, line_chart_svg
from speciosa.clinical.errors import NotFound
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.planning.document import PlanDocument, evaluate_plan
from speciosa.clinical.planning.library import load_library
from speciosa.clinical.planning.objectives import (
    Evaluation,
    ObjectiveStatus,
    instrument_name,
    linked_instruments,
)
from speciosa.patients.facts import build_patient_facts
from speciosa.plans.models import TreatmentPlan
from speciosa.plans.services import parse_document

STATUS_CLASS = {
    ObjectiveStatus.MET: "met",
    ObjectiveStatus.ON_TRACK: "on-track",
    ObjectiveStatus.AT_RISK: "at-risk",
    ObjectiveStatus.NOT_ENOUGH_DATA: "no-data",
}


def _instrument_scale(instrument_id: str) -> tuple[float, float, list[ChartBand], str]:
    """(y_min, y_max, bands, short name) from the shared instrument library."""
    try:
        from speciosa.clinical.instruments.catalog import get_instrument

        scoring = get_instrument(instrument_id).scoring
    except (NotFound, ImportError):
        return 0.0, 0.0, [], instrument_name(instrument_id)
    low, high = scoring.total.min, scoring.total.max
    # integer bands (0-4, 5-9, ...) shaded edge to edge: widen each by half a point
    bands = [
        ChartBand(low=max(b.min - 0.5, low), high=min(b.max + 0.5, high), label=b.label)
        for b in (scoring.bands.items if scoring.bands else [])
    ]
    return low, high, bands, scoring.short_name


def trend_charts(document: PlanDocument, facts: PatientFacts) -> list[dict[str, Any]]:
    """One chart per instrument the plan's objectives read, when it has scores."""
    wanted: list[str] = []
    for objective in document.objectives():
        for instrument_id in linked_instruments(objective.condition):
            if instrument_id not in wanted:
                wanted.append(instrument_id)
    charts = []
    for instrument_id in wanted:
        scores = facts.scores_for(instrument_id)
        if not scores:
            continue
        points = [(s.at, s.total) for s in scores][-24:]
        y_min, y_max, bands, name = _instrument_scale(instrument_id)
        if y_max <= y_min:
            y_min, y_max = 0.0, max(max(p[1] for p in points), 1.0)
        svg = line_chart_svg(
            points,
            y_min=y_min,
            y_max=y_max,
            bands=bands,
            title=f"{name} ({len(points)} scores)",
            width=520,
            height=150,
        )
        charts.append({"instrument": name, "svg": mark_safe(svg)})  # noqa: S308 - escaped SVG
    return charts


def _objective_rows(document: PlanDocument, evaluations: dict[str, Evaluation]):
    problems = []
    for problem in document.problems:
        goals = []
        for goal in problem.goals:
            objectives = []
            for objective in goal.objectives:
                evaluation = evaluations.get(objective.id)
                status = evaluation.status if evaluation else None
                objectives.append(
                    {
                        "item": objective,
                        "measure": objective.condition.describe(),
                        "status_label": status.label if status else objective.status.value,
                        "status_class": STATUS_CLASS.get(status, "inactive")
                        if status
                        else "inactive",
                        "summary": evaluation.summary if evaluation else "not evaluated",
                    }
                )
            goals.append({"item": goal, "objectives": objectives})
        problems.append({"item": problem, "goals": goals})
    return problems


def plan_context(plan: TreatmentPlan) -> dict[str, Any]:
    version = plan.current_version
    document = parse_document(version.document)
    facts = build_patient_facts(plan.patient)
    evaluations = evaluate_plan(document, facts)
    counts = {status: 0 for status in ObjectiveStatus}
    for evaluation in evaluations.values():
        counts[evaluation.status] += 1
    library = load_library()
    known = [c for c in document.citation_ids if c in library.citations]
    return {
        "plan": plan,
        "patient": plan.patient,
        "program": plan.program,
        "version": version,
        "document": document,
        "problems": _objective_rows(document, evaluations),
        "status_counts": [
            {"label": s.label, "css": STATUS_CLASS[s], "count": counts[s]} for s in ObjectiveStatus
        ],
        "charts": trend_charts(document, facts),
        "signatures": list(version.signatures.all()),
        "citations": [library.citations[c].short() for c in known],
        "generated_at": timezone.localtime(),
        "taper_rows": _two_columns(document.taper),
    }


def _two_columns(steps: list) -> list[list]:
    """Taper steps in two side-by-side columns (read down, then across)."""
    half = (len(steps) + 1) // 2
    return [steps[i : i + 1] + steps[i + half : i + half + 1] for i in range(half)]


def discharge_context(plan: TreatmentPlan) -> dict[str, Any]:
    context = plan_context(plan)
    patient = plan.patient
    episode = patient.episodes.order_by("-admitted_on", "-id").first()
    facts = build_patient_facts(patient)
    changes = []
    for chart_instrument in {
        i for o in context["document"].objectives() for i in linked_instruments(o.condition)
    }:
        scores = facts.scores_for(chart_instrument)
        if len(scores) >= 2:
            changes.append(
                {
                    "instrument": instrument_name(chart_instrument),
                    "first": scores[0].total,
                    "first_at": scores[0].at,
                    "last": scores[-1].total,
                    "last_at": scores[-1].at,
                    "change": scores[-1].total - scores[0].total,
                }
            )
    context |= {
        "episode": episode,
        "discharge_reason": episode.get_discharge_reason_display() if episode else "",
        "medications": [m for m in facts.medications if m.is_current],
        "score_changes": sorted(changes, key=lambda c: c["instrument"]),
        "versions": list(plan.versions.select_related("author").order_by("number")),
    }
    return context
