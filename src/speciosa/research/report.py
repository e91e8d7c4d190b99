"""The study analysis report: CONSORT diagram, primary outcome by arm over visits (linear
mixed model), Kaplan–Meier retention, secondary outcomes and safety, as HTML and PDF."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.research.analysis import (
    ConsortCounts,
    MixedModelResult,
    RetentionResult,
    fit_mixed_model,
    fit_retention,
)
from speciosa.clinical.research.charts import consort_svg, outcome_svg, retention_svg
from speciosa.research.analysis import (
    primary_outcome,
    study_consort,
    study_observations,
    study_retention,
)
from speciosa.research.models import AdverseEvent, OutcomeMeasure, Study, StudyAssessment
from speciosa.research.queries import consented_enrolments


@dataclass
class StudyReport:
    study: Study
    generated_at: Any
    consort: ConsortCounts
    arm_labels: dict[str, str]
    primary_name: str
    model: MixedModelResult | None
    model_error: str
    retention: RetentionResult
    secondary: list[dict[str, Any]] = field(default_factory=list)
    safety: list[dict[str, Any]] = field(default_factory=list)
    svgs: dict[str, str] = field(default_factory=dict)


def _secondary(study: Study) -> list[dict[str, Any]]:
    """Mean (n) per arm of each non-primary outcome, among consented subjects."""
    rows = []
    subjects = consented_enrolments(study).values("pk")
    for outcome in study.outcomes.filter(is_primary=False):
        qs = StudyAssessment.objects.filter(
            enrolment__in=subjects, instrument_id=outcome.instrument_id
        )
        if outcome.measure == OutcomeMeasure.VALUE_AT_VISIT:
            qs = qs.filter(visit_code=outcome.visit_code)
        elif outcome.measure == OutcomeMeasure.PEAK:
            qs = qs.exclude(visit_code="baseline")
        per_subject: dict[tuple[str, str], list[float]] = defaultdict(list)
        for subject, arm, value in qs.values_list(
            "enrolment__subject_id", "enrolment__arm__code", "value"
        ):
            per_subject[(arm, subject)].append(value)
        by_arm: dict[str, list[float]] = defaultdict(list)
        for (arm, _), values in per_subject.items():
            by_arm[arm].append(
                max(values) if outcome.measure == OutcomeMeasure.PEAK else values[-1]
            )
        rows.append(
            {
                "name": outcome.name,
                "arms": [
                    {
                        "arm": a.name,
                        "mean": mean(by_arm[a.code]) if by_arm[a.code] else None,
                        "n": len(by_arm[a.code]),
                    }
                    for a in study.arms.all()
                ],
            }
        )
    return rows


def _safety(study: Study) -> list[dict[str, Any]]:
    rows = []
    for arm in study.arms.all():
        events = AdverseEvent.objects.filter(enrolment__study=study, enrolment__arm=arm)
        rows.append(
            {
                "arm": arm.name,
                "events": events.count(),
                "serious": events.filter(is_serious=True).count(),
                "grade3plus": events.filter(grade__gte=3).count(),
                "subjects": events.values("enrolment").distinct().count(),
            }
        )
    return rows


def build_report(*, actor, study: Study) -> StudyReport:
    require(actor, Action.VIEW_STUDY_DATA, study.program_id)
    labels = {a.code: a.name for a in study.arms.all()}
    consort = study_consort(study)
    outcome = primary_outcome(study)
    model, error = None, ""
    if outcome is None:
        error = "the study has no primary outcome"
    else:
        arms = list(labels)
        reference = arms[-1]  # the comparator is listed last (e.g. taper)
        try:
            model = fit_mixed_model(
                study_observations(study, outcome.instrument_id),
                reference_arm=reference,
                outcome=outcome.name,
            )
        except ValueError as exc:
            error = str(exc)
    retention = fit_retention(study_retention(study))
    report = StudyReport(
        study=study,
        generated_at=timezone.now(),
        consort=consort,
        arm_labels=labels,
        primary_name=outcome.name if outcome else "",
        model=model,
        model_error=error,
        retention=retention,
        secondary=_secondary(study),
        safety=_safety(study),
    )
    report.svgs = {
        "consort": consort_svg(consort, labels),
        "retention": retention_svg(retention, labels),
    }
    if model is not None:
        # the axis has room for the measure's name only, not its time frame
        axis_label = (outcome.name if outcome else "").split(",")[0]
        report.svgs["outcome"] = outcome_svg(model, axis_label, labels)
    write_audit(actor=actor, action=AuditAction.READ, obj=study, detail={"report": True})
    return report


def _term_label(name: str, model: MixedModelResult, labels: dict[str, str]) -> str:
    reference = labels.get(model.reference_arm, model.reference_arm)
    if name == "Intercept":
        return f"Intercept ({reference}, week 0)"
    if name == "week":
        return f"Week (slope in {reference})"
    arm = name.split("[T.", 1)[-1].split("]", 1)[0]
    if name.endswith(":week"):
        return f"{labels.get(arm, arm)} x week (difference in slope)"
    return f"{labels.get(arm, arm)} (difference at week 0)"


def _effects_table(model: MixedModelResult, labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "term": _term_label(name, model, labels),
            "estimate": est,
            "se": se,
            "p": p,
            "p_text": "< 0.0001" if p < 0.0001 else f"{p:.4f}",
            "low": low,
            "high": high,
        }
        for name, (est, se, p, low, high) in model.fixed_effects.items()
    ]


def render_report_html(report: StudyReport) -> str:
    return render_to_string(
        "research/report.html",
        {
            "r": report,
            "effects": _effects_table(report.model, report.arm_labels) if report.model else [],
            "svg_consort": mark_safe(report.svgs["consort"]),  # noqa: S308 - built by our code
            "svg_outcome": mark_safe(report.svgs.get("outcome", "")),  # noqa: S308
            "svg_retention": mark_safe(report.svgs["retention"]),  # noqa: S308
            "curves": [
                {
                    "arm": report.arm_labels.get(c.arm, c.arm),
                    "n": c.n,
                    "events": c.events,
                    "day56": c.retained_at(56),
                    "day84": c.retained_at(84),
                    "median": c.median_days,
                }
                for c in report.retention.curves
            ],
        },
    )


def write_report(report: StudyReport, out_dir: Path, *, pdf: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_report_html(report)
    paths = [out_dir / "report.html"]
    paths[0].write_text(html, encoding="utf-8")
    for name, svg in report.svgs.items():
        path = out_dir / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        paths.append(path)
    if pdf:
        from weasyprint import HTML

        path = out_dir / "report.pdf"
        HTML(string=html, base_url=str(out_dir)).write_pdf(path)
        paths.append(path)
    return paths
