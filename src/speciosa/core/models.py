"""Abstract base for every clinical row: program, public id, timestamps, author, version."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ClinicalRecord(models.Model):
    """Fields every clinical row carries.

    ``version`` is the optimistic lock: an update names the version it edited and is
    refused (``StaleVersion``) when someone saved a newer one first.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True
