"""JSON API of the privacy app: Part 2 consents, accounting of disclosures, break-the-glass.

Mounted at /api/privacy/. Every route starts from a scoped read (another program's
patient is a 404) and every write goes through ``privacy/services.py``.
"""

from uuid import UUID

from ninja import Router, Status

from speciosa.accounts.permissions import Action, require
from speciosa.clinical.errors import NotFound, PermissionDenied
from speciosa.clinical.privacy.part2 import accounting_lookback_days, citation
from speciosa.patients.models import Patient
from speciosa.patients.queries import get_patient_for_user
from speciosa.privacy import queries, services
from speciosa.privacy.models import Part2Consent
from speciosa.privacy.schemas import (
    AccountingOut,
    BreakGlassIn,
    BreakGlassOut,
    BreakGlassReportRow,
    DisclosureCheckIn,
    DisclosureCheckOut,
    DisclosureOut,
    Part2ConsentIn,
    Part2ConsentOut,
    RevokeIn,
)

router = Router(tags=["privacy"])


@router.get("/patients/{patient_id}/consents", response=list[Part2ConsentOut])
def list_consents(request, patient_id: UUID):
    patient = get_patient_for_user(request.auth, patient_id)
    consents = Part2Consent.objects.filter(patient=patient).order_by("-effective_at", "-id")
    return [Part2ConsentOut.from_model(c) for c in consents]


@router.post("/patients/{patient_id}/consents", response={201: Part2ConsentOut})
def add_consent(request, patient_id: UUID, body: Part2ConsentIn):
    patient = get_patient_for_user(request.auth, patient_id)
    consent = services.record_consent(
        actor=request.auth,
        patient=patient,
        recipient=body.recipient,
        purposes=[p.value for p in body.purposes],
        categories=[c.value for c in body.categories],
        expires_at=body.expires_at,
        effective_at=body.effective_at,
        signature_name=body.signature_name,
        signature_method=body.signature_method,
    )
    return Status(201, Part2ConsentOut.from_model(consent))


@router.post("/consents/{consent_id}/revoke", response=Part2ConsentOut)
def revoke(request, consent_id: UUID, body: RevokeIn):
    consent = Part2Consent.objects.filter(uid=consent_id).select_related("patient").first()
    if consent is None:
        raise NotFound("Consent not found")
    get_patient_for_user(request.auth, consent.patient.uid)  # 404 for other programs
    services.revoke_consent(actor=request.auth, consent=consent, reason=body.reason)
    return Part2ConsentOut.from_model(consent)


@router.post("/patients/{patient_id}/disclosure-check", response=DisclosureCheckOut)
def check(request, patient_id: UUID, body: DisclosureCheckIn):
    """Would this disclosure be allowed? 403 consent_required when not (nothing is sent)."""
    patient = get_patient_for_user(request.auth, patient_id)
    require(request.auth, Action.DISCLOSE, patient.program_id)
    consent = services.check_disclosure(
        patient, body.recipient, body.purpose.value, [c.value for c in body.categories]
    )
    from speciosa.clinical.privacy.part2 import redisclosure_notice, scope_statement

    return DisclosureCheckOut(
        allowed=True,
        consent=consent.uid,
        scope=scope_statement(consent.terms()),
        notice=redisclosure_notice(),
    )


@router.get("/patients/{patient_id}/disclosures", response=AccountingOut)
def accounting(request, patient_id: UUID):
    """The accounting of disclosures for one patient (42 CFR 2.25), newest first."""
    patient = get_patient_for_user(request.auth, patient_id, audit_read=True)
    require(request.auth, Action.MANAGE_CONSENT, patient.program_id)
    return AccountingOut(
        patient=patient.uid,
        since_days=accounting_lookback_days(),
        disclosures=[
            DisclosureOut.from_model(d) for d in queries.accounting_of_disclosures(patient)
        ],
        citation=citation("part2-accounting-of-disclosures").short(),
    )


@router.post("/break-glass", response={201: BreakGlassOut})
def break_glass(request, body: BreakGlassIn):
    """Emergency read access to a patient outside your programs (reason required)."""
    if not services.may_break_glass(request.auth):
        raise PermissionDenied("Your role may not break the glass")
    patient = Patient.objects.filter(uid=body.patient).first()
    if patient is None:
        raise NotFound("Patient not found")
    grant = services.break_glass(actor=request.auth, patient=patient, reason=body.reason)
    return Status(
        201, BreakGlassOut(grant=grant.uid, patient=patient.uid, expires_at=grant.expires_at)
    )


@router.get("/break-glass", response=list[BreakGlassReportRow])
def break_glass_report(request, days: int = 30):
    """Grants in the programs whose audit trail you may read, with chart reads per grant."""
    program_ids = queries.audited_program_ids(request.auth)
    if not program_ids:
        raise PermissionDenied("Your role may not read the audit trail")
    rows = queries.break_glass_report(program_ids, days=max(1, min(days, 3650)))
    return [BreakGlassReportRow(**row) for row in rows]
