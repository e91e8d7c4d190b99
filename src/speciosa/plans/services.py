"""Write actions on treatment plans: one function per action.

Each runs in one transaction: authorise, validate (``clinical.planning``), save, audit,
and re-evaluate the plan's objectives so the stored statuses never lag the plan.
Concurrent edits of one plan: the edit names the ``expected_version`` it started from;
the compare-and-set update lets exactly one writer win, the other gets ``StaleVersion``.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import Conflict, InvalidInput, StaleVersion
from speciosa.clinical.planning.checks import check_kratom_only_reduces
from speciosa.clinical.planning.document import PlanDocument, diff_plans, evaluate_plan
from speciosa.clinical.planning.templates import TaperRequest, apply_pathway, merge_documents
from speciosa.core.locking import save_new_version
from speciosa.patients.facts import build_patient_facts
from speciosa.patients.models import Patient
from speciosa.plans.models import (
    CareEvent,
    CareEventStatus,
    PlanSignatureMethod,
    PlanSignerRole,
    PlanStatus,
    PlanVersion,
    Signature,
    TreatmentPlan,
)

# A plan is reviewed at least this often unless the clinician sets another date.
DEFAULT_REVIEW_DAYS = 30


def parse_document(data: dict[str, Any] | PlanDocument) -> PlanDocument:
    if isinstance(data, PlanDocument):
        return data
    try:
        return PlanDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "document"
        raise InvalidInput(field, first["msg"]) from exc


def _evaluation_json(plan: TreatmentPlan, document: PlanDocument) -> dict[str, Any]:
    facts = build_patient_facts(plan.patient)
    return {key: e.model_dump(mode="json") for key, e in evaluate_plan(document, facts).items()}


def refresh_evaluation(plan: TreatmentPlan, document: PlanDocument | None = None) -> None:
    """Re-run objective evaluation and store it. Not a clinical edit: no lock bump."""
    document = document or parse_document(plan.current_version.document)
    plan.last_evaluation = _evaluation_json(plan, document)
    plan.evaluated_at = timezone.now()
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        last_evaluation=plan.last_evaluation, evaluated_at=plan.evaluated_at
    )


def _author(actor):
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def create_plan_from_template(
    *,
    actor,
    patient: Patient,
    pathway_ids: list[str],
    start_date: date | None = None,
    taper: TaperRequest | None = None,
    title: str | None = None,
    review_due_on: date | None = None,
) -> TreatmentPlan:
    """A draft plan pre-filled from one or more pathway templates (version 1)."""
    require(actor, Action.EDIT_PLAN, patient.program_id)
    if not pathway_ids:
        raise InvalidInput("pathway_ids", "choose at least one pathway")
    if len(set(pathway_ids)) != len(pathway_ids):
        raise InvalidInput("pathway_ids", "a pathway is listed twice")
    start = start_date or timezone.localdate()
    facts = build_patient_facts(patient)
    documents = [apply_pathway(p, facts=facts, start=start, taper=taper) for p in pathway_ids]
    plan_title = title or " + ".join(d.title for d in documents)
    document = merge_documents(plan_title, start, documents)
    check_kratom_only_reduces(document, facts)
    review_on = review_due_on or start + timedelta(days=DEFAULT_REVIEW_DAYS)
    if review_on < start:
        raise InvalidInput("review_due_on", "is before the plan start")
    plan = TreatmentPlan.objects.create(
        program_id=patient.program_id,
        patient=patient,
        title=plan_title[:200],
        start_date=start,
        review_due_on=review_on,
        pathway_ids=list(pathway_ids),
        created_by=_author(actor),
    )
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        document=document.model_dump(mode="json"),
        author=_author(actor),
        reason=f"Created from template: {', '.join(pathway_ids)}",
    )
    plan.last_evaluation = _evaluation_json(plan, document)
    plan.evaluated_at = timezone.now()
    plan.save(update_fields=["last_evaluation", "evaluated_at"])
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        detail={"pathways": pathway_ids, "version": 1, "objectives": len(document.objectives())},
    )
    return plan


def check_plan_change(plan: TreatmentPlan, document: PlanDocument, reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("reason", "say why the plan changes (it is kept with the version)")
    if plan.status in {PlanStatus.COMPLETED, PlanStatus.DISCONTINUED}:
        raise Conflict(f"The plan is {plan.status}; start a new plan instead")
    check_kratom_only_reduces(document, build_patient_facts(plan.patient))


@transaction.atomic
def change_plan(
    *,
    actor,
    plan: TreatmentPlan,
    expected_version: int,
    document: dict[str, Any] | PlanDocument,
    reason: str,
) -> PlanVersion:
    """Save an edited document as the next version. ``expected_version`` is the plan's
    lock version the editor loaded; a concurrent save makes this one ``StaleVersion``."""
    require(actor, Action.EDIT_PLAN, plan.program_id)
    new = parse_document(document)
    check_plan_change(plan, new, reason)
    old = parse_document(plan.current_version.document)
    changes = diff_plans(old, new)
    if not changes:
        raise InvalidInput("document", "nothing changed")
    number = plan.current_version_number + 1
    plan.current_version_number = number
    plan.title = new.title[:200]
    save_new_version(
        plan, expected_version=expected_version, fields=["current_version_number", "title"]
    )
    try:
        with transaction.atomic():
            version = PlanVersion.objects.create(
                plan=plan,
                number=number,
                document=new.model_dump(mode="json"),
                author=_author(actor),
                reason=reason.strip()[:500],
            )
    except IntegrityError as exc:  # backstop: the lock above should make this unreachable
        raise StaleVersion("Treatment plan", expected_version, plan.version) from exc
    refresh_evaluation(plan, new)
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        detail={
            "version": number,
            "reason": reason.strip()[:500],
            "changes": [c.model_dump(mode="json") for c in changes][:50],
        },
    )
    return version


@transaction.atomic
def sign_plan(
    *,
    actor,
    plan: TreatmentPlan,
    version_number: int,
    signer_role: PlanSignerRole | str,
    typed_name: str,
    method: PlanSignatureMethod | str,
    signed_at: datetime | None = None,
) -> Signature:
    """Record a clinician or patient signature on the current version. A clinician
    signature makes a draft plan active."""
    require(actor, Action.SIGN_PLAN, plan.program_id)
    if not typed_name.strip():
        raise InvalidInput("typed_name", "type the signer's full name")
    if signer_role not in PlanSignerRole.values:
        raise InvalidInput("signer_role", f"must be one of {', '.join(PlanSignerRole.values)}")
    if method not in PlanSignatureMethod.values:
        raise InvalidInput("method", f"must be one of {', '.join(PlanSignatureMethod.values)}")
    if plan.status in {PlanStatus.COMPLETED, PlanStatus.DISCONTINUED}:
        raise Conflict(f"The plan is {plan.status}; it can no longer be signed")
    # lock the plan row so a concurrent change cannot slip in between check and insert
    locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if version_number != locked.current_version_number:
        raise StaleVersion("Treatment plan version", version_number, locked.current_version_number)
    version = locked.versions.get(number=version_number)
    if version.signatures.filter(signer_role=signer_role).exists():
        raise Conflict(f"Version {version_number} already has a {signer_role} signature")
    signature = Signature.objects.create(
        version=version,
        signer_role=signer_role,
        typed_name=typed_name.strip()[:200],
        method=method,
        signed_at=signed_at or timezone.now(),
        recorded_by=_author(actor),
    )
    if signer_role == PlanSignerRole.CLINICIAN and locked.status == PlanStatus.DRAFT:
        TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACTIVE)
        plan.status = PlanStatus.ACTIVE
    refresh_evaluation(plan)
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        detail={
            "signed": signer_role,
            "version": version_number,
            "method": method,
            "typed_name": signature.typed_name,
        },
    )
    return signature


@transaction.atomic
def review_plan(
    *,
    actor,
    plan: TreatmentPlan,
    expected_version: int,
    next_review_on: date,
    note: str = "",
    status: PlanStatus | str | None = None,
) -> TreatmentPlan:
    """Record a review: re-evaluate objectives, set the next review date, and optionally
    close the plan (completed / discontinued)."""
    require(actor, Action.EDIT_PLAN, plan.program_id)
    today = timezone.localdate()
    if next_review_on <= today and status in (None, PlanStatus.ACTIVE, PlanStatus.DRAFT):
        raise InvalidInput("next_review_on", "must be after today")
    if status is not None and status not in PlanStatus.values:
        raise InvalidInput("status", f"must be one of {', '.join(PlanStatus.values)}")
    before = plan.status
    plan.review_due_on = next_review_on
    plan.last_reviewed_at = timezone.now()
    fields = ["review_due_on", "last_reviewed_at"]
    if status is not None:
        plan.status = status
        fields.append("status")
    save_new_version(plan, expected_version=expected_version, fields=fields)
    refresh_evaluation(plan)
    write_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        detail={
            "reviewed": True,
            "note": note[:500],
            "next_review_on": next_review_on.isoformat(),
            "status": [before, plan.status],
            "objectives": {k: v["status"] for k, v in plan.last_evaluation.items()},
        },
    )
    return plan


@transaction.atomic
def record_care_event(
    *, actor, patient: Patient, kind: str, at: datetime, status: CareEventStatus | str
) -> CareEvent:
    """A scheduled or held session (e.g. "session:cbt"); attendance objectives read it."""
    require(actor, Action.EDIT_PLAN, patient.program_id)
    if status not in CareEventStatus.values:
        raise InvalidInput("status", f"must be one of {', '.join(CareEventStatus.values)}")
    if ":" not in kind or len(kind) > 40:
        raise InvalidInput("kind", 'use "category:name", e.g. "session:cbt"')
    if status in {CareEventStatus.ATTENDED, CareEventStatus.MISSED} and at > timezone.now():
        raise InvalidInput("at", "a session cannot be attended or missed in the future")
    event = CareEvent.objects.create(
        program_id=patient.program_id,
        patient=patient,
        kind=kind,
        at=at,
        status=status,
        created_by=_author(actor),
    )
    write_audit(actor=actor, action=AuditAction.CREATE, obj=event)
    for plan in patient.treatment_plans.filter(status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE]):
        refresh_evaluation(plan)
    return event
