"""Writes of the outcomes app: only the audit trail of exported reports."""

from __future__ import annotations

from django.db import transaction

from speciosa.accounts.models import Program
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit


@transaction.atomic
def record_report_export(*, actor, programs: list[Program], fmt: str, detail: dict) -> None:
    """One EXPORT audit row per program whose data the aggregate report covers."""
    for program in programs:
        write_audit(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="outcomes.Report",
            object_id=fmt,
            program=program,
            detail=detail,
        )
