"""Treatment plans: the plan, its immutable versions, signatures, and care events.

The plan's content lives in ``PlanVersion.document`` (a ``PlanDocument`` as JSON); the
``TreatmentPlan`` row holds what lists and the caseload need (status, review date,
current version number, the latest objective evaluation). ``TreatmentPlan.version`` is
the optimistic lock every edit names.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from speciosa.core.models import ClinicalRecord


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"


class TreatmentPlanQuerySet(models.QuerySet):
    def for_user(self, user):
        """Only plans of programs where ``user`` holds a clinical role."""
        from speciosa.accounts.access import program_ids_for

        return self.filter(program_id__in=program_ids_for(user))


class TreatmentPlan(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="treatment_plans"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    start_date = models.DateField()
    review_due_on = models.DateField(db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    current_version_number = models.PositiveIntegerField(default=1)
    pathway_ids = models.JSONField(default=list, blank=True)
    # objective id -> {"status", "summary", "numbers"}; refreshed on every write
    last_evaluation = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    objects = TreatmentPlanQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["program", "status", "review_due_on"], name="plan_review_due"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.current_version_number}, {self.status})"

    @property
    def current_version(self) -> "PlanVersion":
        return self.versions.get(number=self.current_version_number)


class PlanVersion(models.Model):
    """One immutable snapshot of the plan document. Never updated, never deleted."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("plan versions are immutable; create a new version instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("plan versions are immutable")


class PlanSignerRole(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"


class PlanSignatureMethod(models.TextChoices):
    TYPED_IN_PERSON = "typed_in_person", "Typed name, in person"
    TYPED_TELEHEALTH = "typed_telehealth", "Typed name, telehealth"
    VERBAL_WITNESSED = "verbal_witnessed", "Verbal consent, witnessed"


class Signature(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="signatures")
    signer_role = models.CharField(max_length=20, choices=PlanSignerRole.choices)
    typed_name = models.CharField(max_length=200)
    method = models.CharField(max_length=30, choices=PlanSignatureMethod.choices)
    signed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "signer_role"], name="signature_one_per_role_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.typed_name} ({self.signer_role}) on {self.version}"


class CareEventStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ATTENDED = "attended", "Attended"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class CareEvent(ClinicalRecord):
    """A planned or held session (e.g. kind "session:cbt"); feeds attendance objectives."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="care_events"
    )
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=CareEventStatus.choices)

    class Meta:
        indexes = [models.Index(fields=["patient", "at"], name="careevent_patient_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d} {self.status}"
