"""Write actions and checks for 42 CFR Part 2 consent, disclosures and break-the-glass.

``check_disclosure`` is the gate: it raises ``ConsentRequired`` unless a signed, active
consent names the recipient and purpose and covers every category. ``record_disclosure``
runs the gate, logs the disclosure and returns the receipt whose notice must travel with
the data. Every code path that sends patient data outside the program calls it (see
``privacy/hooks.py`` and docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from speciosa.accounts.access import memberships_for
from speciosa.accounts.permissions import Action, can, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import Conflict, ConsentRequired, InvalidInput, PermissionDenied
from speciosa.clinical.privacy import part2
from speciosa.clinical.privacy.part2 import Channel, DataCategory, DisclosureRequest, Purpose
from speciosa.patients.models import Patient
from speciosa.privacy.models import BreakGlassGrant, Disclosure, Part2Consent, SignatureMethod


def _enum_values(enum, values: Iterable[str], field: str) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            out.append(enum(value).value)
        except ValueError as exc:
            allowed = ", ".join(m.value for m in enum)
            raise InvalidInput(field, f"{value!r} is not one of {allowed}") from exc
    if not out:
        raise InvalidInput(field, "name at least one")
    return sorted(set(out))


@transaction.atomic
def record_consent(
    *,
    actor,
    patient: Patient,
    recipient: str,
    purposes: Iterable[str],
    categories: Iterable[str],
    expires_at: datetime,
    signature_name: str,
    signature_method: str = SignatureMethod.ELECTRONIC,
    effective_at: datetime | None = None,
) -> Part2Consent:
    """Record a patient's signed Part 2 consent (42 CFR 2.31)."""
    require(actor, Action.MANAGE_CONSENT, patient.program_id)
    effective_at = effective_at or timezone.now()
    if not recipient.strip():
        raise InvalidInput("recipient", "name the person or organisation")
    if not signature_name.strip():
        raise InvalidInput("signature_name", "the patient's signature is required")
    if expires_at <= effective_at:
        raise InvalidInput("expires_at", "must be after the consent takes effect")
    if signature_method not in SignatureMethod.values:
        raise InvalidInput("signature_method", f"one of {', '.join(SignatureMethod.values)}")
    consent = Part2Consent.objects.create(
        program_id=patient.program_id,
        patient=patient,
        created_by=actor,
        recipient=" ".join(recipient.split()),
        purposes=_enum_values(Purpose, purposes, "purposes"),
        categories=_enum_values(DataCategory, categories, "categories"),
        effective_at=effective_at,
        expires_at=expires_at,
        signed_at=timezone.now(),
        signature_name=signature_name.strip(),
        signature_method=signature_method,
    )
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=consent,
        detail={"recipient": consent.recipient, "purposes": consent.purposes},
    )
    return consent


@transaction.atomic
def revoke_consent(*, actor, consent: Part2Consent, reason: str = "") -> Part2Consent:
    """Revoke a consent from now on; disclosures already made stay in the log."""
    require(actor, Action.MANAGE_CONSENT, consent.program_id)
    if consent.revoked_at is not None:
        raise Conflict("This consent is already revoked")
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.revocation_reason = reason[:300]
    consent.version += 1
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_reason", "version"])
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=consent, detail={"revoked": True})
    return consent


def check_disclosure(
    patient: Patient,
    recipient: str,
    purpose: str,
    categories: Iterable[str],
    *,
    at: datetime | None = None,
) -> Part2Consent:
    """The consent that allows this disclosure; ``ConsentRequired`` when there is none."""
    request = DisclosureRequest(
        recipient=recipient,
        purpose=Purpose(purpose),
        categories=frozenset(DataCategory(c) for c in categories),
        at=at or timezone.now(),
    )
    consents = {str(c.uid): c for c in Part2Consent.objects.filter(patient=patient)}
    terms = [c.terms() for c in consents.values()]
    match = part2.matching_consent(terms, request)
    if match is None:
        raise ConsentRequired(
            request.purpose.value,
            f"No active 42 CFR Part 2 consent of this patient allows disclosing "
            f"{', '.join(sorted(c.value for c in request.categories))} to {recipient} "
            f"for {request.purpose.value}",
        )
    return consents[match.consent_id]


@dataclass(frozen=True)
class DisclosureReceipt:
    """What the caller must send along with the data (42 CFR 2.32)."""

    disclosure: Disclosure
    consent: Part2Consent
    notice: str  # the full re-disclosure notice, statement 1
    short_notice: str  # statement 2, for headers and manifests
    scope: str  # "clear explanation of the scope of the consent" (2.32(b))


@transaction.atomic
def record_disclosure(
    *,
    actor,
    patient: Patient,
    recipient: str,
    purpose: str,
    categories: Iterable[str],
    channel: Channel,
    description: str = "",
    via_token=None,
) -> DisclosureReceipt:
    """Check consent, log the disclosure, and return the notice to send with the data.

    Staff disclosures need the DISCLOSE action in the patient's program. A disclosure to
    an external API client (``via_token``) is authorised by the token an administrator
    issued to that client, so no staff role is checked; the consent still is.
    """
    if via_token is None:
        require(actor, Action.DISCLOSE, patient.program_id)
    categories = sorted(set(categories))
    consent = check_disclosure(patient, recipient, purpose, categories)
    disclosure = Disclosure.objects.create(
        program_id=patient.program_id,
        patient=patient,
        consent=consent,
        recipient=recipient,
        purpose=Purpose(purpose).value,
        categories=categories,
        channel=channel.value,
        description=description[:300],
        disclosed_by=actor if getattr(actor, "pk", None) else None,
        notice_version=part2.notice_version(),
    )
    detail = {
        "recipient": recipient,
        "purpose": disclosure.purpose,
        "categories": categories,
        "channel": disclosure.channel,
        "consent": str(consent.uid),
    }
    if via_token is not None:
        detail["token"] = via_token.prefix
    write_audit(actor=actor, action=AuditAction.DISCLOSE, obj=disclosure, detail=detail)
    return DisclosureReceipt(
        disclosure=disclosure,
        consent=consent,
        notice=part2.redisclosure_notice(),
        short_notice=part2.redisclosure_notice(short=True),
        scope=part2.scope_statement(consent.terms()),
    )


# --- break the glass --------------------------------------------------------------------


def may_break_glass(user) -> bool:
    return any(can(user, Action.BREAK_GLASS, m.program_id) for m in memberships_for(user))


@transaction.atomic
def break_glass(*, actor, patient: Patient, reason: str) -> BreakGlassGrant:
    """Grant ``actor`` read access to ``patient`` for SPECIOSA_BREAK_GLASS_MINUTES.

    Policy: switched on by SPECIOSA_BREAK_GLASS_ENABLED; only roles holding BREAK_GLASS in
    some program; a reason of at least SPECIOSA_BREAK_GLASS_MIN_REASON characters. The
    grant is written to the *patient's* program audit chain so its director sees it.
    """
    if not settings.SPECIOSA_BREAK_GLASS_ENABLED:
        raise PermissionDenied("Break-the-glass access is switched off by policy")
    if not may_break_glass(actor):
        raise PermissionDenied("Your role may not break the glass")
    if can(actor, Action.VIEW_CHART, patient.program_id):
        raise Conflict("You already have access to this patient")
    reason = " ".join(reason.split())
    if len(reason) < settings.SPECIOSA_BREAK_GLASS_MIN_REASON:
        raise InvalidInput(
            "reason",
            f"state why (at least {settings.SPECIOSA_BREAK_GLASS_MIN_REASON} characters)",
        )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        user=actor,
        patient=patient,
        program_id=patient.program_id,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=settings.SPECIOSA_BREAK_GLASS_MINUTES),
    )
    write_audit(
        actor=actor,
        action=AuditAction.BREAK_GLASS,
        obj=patient,
        object_type="break_glass_grant",
        object_id=str(grant.uid),
        detail={"reason": reason, "expires_at": grant.expires_at.isoformat()},
    )
    return grant
