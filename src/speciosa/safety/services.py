"""Write actions on safety alerts: one function per action.

``reevaluate_patient`` is called by the ``patient_facts_changed`` receiver inside the
writer's transaction; ``reevaluate_program`` re-checks a whole program in bulk (CLI, demo).
Every created, resolved, acknowledged or overridden alert has an audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import Conflict, InvalidInput
from speciosa.clinical.safety.engine import Finding, default_index, evaluate
from speciosa.clinical.safety.incremental import CLOCK, FIELD_INPUTS, PATIENT, SCORES, plan_for
from speciosa.core.compiled import CompiledQuery
from speciosa.core.locking import save_new_version
from speciosa.patients.facts import (
    build_facts_for_patients,
    build_needed_facts,
    build_patient_facts,
)
from speciosa.patients.models import Patient
from speciosa.safety.models import Alert, AlertStatus

Progress = Callable[[str, int], Callable[[int], None]]
BULK_CHUNK = 500


@dataclass
class RecheckSummary:
    patients: int = 0
    created: int = 0
    resolved: int = 0
    unchanged: int = 0
    created_ids: list[str] = field(default_factory=list)
    resolved_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "patients": self.patients,
            "created": self.created,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
        }


def _new_alert(patient: Patient, finding: Finding, actor) -> Alert:
    return Alert(
        program_id=patient.program_id,
        patient=patient,
        created_by=actor if getattr(actor, "pk", None) else None,
        rule_id=finding.rule_id,
        rule_version=finding.rule_version,
        severity=finding.severity.value,
        severity_rank=finding.severity.rank,
        title=finding.title,
        message=finding.message,
        action=finding.action,
        triggers=finding.triggers_as_dicts(),
        citations=[c.short() for c in finding.citations],
        evidence_cards=list(finding.evidence_cards),
    )


def _diff(
    findings: Iterable[Finding], active: dict[str, Alert]
) -> tuple[list[Finding], list[Alert], int]:
    """(findings without an alert, alerts whose rule no longer holds, unchanged count)."""
    holding = {f.rule_id: f for f in findings}
    to_create = [f for rule_id, f in holding.items() if rule_id not in active]
    to_resolve = [a for rule_id, a in active.items() if rule_id not in holding]
    return to_create, to_resolve, len(holding) - len(to_create)


_ACTIVE_ALERTS: dict[frozenset[str], CompiledQuery] = {}


def _active_alerts_query(rule_ids: frozenset[str]) -> CompiledQuery:
    """Locked active alerts of one patient under these rules (SQL built once per set)."""
    query = _ACTIVE_ALERTS.get(rule_ids)
    if query is None:
        ids = sorted(rule_ids)
        query = _ACTIVE_ALERTS[rule_ids] = CompiledQuery(
            lambda pk: Alert.objects.select_for_update().filter(
                patient_id=pk, resolved_at__isnull=True, rule_id__in=ids
            )
        )
    return query


@transaction.atomic(savepoint=False)  # errors propagate: the caller's write fails with it
def reevaluate_patient(
    *, patient: Patient, actor=None, reason: str = "", changed: Iterable[str] | None = None
) -> RecheckSummary:
    """Bring the patient's alerts in line with the current facts (create / resolve).

    ``changed`` names what the caller's write changed (``{"scores:phq9"}``, see
    ``clinical.safety.incremental``): only the rules reading it (and the clock-reading
    rules) are re-evaluated, over just the facts they read, and only their alerts are
    created or resolved. Same outcome as a full re-check (a property test proves it).
    Without ``changed`` every rule is re-evaluated over all the facts.
    """
    if changed is None:
        findings = evaluate(build_patient_facts(patient))
        active_rows = list(
            Alert.objects.select_for_update().filter(patient=patient, resolved_at__isnull=True)
        )
    else:
        plan = plan_for(changed)
        findings = evaluate(build_needed_facts(patient, plan.needs), plan.index)
        active_rows = _active_alerts_query(plan.rule_ids).models(patient.pk)
    active = {a.rule_id: a for a in active_rows}
    to_create, to_resolve, unchanged = _diff(findings, active)
    summary = RecheckSummary(patients=1, unchanged=unchanged)
    for finding in to_create:
        alert = _new_alert(patient, finding, actor)
        try:
            with transaction.atomic():  # a concurrent writer may have raised it first
                alert.save()
        except IntegrityError:
            continue
        write_audit(
            actor=actor,
            action=AuditAction.CREATE,
            obj=alert,
            detail={"rule_id": alert.rule_id, "severity": alert.severity, "reason": reason},
        )
        summary.created += 1
        summary.created_ids.append(str(alert.uid))
    now = timezone.now()
    for alert in to_resolve:
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.resolution_reason = f"condition no longer holds ({reason})"[:200]
        save_new_version(
            alert,
            expected_version=alert.version,
            fields=["status", "resolved_at", "resolution_reason"],
        )
        write_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=alert,
            detail={"rule_id": alert.rule_id, "status": "resolved", "reason": reason},
        )
        summary.resolved += 1
        summary.resolved_ids.append(str(alert.uid))
    return summary


# every kind of change at once: the plan holds every rule and what all of them read
EVERYTHING = frozenset({*FIELD_INPUTS, SCORES, PATIENT, CLOCK})


def _recheck_chunk(patients: list[Patient], actor, reason: str) -> RecheckSummary:
    # only what the rules read: first + latest score per instrument, not the history
    facts = build_facts_for_patients(patients, needs=plan_for(EVERYTHING).needs)
    index = default_index()
    active: dict[int, dict[str, Alert]] = {p.pk: {} for p in patients}
    for alert in Alert.objects.filter(patient__in=patients, resolved_at__isnull=True):
        active[alert.patient_id][alert.rule_id] = alert
    summary = RecheckSummary(patients=len(patients))
    new_alerts: list[Alert] = []
    resolved: list[Alert] = []
    for patient in patients:
        to_create, to_resolve, unchanged = _diff(
            evaluate(facts[patient.pk], index), active[patient.pk]
        )
        new_alerts.extend(_new_alert(patient, f, actor) for f in to_create)
        resolved.extend(to_resolve)
        summary.unchanged += unchanged
    Alert.objects.bulk_create(new_alerts)
    now = timezone.now()
    Alert.objects.filter(pk__in=[a.pk for a in resolved]).update(
        status=AlertStatus.RESOLVED,
        resolved_at=now,
        resolution_reason=f"condition no longer holds ({reason})"[:200],
        version=F("version") + 1,
        updated_at=now,
    )
    summary.created, summary.resolved = len(new_alerts), len(resolved)
    summary.created_ids = [str(a.uid) for a in new_alerts]
    summary.resolved_ids = [str(a.uid) for a in resolved]
    return summary


def reevaluate_program(
    program, *, actor=None, progress: Progress | None = None, chunk: int = BULK_CHUNK
) -> RecheckSummary:
    """Re-check every patient of ``program`` in chunks (one transaction per chunk).

    Bulk path: alerts are bulk-inserted/updated and each chunk writes one BULK_CREATE
    audit row listing the created and resolved alert ids (per-alert rows would serialise
    on the audit hash chain for a 100k-patient program).
    """
    reason = "program re-check"
    ids = list(Patient.objects.filter(program=program).order_by("id").values_list("id", flat=True))
    advance = progress("Safety re-check", len(ids)) if progress else None
    total = RecheckSummary()
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            patients = list(
                Patient.objects.filter(id__in=ids[start : start + chunk]).order_by("id")
            )
            part = _recheck_chunk(patients, actor, reason)
            if part.created or part.resolved:
                write_audit(
                    actor=actor,
                    action=AuditAction.BULK_CREATE,
                    object_type="safety.Alert",
                    program=program,
                    detail={
                        "reason": reason,
                        "created": part.created_ids,
                        "resolved": part.resolved_ids,
                    },
                )
        total.patients += part.patients
        total.created += part.created
        total.resolved += part.resolved
        total.unchanged += part.unchanged
        if advance:
            advance(len(patients))
    return total


def _active_or_conflict(alert: Alert) -> None:
    if not alert.is_active:
        raise Conflict("This alert is resolved; its condition no longer holds")


@transaction.atomic
def acknowledge_alert(
    *, actor, alert: Alert, reason: str = "", expected_version: int | None = None
) -> Alert:
    """open -> acknowledged: who, when and (optionally) why."""
    require(actor, Action.ACKNOWLEDGE_ALERT, alert.program_id)
    _active_or_conflict(alert)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(f"This alert is already {alert.status}")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.acknowledgement_reason = reason.strip()
    save_new_version(
        alert,
        expected_version=alert.version if expected_version is None else expected_version,
        fields=["status", "acknowledged_by", "acknowledged_at", "acknowledgement_reason"],
    )
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        detail={"rule_id": alert.rule_id, "status": "acknowledged", "reason": reason.strip()},
    )
    return alert


@transaction.atomic
def override_alert(
    *, actor, alert: Alert, reason: str, expected_version: int | None = None
) -> Alert:
    """Proceed despite the alert (e.g. benefit outweighs risk); a reason is mandatory."""
    require(actor, Action.ACKNOWLEDGE_ALERT, alert.program_id)
    if not reason or not reason.strip():
        raise InvalidInput("reason", "is required to override an alert")
    _active_or_conflict(alert)
    if alert.status == AlertStatus.OVERRIDDEN:
        raise Conflict("This alert is already overridden")
    alert.status = AlertStatus.OVERRIDDEN
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.acknowledgement_reason = reason.strip()
    save_new_version(
        alert,
        expected_version=alert.version if expected_version is None else expected_version,
        fields=["status", "acknowledged_by", "acknowledged_at", "acknowledgement_reason"],
    )
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        detail={"rule_id": alert.rule_id, "status": "overridden", "reason": reason.strip()},
    )
    return alert
