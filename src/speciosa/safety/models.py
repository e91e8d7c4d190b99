"""Safety alerts: one per rule x patient while the rule's condition holds (FHIR DetectedIssue)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from speciosa.core.models import ClinicalRecord


class AlertSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    INFO = "info", "Info"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    OVERRIDDEN = "overridden", "Overridden (proceeding with reason)"
    RESOLVED = "resolved", "Resolved (condition no longer holds)"


ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.OVERRIDDEN)


class AlertQuerySet(models.QuerySet):
    def active(self):
        return self.filter(resolved_at__isnull=True)

    def inbox_order(self):
        """Most severe first, then the oldest (longest waiting) first."""
        return self.order_by("severity_rank", "opened_at", "id")


class Alert(ClinicalRecord):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="safety_alerts"
    )
    rule_id = models.CharField(max_length=80)
    rule_version = models.PositiveIntegerField()
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    severity_rank = models.PositiveSmallIntegerField(help_text="0 = critical, for sorting")
    title = models.CharField(max_length=200)
    message = models.TextField()
    action = models.TextField()
    triggers = models.JSONField(default=list, help_text="Facts that made the rule fire")
    citations = models.JSONField(default=list)
    evidence_cards = models.JSONField(default=list)
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_reason = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.CharField(max_length=200, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [
            # The heart of "never duplicated": at most one unresolved alert per rule x patient.
            models.UniqueConstraint(
                fields=["patient", "rule_id"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_one_active_per_rule_patient",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, status__in=ACTIVE_STATUSES)
                | models.Q(resolved_at__isnull=False, status=AlertStatus.RESOLVED),
                name="alert_resolved_status_matches_resolved_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AlertStatus.OVERRIDDEN)
                | ~models.Q(acknowledgement_reason=""),
                name="alert_override_needs_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["program", "resolved_at", "severity_rank", "opened_at"], name="alert_inbox"
            ),
            models.Index(fields=["patient", "resolved_at"], name="alert_patient_active"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None
