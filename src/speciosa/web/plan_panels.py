"""Plan views for the caseload and the chart, read from the stored plan evaluation."""

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone

from speciosa.clinical.planning.library import load_library
from speciosa.plans.models import PlanStatus, PlanVersion, Signature, TreatmentPlan


@dataclass
class ObjectiveRow:
    id: str
    text: str
    status: str  # met / on_track / at_risk / not_enough_data
    summary: str
    target_date: object
    owner: str
    interventions: list = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return self.status.replace("_", " ").capitalize()


@dataclass
class AtRisk:
    patient: object
    text: str


def pathway_choices() -> list[tuple[str, str]]:
    return sorted((p.id, p.title) for p in load_library().pathways.values())


def _objective_rows(plan: TreatmentPlan, document: dict) -> list[tuple[dict, dict, list]]:
    """[(problem, goal, [ObjectiveRow])] with each objective's latest evaluation."""
    evaluation = plan.last_evaluation or {}
    rows = []
    for problem in document.get("problems", []):
        for goal in problem.get("goals", []):
            objectives = []
            for obj in goal.get("objectives", []):
                key = next((k for k in evaluation if k.endswith(obj["id"])), obj["id"])
                result = evaluation.get(key, {})
                objectives.append(
                    ObjectiveRow(
                        id=obj["id"],
                        text=obj["text"],
                        status=result.get("status", "not_enough_data"),
                        summary=result.get("summary", ""),
                        target_date=obj.get("target_date"),
                        owner=obj.get("owner", ""),
                        interventions=obj.get("interventions", []),
                    )
                )
            rows.append((problem, goal, objectives))
    return rows


def chart_plan_summary(user, patient) -> dict:
    """The patient's current plan (newest open one) with objective status; 2-3 queries."""
    # one query: the newest open plan's current version, with its plan
    version = (
        PlanVersion.objects.filter(plan__patient=patient, number=F("plan__current_version_number"))
        .exclude(plan__status__in=[PlanStatus.COMPLETED, PlanStatus.DISCONTINUED])
        .select_related("plan")
        .order_by("-plan__created_at")
        .first()
    )
    if version is None:
        return {"plan": None, "pathways": pathway_choices()}
    plan = version.plan
    return {
        "plan": plan,
        "plan_version": version,
        "plan_rows": _objective_rows(plan, version.document),
        "plan_signatures": list(Signature.objects.filter(version=version)),
        "plan_taper": version.document.get("taper", []),
        "pathways": pathway_choices(),
        "review_overdue": plan.review_due_on < timezone.localdate(),
    }


def caseload_plan_summary(user, program_ids) -> dict:
    """Objectives at risk and plan reviews due across the user's programs (2 queries)."""
    plans = list(
        TreatmentPlan.objects.filter(
            program_id__in=program_ids, status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE]
        )
        .select_related("patient")
        .order_by("review_due_on", "id")[:500]
    )
    at_risk = []
    for plan in plans:
        for result in (plan.last_evaluation or {}).values():
            if result.get("status") == "at_risk":
                at_risk.append(AtRisk(plan.patient, result.get("summary", "objective at risk")))
    soon = timezone.localdate() + timezone.timedelta(days=7)
    reviews = [p for p in plans if p.review_due_on <= soon]
    return {"objectives_at_risk": at_risk[:12], "reviews_due": reviews[:12]}
