"""Buprenorphine induction decision points: hours since last use and COWS.

Thresholds come from the cited ``bup-induction`` parameter set (ASAM 2020 for COWS,
extrapolated to kratom; VA case series for timing). The result is advice for the
prescriber, not an order.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from speciosa.clinical.facts import PatientFacts, Substance
from speciosa.clinical.planning.library import Library, load_library


class Readiness(StrEnum):
    READY = "ready"
    WAIT = "wait"
    NOT_ENOUGH_DATA = "not_enough_data"


class InductionCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    readiness: Readiness
    reasons: list[str]
    hours_since_last_use: float | None
    required_hours: float
    latest_cows: float | None
    required_cows: float


def _required_hours(facts: PatientFacts, values: dict[str, float]) -> tuple[float, str | None]:
    """The longest wait among the patient's current opioid-type substances."""
    waits: list[tuple[float, str]] = []
    for use in facts.substances:
        if not use.is_current:
            continue
        if use.substance is Substance.KRATOM:
            waits.append((values["min_hours_since_last_kratom"], "kratom"))
        elif use.substance is Substance.FENTANYL:
            waits.append((values["min_hours_since_last_fentanyl"], "fentanyl"))
        elif use.substance.is_opioid:
            waits.append((values["min_hours_since_last_short_acting_opioid"], use.substance))
    if not waits:
        return values["min_hours_since_last_kratom"], None
    hours, name = max(waits)
    return hours, str(name)


def check_induction_readiness(
    facts: PatientFacts, library: Library | None = None
) -> InductionCheck:
    values = (library or load_library()).parameters["bup-induction"].values
    required_hours, substance = _required_hours(facts, values)
    last_uses = [
        u.last_use
        for u in facts.substances
        if u.is_current
        and u.last_use
        and (u.substance is Substance.KRATOM or u.substance.is_opioid)
    ]
    hours = round((facts.as_of - max(last_uses)).total_seconds() / 3600, 1) if last_uses else None
    cows = facts.latest_score("cows")
    required_cows = float(values["cows_at_least"])
    reasons: list[str] = []
    if hours is None:
        reasons.append("time of last kratom/opioid use not recorded")
    elif hours < required_hours:
        reasons.append(f"{hours:g} h since last use; wait until {required_hours:g} h ({substance})")
    if cows is None:
        reasons.append("no COWS recorded")
    elif cows.total < required_cows:
        reasons.append(f"COWS {cows.total:g} is below {required_cows:g}; re-score in 1-2 h")
    if hours is None or cows is None:
        readiness = Readiness.NOT_ENOUGH_DATA
    elif reasons:
        readiness = Readiness.WAIT
    else:
        readiness = Readiness.READY
        reasons.append(
            f"{hours:g} h since last use and COWS {cows.total:g}: objective withdrawal present"
        )
    return InductionCheck(
        readiness=readiness,
        reasons=reasons,
        hours_since_last_use=hours,
        required_hours=required_hours,
        latest_cows=cows.total if cows else None,
        required_cows=required_cows,
    )
