"""Scoped reads of plans. Every read starts from the user's programs."""

from django.core.exceptions import ValidationError

from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import NotFound
from speciosa.plans.models import PlanStatus, TreatmentPlan


def plans_for_user(user):
    return TreatmentPlan.objects.for_user(user).select_related("patient", "program")


def get_plan_for_user(user, plan_uid) -> TreatmentPlan:
    """The plan if ``user`` may see it, else ``NotFound`` (-> 404, no existence leak)."""
    try:
        plan = plans_for_user(user).filter(uid=plan_uid).first()
    except (ValidationError, ValueError):
        plan = None
    if plan is None:
        raise NotFound("Treatment plan not found")
    require(user, Action.VIEW_CHART, plan.program_id)
    return plan


def plans_due_for_review(user, on_or_before):
    """Open plans whose review is due: the caseload shows these."""
    return (
        plans_for_user(user)
        .filter(status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE], review_due_on__lte=on_or_before)
        .order_by("review_due_on", "id")
    )


def next_review_dates(patient_ids) -> dict[int, object]:
    """{patient_id: earliest review_due_on of an open plan}, one query (caseload column)."""
    from django.db.models import Min

    rows = (
        TreatmentPlan.objects.filter(
            patient_id__in=list(patient_ids), status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE]
        )
        .values("patient_id")
        .annotate(due=Min("review_due_on"))
    )
    return {row["patient_id"]: row["due"] for row in rows}
