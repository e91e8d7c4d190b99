"""Questionnaire responses (FHIR JSON), their typed scores, and assessment schedules."""

from django.conf import settings
from django.db import models

from speciosa.core.models import ClinicalRecord


class ResponseSource(models.TextChoices):
    CLINICIAN = "clinician", "Clinician-administered"
    SELF_REPORT = "self_report", "Self-report"


class QuestionnaireResponse(ClinicalRecord):
    """The answers as given, kept as a FHIR R4 QuestionnaireResponse (never rewritten)."""

    # no index of its own: measures_qr_pit starts with patient (one index less per insert)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.CASCADE,
        related_name="questionnaire_responses",
        db_index=False,
    )
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.PositiveIntegerField(default=1)
    authored_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who administered or entered it; empty for a patient's own self-report",
    )
    source = models.CharField(max_length=20, choices=ResponseSource.choices)
    resource = models.JSONField(help_text="FHIR R4 QuestionnaireResponse")

    class Meta:
        indexes = [
            models.Index(fields=["patient", "instrument_id", "authored_at"], name="measures_qr_pit")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} response {self.uid}"


class Score(ClinicalRecord):
    """The computed score of one response: a typed row so trajectories are one query.

    Stable interface (other apps read it): instrument_id, taken_at, total, band,
    is_positive, critical_items, critical_flags, subscales, items.
    """

    response = models.OneToOneField(
        QuestionnaireResponse, on_delete=models.CASCADE, related_name="score"
    )
    # no index of its own: measures_score_pit starts with patient (one index less per insert)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    instrument_id = models.CharField(max_length=40)
    taken_at = models.DateTimeField()
    total = models.FloatField()
    band = models.CharField(max_length=40, blank=True)
    is_positive = models.BooleanField(null=True)
    critical_items = models.JSONField(default=list, help_text="linkIds that raised a flag")
    critical_flags = models.JSONField(
        default=list, help_text="[{rule_id, item_id, message}] incl. total-score flags"
    )
    subscales = models.JSONField(default=dict)
    items = models.JSONField(default=dict, help_text="linkId -> item score")
    completeness = models.FloatField(default=1.0)
    notes = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "instrument_id", "taken_at"], name="measures_score_pit")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.total:g} ({self.band or '-'}) at {self.taken_at}"


class ScheduleKind(models.TextChoices):
    INTERVAL = "interval", "Every interval"
    FIXED = "fixed", "At fixed days"


class AssessmentSchedule(ClinicalRecord):
    """'Assessment due' for one patient and instrument (see clinical.instruments.schedules)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="assessment_schedules"
    )
    instrument_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=ScheduleKind.choices)
    interval_hours = models.PositiveIntegerField(null=True, blank=True)
    offsets_days = models.JSONField(default=list, blank=True)
    grace_hours = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    preset = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["program", "is_active"], name="measures_sched_prog"),
            models.Index(fields=["patient", "instrument_id"], name="measures_sched_pi"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} schedule for {self.patient_id}"
