"""JSON API of the plans app (django-ninja router, mounted at /api/plans/)."""

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.planning.document import diff_plans
from speciosa.clinical.planning.induction import InductionCheck, check_induction_readiness
from speciosa.clinical.planning.library import load_library
from speciosa.clinical.privacy.part2 import Purpose
from speciosa.patients.facts import build_patient_facts
from speciosa.patients.queries import get_patient_for_user
from speciosa.plans import services
from speciosa.plans.disclosure import PlanPdf, clean_recipient, disclose_plan_pdf
from speciosa.plans.models import PlanVersion
from speciosa.plans.queries import get_plan_for_user, plans_due_for_review, plans_for_user
from speciosa.plans.schemas import (
    CareEventIn,
    CareEventOut,
    InterventionOut,
    PathwayOut,
    PlanChangeIn,
    PlanCreateIn,
    PlanDiffOut,
    PlanOut,
    PlanReviewIn,
    PlanSignatureIn,
    PlanSignatureOut,
    PlanSummaryOut,
    PlanVersionOut,
)
from speciosa.privacy.hooks import NOTICE_HEADER

router = Router(tags=["plans"])


@router.get("/pathways", response=list[PathwayOut])
def list_pathways(request):
    return [
        PathwayOut(
            id=p.id, title=p.title, evidence_note=p.evidence_note, citations=list(p.citations)
        )
        for p in load_library().pathways.values()
    ]


@router.get("/interventions", response=list[InterventionOut])
def list_interventions(request):
    return [
        InterventionOut(**i.model_dump(exclude={"default_frequency"}))
        for i in load_library().interventions.values()
    ]


@router.get("", response=list[PlanSummaryOut])
def list_plans(
    request, patient_id: UUID | None = None, due_for_review: bool = False, limit: int = 50
):
    limit = max(1, min(limit, 200))
    if due_for_review:
        qs = plans_due_for_review(request.auth, timezone.localdate())
    else:
        qs = plans_for_user(request.auth).order_by("-updated_at", "id")
    if patient_id is not None:
        qs = qs.filter(patient=get_patient_for_user(request.auth, patient_id))
    return [PlanSummaryOut.from_model(p) for p in qs[:limit]]


@router.post("", response={201: PlanOut})
def create_plan(request, body: PlanCreateIn):
    patient = get_patient_for_user(request.auth, body.patient_id)
    plan = services.create_plan_from_template(
        actor=request.auth,
        patient=patient,
        pathway_ids=body.pathway_ids,
        start_date=body.start_date,
        taper=body.taper,
        title=body.title,
        review_due_on=body.review_due_on,
    )
    return Status(201, PlanOut.from_model(plan))


@router.get("/{plan_id}", response=PlanOut)
def read_plan(request, plan_id: UUID):
    plan = get_plan_for_user(request.auth, plan_id)
    write_audit(actor=request.auth, action=AuditAction.READ, obj=plan)
    return PlanOut.from_model(plan)


@router.put("/{plan_id}", response=PlanOut)
def change_plan(request, plan_id: UUID, body: PlanChangeIn):
    plan = get_plan_for_user(request.auth, plan_id)
    services.change_plan(
        actor=request.auth,
        plan=plan,
        expected_version=body.version,
        document=body.document,
        reason=body.reason,
    )
    return PlanOut.from_model(plan)


@router.post("/{plan_id}/signatures", response={201: PlanSignatureOut})
def sign_plan(request, plan_id: UUID, body: PlanSignatureIn):
    plan = get_plan_for_user(request.auth, plan_id)
    signature = services.sign_plan(
        actor=request.auth,
        plan=plan,
        version_number=body.version_number,
        signer_role=body.signer_role,
        typed_name=body.typed_name,
        method=body.method,
    )
    return Status(201, PlanSignatureOut.from_model(signature))


@router.post("/{plan_id}/reviews", response=PlanOut)
def review_plan(request, plan_id: UUID, body: PlanReviewIn):
    plan = get_plan_for_user(request.auth, plan_id)
    services.review_plan(
        actor=request.auth,
        plan=plan,
        expected_version=body.version,
        next_review_on=body.next_review_on,
        note=body.note,
        status=body.status,
    )
    return PlanOut.from_model(plan)


@router.get("/{plan_id}/versions", response=list[PlanVersionOut])
def list_versions(request, plan_id: UUID):
    plan = get_plan_for_user(request.auth, plan_id)
    versions = plan.versions.select_related("author").prefetch_related("signatures")
    return [PlanVersionOut.from_model(v) for v in versions.order_by("number")]


@router.get("/{plan_id}/diff", response=list[PlanDiffOut])
def diff_versions(request, plan_id: UUID, from_version: int, to_version: int):
    plan = get_plan_for_user(request.auth, plan_id)
    old = get_object_or_404(PlanVersion, plan=plan, number=from_version)
    new = get_object_or_404(PlanVersion, plan=plan, number=to_version)
    changes = diff_plans(
        services.parse_document(old.document), services.parse_document(new.document)
    )
    return [PlanDiffOut(**c.model_dump(mode="json")) for c in changes]


@router.get("/{plan_id}/induction-check", response=InductionCheck)
def induction_check(request, plan_id: UUID):
    plan = get_plan_for_user(request.auth, plan_id)
    return check_induction_readiness(build_patient_facts(plan.patient))


@router.post("/patients/{patient_id}/events", response={201: CareEventOut})
def record_care_event(request, patient_id: UUID, body: CareEventIn):
    patient = get_patient_for_user(request.auth, patient_id)
    event = services.record_care_event(
        actor=request.auth, patient=patient, kind=body.kind, at=body.at, status=body.status
    )
    return Status(201, CareEventOut(id=event.uid))


def _pdf_response(
    request, plan, document: PlanPdf, render, recipient: str | None, purpose: Purpose | None
) -> HttpResponse:
    """The PDF for in-program use, or, with ``recipient`` and ``purpose``, a Part 2
    disclosure to that recipient (``plans.disclosure``; 403 ``consent_required`` without a
    covering consent)."""
    outside = clean_recipient(recipient, purpose.value if purpose else None)
    if outside is None:
        # a PDF carries the whole plan out of the system: audited as an export
        write_audit(
            actor=request.auth, action=AuditAction.EXPORT, obj=plan, detail={"pdf": document.value}
        )
        response = HttpResponse(render(plan), content_type="application/pdf")
    else:
        disclosed = disclose_plan_pdf(
            actor=request.auth,
            plan=plan,
            document=document,
            recipient=outside[0],
            purpose=outside[1],
            render=render,
        )
        response = HttpResponse(disclosed.content, content_type="application/pdf")
        response[NOTICE_HEADER] = disclosed.receipt.short_notice
    response["Content-Disposition"] = f'inline; filename="{document}-{plan.uid}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# recipient + purpose: a PDF for someone outside the program (42 CFR Part 2 disclosure)
RECIPIENT_DOC = "Person or organisation outside the program; needs their Part 2 consent"


@router.get("/{plan_id}/pdf")
def plan_pdf(
    request,
    plan_id: UUID,
    recipient: str | None = Query(None, description=RECIPIENT_DOC),
    purpose: Purpose | None = None,
):
    from speciosa.plans.pdf import render_plan_pdf

    plan = get_plan_for_user(request.auth, plan_id)
    return _pdf_response(request, plan, PlanPdf.TREATMENT_PLAN, render_plan_pdf, recipient, purpose)


@router.get("/{plan_id}/discharge-summary.pdf")
def discharge_summary_pdf(
    request,
    plan_id: UUID,
    recipient: str | None = Query(None, description=RECIPIENT_DOC),
    purpose: Purpose | None = None,
):
    from speciosa.plans.pdf import render_discharge_summary_pdf

    plan = get_plan_for_user(request.auth, plan_id)
    return _pdf_response(
        request,
        plan,
        PlanPdf.DISCHARGE_SUMMARY,
        render_discharge_summary_pdf,
        recipient,
        purpose,
    )
