"""Append-only, hash-chained audit log of every read and write of patient data."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    READ = "read", "Read"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose"
    LOGIN = "login", "Login"
    BREAK_GLASS = "break_glass", "Break the glass"
    BULK_CREATE = "bulk_create", "Bulk create"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One audited action. Rows are chained per program: ``hash`` covers the content and
    the previous row's hash, so editing or deleting a row breaks the chain."""

    # program code or "system"; no index of its own: audit_unique_chain_seq starts with it
    chain = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    # no index of its own: audit_program_at (every reader is scoped to programs)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    # no index of its own: audit_program_at starts with program
    program = models.ForeignKey(
        "accounts.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # no index of its own: audit_patient_at starts with patient
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_unique_chain_seq")
        ]
        indexes = [
            models.Index(fields=["patient", "at"], name="audit_patient_at"),
            # program-scoped reads by time (FHIR AuditEvent date, break-glass review,
            # extract); one index instead of one on program and one on at: every
            # audited write updates each index of this table
            models.Index(fields=["program", "at"], name="audit_program_at"),
        ]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")

    def content_for_hash(self) -> str:
        return json.dumps(
            {
                "chain": self.chain,
                "seq": self.seq,
                "at": self.at.isoformat(),
                "actor": self.actor_id,
                "actor_label": self.actor_label,
                "program": self.program_id,
                "patient": self.patient_id,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "request_id": self.request_id,
                "detail": self.detail,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.content_for_hash()).encode()).hexdigest()


class AuditChainHead(models.Model):
    """Last sequence number and hash of each chain; locked while appending."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"
