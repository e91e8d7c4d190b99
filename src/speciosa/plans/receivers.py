"""Keep stored objective statuses in step with the data they read."""

from speciosa.plans.models import PlanStatus, TreatmentPlan


def reevaluate_open_plans(sender, *, patient, **kwargs) -> None:
    """Runs inside the write's transaction (``patient_facts_changed``)."""
    from speciosa.plans.services import refresh_evaluation

    open_plans = TreatmentPlan.objects.filter(
        patient=patient, status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE]
    ).select_related("patient")
    for plan in open_plans:
        refresh_evaluation(plan)
