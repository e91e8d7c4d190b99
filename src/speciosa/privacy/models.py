"""42 CFR Part 2 consents, the disclosure log, and break-the-glass grants."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from speciosa.clinical.privacy.part2 import Channel, ConsentTerms, DataCategory, Purpose
from speciosa.core.models import ClinicalRecord


class SignatureMethod(models.TextChoices):
    ELECTRONIC = "electronic", "Electronic signature"
    PAPER = "paper", "Signed on paper (scanned)"


class Part2Consent(ClinicalRecord):
    """A patient's written consent to disclose records to one recipient (42 CFR 2.31)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="part2_consents"
    )
    recipient = models.CharField(max_length=200, help_text="Person or organisation named")
    purposes = models.JSONField(default=list, help_text="Purpose values (see Purpose)")
    categories = models.JSONField(default=list, help_text="Data categories (see DataCategory)")
    effective_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signature_name = models.CharField(max_length=200, blank=True)
    signature_method = models.CharField(
        max_length=20, choices=SignatureMethod.choices, default=SignatureMethod.ELECTRONIC
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "expires_at"], name="part2_consent_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("effective_at")),
                name="part2_consent_expires_after_effective",
            )
        ]

    def __str__(self) -> str:
        return f"Part 2 consent to {self.recipient} until {self.expires_at:%Y-%m-%d}"

    def terms(self) -> ConsentTerms:
        return ConsentTerms(
            consent_id=str(self.uid),
            recipient=self.recipient,
            purposes=frozenset(Purpose(p) for p in self.purposes),
            categories=frozenset(DataCategory(c) for c in self.categories),
            effective_at=self.effective_at,
            expires_at=self.expires_at,
            signed_at=self.signed_at,
            revoked_at=self.revoked_at,
        )


class DisclosureQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the disclosure log is append-only")

    def delete(self):
        raise TypeError("the disclosure log is append-only")


class Disclosure(models.Model):
    """One disclosure outside the program; the accounting of disclosures reads these."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="disclosures"
    )
    consent = models.ForeignKey(Part2Consent, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(max_length=200)
    purpose = models.CharField(max_length=40, choices=[(p.value, p.value) for p in Purpose])
    categories = models.JSONField(default=list)
    channel = models.CharField(max_length=30, choices=[(c.value, c.value) for c in Channel])
    description = models.CharField(max_length=300, blank=True)
    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_version = models.CharField(max_length=20)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [models.Index(fields=["patient", "disclosed_at"], name="disclosure_patient")]

    def __str__(self) -> str:
        return f"{self.disclosed_at:%Y-%m-%d} to {self.recipient} ({self.purpose})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the disclosure log is append-only")
        super().save(*args, **kwargs)


class BreakGlassGrant(models.Model):
    """Time-limited read access to one patient outside the user's programs."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="break_glass_user_expiry")]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient_id} until {self.expires_at:%H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
