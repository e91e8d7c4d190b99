"""Creating and using patient self-report links.

A clinician creates a link for chosen instruments; the patient opens it on a phone, with
no account, and sees only the questionnaires — nothing of the record. The link is bound
to one patient, expires, and works once. Only a SHA-256 of the token is stored.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import DomainError, InvalidInput
from speciosa.selfreport.models import SelfReportLink

MAX_VALID_HOURS = 7 * 24
DEFAULT_VALID_HOURS = 72


class LinkUnusable(DomainError):
    """The link is unknown, expired, already used or revoked. ``reason`` says which."""

    code = "link_unusable"

    def __init__(self, reason: str) -> None:
        messages = {
            "unknown": "This link is not valid. Please ask your care team for a new one.",
            "expired": "This link has expired. Please ask your care team for a new one.",
            "used": "This link has already been used. Thank you — your answers were received.",
            "revoked": "This link was withdrawn by your care team.",
        }
        super().__init__(messages[reason], detail={"reason": reason})
        self.reason = reason


@dataclass(frozen=True)
class SubmissionResult:
    scores: list  # measures.Score rows
    has_critical: bool


def self_report_instruments() -> dict:
    """Scorable instruments a patient can answer alone (not clinician-administered)."""
    from speciosa.clinical.instruments.catalog import load_catalog
    from speciosa.measures.services import instrument_dir

    return {
        i.id: i
        for i in load_catalog(instrument_dir()).values()
        if i.is_scorable and i.scoring.administered_by.value != "clinician"
    }


@transaction.atomic
def create_self_report_link(
    *, actor, patient, instrument_ids: list[str], valid_hours: int = DEFAULT_VALID_HOURS
) -> tuple[SelfReportLink, str]:
    """Create a link; returns it with the one-time token (only its hash is stored)."""
    require(actor, Action.CREATE_SELF_REPORT_LINK, patient.program_id)
    chosen = list(dict.fromkeys(instrument_ids))
    if not chosen:
        raise InvalidInput("instrument_ids", "choose at least one questionnaire")
    available = self_report_instruments()
    unknown = [i for i in chosen if i not in available]
    if unknown:
        raise InvalidInput("instrument_ids", f"{unknown[0]!r} is not a self-report questionnaire")
    if not 1 <= valid_hours <= MAX_VALID_HOURS:
        raise InvalidInput("valid_hours", f"must be between 1 and {MAX_VALID_HOURS}")
    token = secrets.token_urlsafe(24)
    link = SelfReportLink.objects.create(
        program_id=patient.program_id,
        patient=patient,
        token_hash=SelfReportLink.hash_token(token),
        instrument_ids=chosen,
        expires_at=timezone.now() + timedelta(hours=valid_hours),
        created_by=actor,
    )
    write_audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=link,
        detail={"instruments": chosen, "valid_hours": valid_hours},
    )
    return link, token


def find_usable_link(token: str, *, for_update: bool = False) -> SelfReportLink:
    """The open link for ``token`` or ``LinkUnusable`` naming why not."""
    if not token or len(token) > 100:
        raise LinkUnusable("unknown")
    qs = SelfReportLink.objects.select_related("patient", "program", "created_by")
    if for_update:
        qs = qs.select_for_update(of=("self",))  # created_by is a nullable outer join
    link = qs.filter(token_hash=SelfReportLink.hash_token(token)).first()
    if link is None:
        raise LinkUnusable("unknown")
    if link.status != "open":
        raise LinkUnusable(link.status)
    return link


@transaction.atomic
def submit_self_report(*, token: str, answers: dict[str, dict[str, object]]) -> SubmissionResult:
    """Record every questionnaire of the link in one transaction, then close the link.

    Any invalid answer raises ``InvalidAnswer`` and stores nothing; the link stays open so
    the patient can correct it. Safety rules run through ``record_response``.
    """
    from speciosa.measures.services import record_response

    link = find_usable_link(token, for_update=True)
    scores = []
    for instrument_id in link.instrument_ids:
        scores.append(
            record_response(
                actor=link,
                patient=link.patient,
                instrument_id=instrument_id,
                answers=answers.get(instrument_id, {}),
                source="self_report",
            )
        )
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    write_audit(
        actor=None,
        action=AuditAction.UPDATE,
        obj=link,
        detail={"submitted": link.instrument_ids, "via": "patient self-report link"},
    )
    return SubmissionResult(scores=scores, has_critical=any(s.critical_items for s in scores))
