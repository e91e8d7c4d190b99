"""Plan PDFs for a named recipient outside the program: a 42 CFR Part 2 disclosure.

``disclose_plan_pdf`` logs the disclosure (``privacy.services.record_disclosure``: the
DISCLOSE permission, a covering consent, one ``Disclosure`` row and its audit row) and
only then renders the PDF, whose first page prints the re-disclosure notice (2.32(a)) and
the consent's scope (2.32(b)). The API (``plans/api.py``) and the chart page
(``web/views.py``) both call it. Without a recipient a PDF is in-program use, not a
disclosure, and goes through ``_pdf_response`` in the API as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import ConsentRequired, InvalidInput, PermissionDenied
from speciosa.clinical.privacy.part2 import Channel, DataCategory, Purpose
from speciosa.plans.models import TreatmentPlan
from speciosa.privacy.services import DisclosureReceipt, record_disclosure

RECIPIENT_MAX_LENGTH = 200  # Disclosure.recipient


class PlanPdf(StrEnum):
    TREATMENT_PLAN = "treatment-plan"
    DISCHARGE_SUMMARY = "discharge-summary"


_PLAN_PDF = frozenset(
    {
        DataCategory.DEMOGRAPHICS,  # name, MRN, date of birth in the heading
        DataCategory.PLANS,  # problems, goals, objectives, interventions, signatures
        DataCategory.DIAGNOSES,  # problems carry ICD-10-CM codes (e.g. F11.20)
        DataCategory.SCORES,  # objective summaries and the score trend charts
        DataCategory.SUBSTANCE_USE,  # kratom g/day summaries and the taper schedule
        DataCategory.LABS,  # drug-screen objectives print their results
    }
)
# What each PDF prints, by Part 2 data category. Fixed per document rather than per plan:
# the problem list of an addiction plan already tells substance use, and a consent form
# is easier to get right against a fixed list (docs/plans.md).
PDF_CATEGORIES: dict[PlanPdf, frozenset[DataCategory]] = {
    PlanPdf.TREATMENT_PLAN: _PLAN_PDF,
    PlanPdf.DISCHARGE_SUMMARY: _PLAN_PDF
    | {
        DataCategory.EPISODES,  # ASAM level, admission and discharge dates, discharge reason
        DataCategory.MEDICATIONS,  # current medications
    },
}


@dataclass(frozen=True)
class DisclosedPdf:
    content: bytes
    receipt: DisclosureReceipt


def clean_recipient(recipient: str | None, purpose: str | None) -> tuple[str, str] | None:
    """(recipient, purpose) of a PDF for someone outside the program; None for in-program use.

    Both or neither: a disclosure always names its purpose, and a purpose alone names
    nobody to disclose to."""
    name = " ".join((recipient or "").split())
    if not name and not purpose:
        return None
    if not name:
        raise InvalidInput("recipient", "name the person or organisation receiving the PDF")
    if len(name) > RECIPIENT_MAX_LENGTH:
        raise InvalidInput("recipient", f"at most {RECIPIENT_MAX_LENGTH} characters")
    if not purpose:
        raise InvalidInput("purpose", "state the purpose of the disclosure")
    try:
        return name, Purpose(purpose).value
    except ValueError as exc:
        allowed = ", ".join(p.value for p in Purpose)
        raise InvalidInput("purpose", f"{purpose!r} is not one of {allowed}") from exc


def disclose_plan_pdf(
    *,
    actor,
    plan: TreatmentPlan,
    document: PlanPdf,
    recipient: str,
    purpose: str,
    render: Callable[..., bytes],
) -> DisclosedPdf:
    """Log the disclosure, then render ``document`` with the Part 2 notice and scope.

    ``render(plan, disclosure=...)`` is one of ``plans.pdf.render_*_pdf``. A refusal (no
    DISCLOSE permission, no covering consent) writes no ``Disclosure`` row, renders
    nothing, is audited as a refused export of the plan, and is re-raised.

    The disclosure commits before rendering: WeasyPrint takes about a second, too long to
    hold the audit chain's lock. If rendering fails, the log shows a disclosure whose PDF
    was never sent, which errs on the side of the patient's accounting.
    """
    detail = {"pdf": document.value, "recipient": recipient, "purpose": purpose}
    try:
        with transaction.atomic():
            receipt = record_disclosure(
                actor=actor,
                patient=plan.patient,
                recipient=recipient,
                purpose=purpose,
                categories=[c.value for c in PDF_CATEGORIES[document]],
                channel=Channel.PDF_EXPORT,
                description=f"{document.value} PDF, plan {plan.uid} "
                f"version {plan.current_version_number}",
            )
            write_audit(
                actor=actor,
                action=AuditAction.EXPORT,
                obj=plan,
                detail=detail | {"disclosure": str(receipt.disclosure.uid)},
            )
    except (ConsentRequired, PermissionDenied) as exc:
        # the refused attempt stays on the record, as the FHIR endpoint's 403s do
        write_audit(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=plan,
            detail=detail | {"status": 403, "refused": exc.code},
        )
        raise
    content = render(plan, disclosure=notice_context(receipt))
    return DisclosedPdf(content=content, receipt=receipt)


def notice_context(receipt: DisclosureReceipt) -> dict[str, str]:
    """What the PDF templates print about the disclosure (``plans/_part2_notice.html``)."""
    disclosure = receipt.disclosure
    return {
        "recipient": disclosure.recipient,
        "purpose": disclosure.purpose.replace("_", " "),
        "disclosed_at": timezone.localtime(disclosure.disclosed_at).strftime("%Y-%m-%d %H:%M"),
        "disclosed_by": str(disclosure.disclosed_by or ""),
        "reference": str(disclosure.uid),
        "notice": receipt.notice,
        "short_notice": receipt.short_notice,
        "scope": receipt.scope,
    }
