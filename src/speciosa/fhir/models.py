"""Models of the fhir app: Bulk Data export jobs."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExportLevel(models.TextChoices):
    SYSTEM = "system", "System"
    PATIENT = "patient", "All patients"
    GROUP = "group", "Group"


class ExportJob(models.Model):
    """One Bulk Data ``$export`` request. Only its requester may poll it or fetch files.

    ``program_ids`` snapshots the caller's scope at kick-off, so a token limited to one
    program exports only that program even though the worker runs without a request.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    group_program = models.ForeignKey(
        "accounts.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    program_ids = models.JSONField(default=list)
    request_url = models.CharField(max_length=1000)
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    written = models.PositiveBigIntegerField(default=0)
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["requested_by", "created_at"], name="fhir_export_user")]

    def __str__(self) -> str:
        return f"$export {self.level} {self.uid} ({self.status})"
