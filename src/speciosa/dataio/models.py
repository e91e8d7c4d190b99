"""Import bookkeeping: one ImportRun per (program, source kind, source hash) and one
ImportedRow per committed source row, so a re-run or a resume after a crash skips what
is already in and loses nothing."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    CSV = "csv", "CSV"
    REDCAP = "redcap", "REDCap export"
    FHIR_NDJSON = "fhir-ndjson", "FHIR R4 NDJSON"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running (or interrupted)"
    COMPLETED = "completed", "Completed"


class ImportRun(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    source_name = models.CharField(max_length=300)
    # sha256 of the source bytes (all files of a REDCap project): the idempotency scope
    source_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    attempts = models.PositiveIntegerField(default=1)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejects_path = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source_kind", "source_hash"], name="importrun_unique_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.source_name} ({self.status})"


class ImportedRow(models.Model):
    """A source row committed in the same transaction as the records made from it."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    key = models.CharField(max_length=200, help_text="line number or source record id")
    table = models.CharField(max_length=40)
    object_uid = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="importedrow_unique_key")
        ]
        indexes = [models.Index(fields=["run", "table"], name="importedrow_table")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}"
