"""Validation rules for recorded clinical facts (pure; the models and API call these)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from speciosa.clinical.errors import InvalidInput

# ICD-10-CM: letter, digit, alphanumeric, then optional "." and 1-4 alphanumerics.
# CMS ICD-10-CM Official Guidelines, Section I.A (code structure). Letter U is reserved
# but used for emergency codes (U07.1), so all letters are accepted.
ICD10_CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")

# Upper plausibility bound for self-reported kratom use. Reports of heavy daily use reach
# tens of grams; anything above this is almost certainly a unit error (mg vs g).
MAX_KRATOM_GRAMS_PER_DAY = Decimal("250")


def normalise_icd10(code: str) -> str:
    cleaned = code.strip().upper()
    if "." not in cleaned and len(cleaned) > 3:
        cleaned = cleaned[:3] + "." + cleaned[3:]
    if not ICD10_CM.match(cleaned):
        raise InvalidInput(
            "icd10_code",
            f"{code!r} is not an ICD-10-CM code (expected e.g. F11.20: letter, two characters, "
            "optional dot and up to four more)",
        )
    return cleaned


def check_grams_per_day(grams: Decimal | None) -> None:
    if grams is None:
        return
    if grams < 0:
        raise InvalidInput("grams_per_day", "must not be negative")
    if grams > MAX_KRATOM_GRAMS_PER_DAY:
        raise InvalidInput(
            "grams_per_day",
            f"{grams} g/day is above the plausible maximum of {MAX_KRATOM_GRAMS_PER_DAY} "
            "(check the unit: grams, not milligrams)",
        )


def check_non_negative(field: str, value: Decimal | int | float | None) -> None:
    if value is not None and value < 0:
        raise InvalidInput(field, "must not be negative")


def check_episode_dates(admitted_on: date, discharged_on: date | None) -> None:
    if discharged_on is not None and discharged_on < admitted_on:
        raise InvalidInput(
            "discharged_on",
            f"discharge date {discharged_on} is before admission date {admitted_on}",
        )


def check_birth_date(birth_date: date, today: date) -> None:
    if birth_date > today:
        raise InvalidInput("birth_date", "is in the future")
    if today.year - birth_date.year > 120:
        raise InvalidInput("birth_date", "is more than 120 years ago")
