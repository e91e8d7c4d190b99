"""Checks a plan document must pass before it is saved (pure)."""

from __future__ import annotations

from speciosa.clinical.errors import InvalidInput
from speciosa.clinical.facts import PatientFacts
from speciosa.clinical.planning.document import PlanDocument
from speciosa.clinical.planning.objectives import KratomDoseAtMost


def check_kratom_only_reduces(document: PlanDocument, facts: PatientFacts) -> None:
    """Kratom may enter a plan only as the patient's existing use going down.

    Refuses a kratom target above the recorded current g/day (or any kratom target when
    no current use is recorded), and a taper schedule that ever goes up.
    """
    use = facts.kratom_use()
    current = float(use.grams_per_day) if use and use.grams_per_day is not None else None
    for objective in document.objectives():
        condition = objective.condition
        if not isinstance(condition, KratomDoseAtMost):
            continue
        if current is None and condition.max_grams_per_day > 0:
            raise InvalidInput(
                f"objective:{objective.id}",
                "no current kratom use is recorded; a kratom objective may only aim at zero",
            )
        if current is not None and condition.max_grams_per_day > current:
            raise InvalidInput(
                f"objective:{objective.id}",
                f"target {condition.max_grams_per_day:g} g/day is above current use "
                f"({current:g} g/day); kratom objectives may only reduce use",
            )
    doses = [step.grams_per_day for step in document.taper]
    if any(later > earlier for earlier, later in zip(doses, doses[1:], strict=False)):
        raise InvalidInput("taper", "a taper schedule may never increase")
    dates = [step.starts_on for step in document.taper]
    if dates != sorted(dates):
        raise InvalidInput("taper", "taper steps must be in date order")
