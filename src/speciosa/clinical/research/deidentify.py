"""HIPAA Safe Harbor de-identification helpers (45 CFR 164.514(b)(2)).

- Direct identifiers are dropped (names, MRN, contact details, address, birth date...).
- Each subject is known by a study subject id assigned at enrolment; it is not derived
  from the patient's data (45 CFR 164.514(c)).
- Dates: ``DatePolicy.SHIFT`` moves every date of a subject by the same secret offset, so
  intervals within a subject survive; strict Safe Harbor (b)(2)(i)(C) allows only the
  year, which ``DatePolicy.YEAR_ONLY`` gives. Shifted dates are a limited-data-set /
  expert-determination practice, documented as such in docs/research.md.
- Ages over 89 are aggregated into one category, coded 90 ("90 or older").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file

AGE_TOP_CODE = 90  # "90 or older": 45 CFR 164.514(b)(2)(i)(C)
DEFAULT_MAX_SHIFT_DAYS = 180

# Column names (any table) that hold a direct identifier and never leave the system.
DIRECT_IDENTIFIER_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "full_name",
        "name",
        "mrn",
        "phone",
        "fax",
        "email",
        "address",
        "zip",
        "postal_code",
        "city",
        "birth_date",
        "ssn",
        "insurance_id",
        "account_number",
        "licence_number",
        "device_id",
        "url",
        "ip_address",
        "photo",
        "uid",
        "patient_uid",
        "patient_id",
        "patient_key",
        "signature_name",
        "notes",
        "description",
        "text",
    }
)


class DatePolicy(StrEnum):
    SHIFT = "shift"  # per-subject consistent shift (intervals preserved)
    YEAR_ONLY = "year_only"  # strict Safe Harbor: year of the (unshifted) date only


@cache
def safe_harbor_citation() -> Citation:
    data = load_data_file(Path(__file__).parent / "data" / "safe_harbor.yaml")
    return Citation.model_validate(data["citation"])


def date_shift_days(secret: str, subject_id: str, max_days: int = DEFAULT_MAX_SHIFT_DAYS) -> int:
    """A per-subject offset in [-max_days, max_days] \\ {0}: same subject, same offset.

    Keyed HMAC of the study subject id, so the offset cannot be recomputed without the
    study's secret and reveals nothing about the patient.
    """
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    digest = hmac.new(secret.encode(), subject_id.encode(), hashlib.sha256).digest()
    magnitude = int.from_bytes(digest[:4], "big") % max_days + 1
    return magnitude if digest[4] & 1 else -magnitude


def top_code_age(age: int | None) -> int | None:
    if age is None:
        return None
    return min(age, AGE_TOP_CODE)


def transform_date(value: date | datetime | None, shift: int, policy: DatePolicy) -> Any:
    if value is None:
        return None
    if policy is DatePolicy.YEAR_ONLY:
        return value.year
    shifted = value + timedelta(days=shift)
    # times of day are identifying too (admission times); keep the date only
    return shifted.date() if isinstance(shifted, datetime) else shifted


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How to de-identify one table: which column names the subject, which hold dates and
    which hold ages. Every column in ``DIRECT_IDENTIFIER_FIELDS`` is dropped."""

    subject_field: str  # column with the study subject id (already substituted)
    date_fields: frozenset[str] = frozenset()
    age_fields: frozenset[str] = frozenset()
    keep_fields: frozenset[str] | None = None  # allow-list; None keeps all non-identifiers


def deidentify_rows(
    rows: Iterable[Mapping[str, Any]],
    spec: TableSpec,
    *,
    secret: str,
    policy: DatePolicy = DatePolicy.SHIFT,
    max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS,
) -> list[dict[str, Any]]:
    """De-identified copies of ``rows`` (the inputs are not changed)."""
    out = []
    shifts: dict[str, int] = {}  # one HMAC per subject, not per row
    for row in rows:
        subject = str(row[spec.subject_field])
        shift = shifts.get(subject)
        if shift is None:
            shift = shifts[subject] = date_shift_days(secret, subject, max_shift_days)
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if key in DIRECT_IDENTIFIER_FIELDS and key != spec.subject_field:
                continue
            if spec.keep_fields is not None and key not in spec.keep_fields | {spec.subject_field}:
                continue
            if key in spec.date_fields:
                clean[key] = transform_date(value, shift, policy)
            elif key in spec.age_fields:
                clean[key] = top_code_age(value)
            else:
                clean[key] = value
        out.append(clean)
    return out


def find_identifier_leaks(
    rows: Iterable[Mapping[str, Any]], identifiers: Iterable[str]
) -> list[tuple[int, str, str]]:
    """(row index, column, identifier) for every cell that contains an identifier value.

    The export runs this over its output with every patient's name, MRN, email and phone:
    a last guard against a free-text column carrying an identifier through.
    """
    needles = sorted({i.lower() for i in identifiers if i and len(i) >= 3})
    if not needles:
        return []
    # one compiled alternation scans a cell once; the per-needle check runs only on a hit
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    leaks: list[tuple[int, str, str]] = []
    for index, row in enumerate(rows):
        for column, value in row.items():
            if not isinstance(value, str) or pattern.search(value) is None:
                continue
            lowered = value.lower()
            leaks.extend((index, column, n) for n in needles if n in lowered)
    return leaks
