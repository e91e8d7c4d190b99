"""Scoped reads. Every read of patient data starts here."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F

from speciosa.accounts.access import remember_roles
from speciosa.accounts.models import CLINICAL_ROLES
from speciosa.accounts.permissions import Action, can, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import NotFound
from speciosa.core.compiled import CompiledQuery
from speciosa.patients.models import Patient


def patients_for_user(user):
    return Patient.objects.for_user(user)


def get_patient_for_user(user, patient_uid, *, audit_read: bool = False) -> Patient:
    """The patient with ``patient_uid`` if ``user`` may see it, else ``NotFound`` (-> 404).

    With ``audit_read`` the chart read is written to the audit trail.
    """
    try:
        patient = _patient_in_users_programs(user, patient_uid)
        if patient is None:  # not in the user's programs: maybe under a break-glass grant
            patient = (
                patients_for_user(user).select_related("program").filter(uid=patient_uid).first()
            )
    except (ValidationError, ValueError):
        patient = None
    if patient is None:
        raise NotFound("Patient not found")
    if not can(user, Action.VIEW_CHART, patient.program_id):
        grant = _break_glass_grant(user, patient)
        if grant is None:
            require(user, Action.VIEW_CHART, patient.program_id)  # raises 404 or 403
        else:
            # every access under a grant is audited, whatever the caller asked for
            write_audit(
                actor=user,
                action=AuditAction.BREAK_GLASS,
                obj=patient,
                object_type="chart",
                detail={"grant": str(grant.uid), "expires_at": grant.expires_at.isoformat()},
            )
            return patient
    if audit_read:
        write_audit(actor=user, action=AuditAction.READ, obj=patient, object_type="chart")
    return patient


# the patient, once per active role the user holds in the patient's program
_PATIENT_WITH_ROLES = CompiledQuery(
    lambda uid, user_id: (
        Patient.objects.select_related("program")
        .filter(
            uid=uid, program__memberships__user_id=user_id, program__memberships__is_active=True
        )
        .annotate(viewer_role=F("program__memberships__role"))
    ),
    kinds=(UUID, int),
)


def _patient_in_users_programs(user, patient_uid) -> Patient | None:
    """The patient if it belongs to one of ``user``'s programs (the common case).

    One compiled statement reads the patient together with the user's active roles in
    its program; the same rule as ``Patient.objects.for_user`` (a clinical role there)
    decides, and the roles are kept for the permission checks that follow
    (``accounts.access.remember_roles``), so they need no membership query.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    found = _PATIENT_WITH_ROLES.models(patient_uid, user.pk)
    if not found:
        return None
    patient = found[0]
    roles = {p.viewer_role for p in found}
    remember_roles(user, patient.program_id, roles)
    return patient if roles & CLINICAL_ROLES else None


def _break_glass_grant(user, patient: Patient):
    from speciosa.privacy.queries import active_grant_for

    return active_grant_for(user, patient)
