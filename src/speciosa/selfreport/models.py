"""Links that let a patient answer chosen questionnaires from a phone, without an account."""

import hashlib

from django.db import models
from django.utils import timezone

from speciosa.core.models import ClinicalRecord


class SelfReportLink(ClinicalRecord):
    """Single-use, expiring link bound to one patient. Only a hash of the token is kept."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="self_report_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    instrument_ids = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "created_at"], name="selfreport_patient")]

    def __str__(self) -> str:
        return f"Self-report link for {self.patient_id} ({', '.join(self.instrument_ids)})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.used_at:
            return "used"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
