"""42 CFR Part 2 consent matching: may this disclosure go out under a patient's consent?

Pure: the app passes consent terms and a disclosure request and gets back the consent
that covers it, or the reasons none does. The regulatory texts and their citations live
in ``data/part2.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file

DATA_FILE = Path(__file__).parent / "data" / "part2.yaml"


class Purpose(StrEnum):
    TREATMENT = "treatment"
    PAYMENT = "payment"
    HEALTH_CARE_OPERATIONS = "health_care_operations"
    REGISTRY_REPORTING = "registry_reporting"
    RESEARCH = "research"
    PATIENT_REQUEST = "patient_request"  # the patient's own designee
    OTHER = "other"


class DataCategory(StrEnum):
    DEMOGRAPHICS = "demographics"
    EPISODES = "episodes"
    SUBSTANCE_USE = "substance_use"
    DIAGNOSES = "diagnoses"
    MEDICATIONS = "medications"
    LABS = "labs"
    SCORES = "scores"
    PLANS = "plans"
    ALERTS = "alerts"
    STUDY_DATA = "study_data"


class Channel(StrEnum):
    PDF_EXPORT = "pdf_export"
    FHIR_EXTERNAL_CLIENT = "fhir_external_client"
    BULK_EXPORT = "bulk_export"
    OTHER = "other"


@dataclass(frozen=True)
class ConsentTerms:
    consent_id: str
    recipient: str
    purposes: frozenset[Purpose]
    categories: frozenset[DataCategory]
    effective_at: datetime
    expires_at: datetime
    signed_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class DisclosureRequest:
    recipient: str
    purpose: Purpose
    categories: frozenset[DataCategory]
    at: datetime


def same_recipient(a: str, b: str) -> bool:
    """Recipients match case- and whitespace-insensitively ("Ohio  Registry" = "ohio registry")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def refusal_reason(terms: ConsentTerms, request: DisclosureRequest) -> str | None:
    """Why ``terms`` do not cover ``request``; None when they do."""
    if terms.signed_at is None:
        return "consent is not signed"
    if terms.revoked_at is not None and terms.revoked_at <= request.at:
        return "consent was revoked"
    if request.at < terms.effective_at:
        return "consent is not yet in effect"
    if request.at >= terms.expires_at:
        return "consent has expired"
    if not same_recipient(terms.recipient, request.recipient):
        return "consent names another recipient"
    if request.purpose not in terms.purposes:
        return f"consent does not cover the purpose {request.purpose.value}"
    missing = sorted(c.value for c in request.categories - terms.categories)
    if missing:
        return "consent does not cover: " + ", ".join(missing)
    return None


def matching_consent(
    consents: Iterable[ConsentTerms], request: DisclosureRequest
) -> ConsentTerms | None:
    """The covering consent that runs longest, or None."""
    covering = [t for t in consents if refusal_reason(t, request) is None]
    return max(covering, key=lambda t: (t.expires_at, t.consent_id), default=None)


def refusal_reasons(consents: Iterable[ConsentTerms], request: DisclosureRequest) -> list[str]:
    reasons = [f"{t.consent_id}: {refusal_reason(t, request)}" for t in consents]
    return reasons or ["no consent on file"]


@cache
def _entries() -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in load_data_file(DATA_FILE)}


def redisclosure_notice(*, short: bool = False) -> str:
    """The notice that must accompany every disclosure (42 CFR 2.32(a))."""
    entry = _entries()["part2-redisclosure-notice"]
    return str(entry["short_text"] if short else entry["text"])


def notice_version() -> str:
    return str(_entries()["part2-redisclosure-notice"]["version"])


def citation(entry_id: str) -> Citation:
    return Citation(**_entries()[entry_id]["citation"])


def accounting_lookback_days() -> int:
    return int(_entries()["part2-accounting-of-disclosures"]["lookback_days"])


def scope_statement(terms: ConsentTerms) -> str:
    """The "clear explanation of the scope of the consent" that 2.32(b) asks to send along."""
    purposes = ", ".join(sorted(p.value.replace("_", " ") for p in terms.purposes))
    categories = ", ".join(sorted(c.value.replace("_", " ") for c in terms.categories))
    return (
        f"Disclosed under the patient's consent {terms.consent_id} to {terms.recipient} "
        f"for {purposes}; covers {categories}; valid until {terms.expires_at:%Y-%m-%d} "
        "unless revoked earlier."
    )
