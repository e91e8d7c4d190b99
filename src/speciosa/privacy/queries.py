"""Scoped reads: consents, the accounting of disclosures, break-the-glass grants."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from speciosa.accounts.access import memberships_for
from speciosa.accounts.permissions import Action, can
from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.clinical.privacy.part2 import accounting_lookback_days
from speciosa.patients.models import Patient
from speciosa.privacy.models import BreakGlassGrant, Disclosure


def active_grants(user) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(user=user, expires_at__gt=timezone.now())


def break_glass_patient_filter(user) -> Q | None:
    """A Q matching patients ``user`` may read under an active grant (no query runs here:
    ``Patient.objects.for_user`` embeds it as a subquery)."""
    if not settings.SPECIOSA_BREAK_GLASS_ENABLED or not getattr(user, "pk", None):
        return None
    return Q(pk__in=active_grants(user).values("patient_id"))


def active_grant_for(user, patient: Patient) -> BreakGlassGrant | None:
    if not settings.SPECIOSA_BREAK_GLASS_ENABLED or not getattr(user, "pk", None):
        return None
    return active_grants(user).filter(patient=patient).order_by("-expires_at").first()


def accounting_of_disclosures(patient: Patient, *, days: int | None = None):
    """Disclosures of ``patient`` in the look-back window (3 years, 42 CFR 2.25)."""
    since = timezone.now() - timedelta(days=days or accounting_lookback_days())
    return (
        Disclosure.objects.filter(patient=patient, disclosed_at__gte=since)
        .select_related("consent", "disclosed_by")
        .order_by("-disclosed_at", "-id")
    )


def audited_program_ids(user) -> set[int]:
    return {
        m.program_id for m in memberships_for(user) if can(user, Action.VIEW_AUDIT, m.program_id)
    }


def break_glass_report(program_ids, *, days: int = 30) -> list[dict]:
    """Grants in ``program_ids`` with how many chart reads each led to, newest first."""
    since = timezone.now() - timedelta(days=days)
    grants = list(
        BreakGlassGrant.objects.filter(program_id__in=program_ids, granted_at__gte=since)
        .select_related("user", "patient", "program")
        .order_by("-granted_at")
    )
    reads: Counter[str] = Counter()
    if grants:
        details = AuditEvent.objects.filter(
            action=AuditAction.BREAK_GLASS,
            object_type="chart",
            program_id__in=program_ids,
            at__gte=since,
        ).values_list("detail", flat=True)
        reads.update(str(d.get("grant", "")) for d in details)
    now = timezone.now()
    return [
        {
            "grant": str(g.uid),
            "user": g.user.username,
            "program": g.program.code,
            "patient": str(g.patient.uid),
            "mrn": g.patient.mrn,
            "reason": g.reason,
            "granted_at": g.granted_at,
            "expires_at": g.expires_at,
            "is_active": g.expires_at > now,
            "chart_reads": reads.get(str(g.uid), 0),
        }
        for g in grants
    ]
