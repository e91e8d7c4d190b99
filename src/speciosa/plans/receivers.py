"""Keep stored objective statuses in step with the data they read."""

from speciosa.core.compiled import CompiledQuery
from speciosa.plans.models import PlanStatus, TreatmentPlan

# asked on every clinical write: SQL built once (core.compiled). Just the plan's columns:
# the sender's patient is attached below, so the usually empty result is not a plan+patient
# join of ~40 columns that SQLite prepares and describes on every write
_OPEN_PLANS = CompiledQuery(
    lambda patient_id: TreatmentPlan.objects.filter(
        patient_id=patient_id, status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE]
    )
)


def reevaluate_open_plans(sender, *, patient, **kwargs) -> None:
    """Runs inside the write's transaction (``patient_facts_changed``)."""
    from speciosa.plans.services import refresh_evaluation

    for plan in _OPEN_PLANS.models(patient.pk):
        plan.patient = patient  # the row the writer holds, read in this transaction
        refresh_evaluation(plan)
