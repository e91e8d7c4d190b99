"""CarePlan <-> plans.TreatmentPlan, with its Goals contained, and _history from the
immutable plans.PlanVersion snapshots.

meta.versionId of a CarePlan is the plan *document* version (PlanVersion.number), the
version clinicians and patients sign; ``GET CarePlan/<id>/_history`` lists every one and
``_history/<n>`` reads version n. Read and search only: plans change through
``plans.services.change_plan`` (reason, signatures, objective evaluation).
"""

from typing import Any

from django.db.models import Q

from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import day, instant, prune, ref
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.plans.models import PlanVersion, TreatmentPlan

CAREPLAN_STATUS = {
    "draft": "draft",
    "active": "active",
    "completed": "completed",
    "discontinued": "revoked",
}
GOAL_STATUS = {
    "proposed": "proposed",
    "active": "active",
    "achieved": "completed",
    "on_hold": "on-hold",
    "discontinued": "cancelled",
}
ACTIVITY_STATUS = {
    "proposed": "not-started",
    "active": "in-progress",
    "achieved": "completed",
    "on_hold": "on-hold",
    "discontinued": "stopped",
}


def _goal(patient_ref: dict[str, str], problem: dict[str, Any], goal: dict[str, Any]):
    return prune(
        {
            "resourceType": "Goal",
            "id": f"goal-{goal['id']}",
            "lifecycleStatus": GOAL_STATUS.get(goal.get("status", "active"), "active"),
            "description": {"text": goal["text"]},
            "subject": patient_ref,
            "target": [
                prune(
                    {
                        "measure": {"text": objective["text"]},
                        "detailString": objective["text"],
                        "dueDate": objective.get("target_date"),
                    }
                )
                for objective in goal.get("objectives") or []
            ],
            "addresses": [],
            "note": [{"text": f"Problem: {problem['text']}"}],
        }
    )


def render_version(plan: TreatmentPlan, version: PlanVersion) -> dict[str, Any]:
    """A CarePlan as of one document version."""
    doc = version.document
    patient_ref = ref("Patient", plan.patient.uid)
    goals, activities = [], []
    for problem in doc.get("problems") or []:
        for goal in problem.get("goals") or []:
            goals.append(_goal(patient_ref, problem, goal))
            for objective in goal.get("objectives") or []:
                for intervention in objective.get("interventions") or []:
                    activities.append(
                        {
                            "detail": prune(
                                {
                                    "code": {"text": intervention["text"]},
                                    "status": ACTIVITY_STATUS.get(
                                        intervention.get("status", "active"), "in-progress"
                                    ),
                                    "goal": [{"reference": f"#goal-{goal['id']}"}],
                                    "description": intervention.get("frequency") or None,
                                }
                            )
                        }
                    )
    return prune(
        {
            "resourceType": "CarePlan",
            "id": str(plan.uid),
            "meta": {
                "versionId": str(version.number),
                "lastUpdated": instant(version.created_at),
            },
            "contained": goals,
            # the plan's status is not versioned: every version shows the current one
            "status": CAREPLAN_STATUS.get(plan.status, "unknown"),
            "intent": "plan",
            "title": doc.get("title") or plan.title,
            "description": doc.get("evidence_note") or None,
            "subject": patient_ref,
            "period": {"start": day(plan.start_date)},
            "created": instant(plan.created_at),
            "author": ref("Practitioner", version.author.uid) if version.author else None,
            "goal": [{"reference": f"#{g['id']}"} for g in goals],
            "activity": activities,
            "note": [{"text": f"Version {version.number}: {version.reason}"}]
            if version.reason
            else [],
        }
    )


def careplan_to_fhir(plan: TreatmentPlan) -> dict[str, Any]:
    return render_version(plan, plan.current_version)


def careplan_history(ctx: FhirContext, plan: TreatmentPlan) -> list[dict[str, Any]]:
    """Every document version, newest first (FHIR history order)."""
    versions = plan.versions.select_related("author").order_by("-number")
    return [render_version(plan, v) for v in versions]


def status_filter(value: str) -> Q:
    code = token_parts(value)[1]
    ours = [k for k, v in CAREPLAN_STATUS.items() if v == code]
    return Q(status__in=ours) if ours else NOTHING


CAREPLAN = register(
    ResourceType(
        name="CarePlan",
        sources=[
            Source(
                key="plan",
                model=TreatmentPlan,
                to_fhir=careplan_to_fhir,
                select_related=("patient",),
                filters={
                    "status": status_filter,
                    "date": date_filter("start_date", is_date=True),
                },
            )
        ],
        params={
            "status": ParamDoc("token", "draft, active, completed, revoked"),
            "date": ParamDoc("date", "Plan start date"),
        },
        includes={"patient": ("Patient", "patient_id"), "subject": ("Patient", "patient_id")},
        history=careplan_history,
        documentation=(
            "Goals are contained resources (#goal-<id>) so they version with the plan; "
            "objectives are Goal.target, interventions CarePlan.activity."
        ),
    )
)
