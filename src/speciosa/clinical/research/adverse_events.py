"""Adverse-event classification and expedited-reporting deadlines.

Seriousness follows 21 CFR 312.32(a) / ICH E2A (death, life-threatening, hospitalisation,
persistent disability, congenital anomaly, important medical event); severity is the CTCAE
grade 1-5; the clocks and their citations live in ``data/safety_reporting.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from speciosa.clinical.research.safety_data import ReportingClock, reporting_clocks


class SeriousnessCriterion(StrEnum):
    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"  # inpatient admission or prolongation
    DISABILITY = "disability"  # persistent or significant incapacity
    CONGENITAL_ANOMALY = "congenital_anomaly"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event"


class SeverityGrade(IntEnum):
    """CTCAE v5.0 grades."""

    MILD = 1
    MODERATE = 2
    SEVERE = 3
    LIFE_THREATENING = 4
    DEATH = 5


class Relatedness(StrEnum):
    NOT_RELATED = "not_related"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"

    @property
    def is_suspected(self) -> bool:
        """A 'suspected adverse reaction' needs a reasonable possibility of causation
        (21 CFR 312.32(a)): possible, probable or definite."""
        return self in {Relatedness.POSSIBLE, Relatedness.PROBABLE, Relatedness.DEFINITE}


@dataclass(frozen=True, slots=True)
class AdverseEventFacts:
    seriousness: frozenset[SeriousnessCriterion]
    grade: SeverityGrade
    relatedness: Relatedness
    is_expected: bool
    aware_at: datetime  # when the site learned of the event (clocks start here)

    @property
    def is_serious(self) -> bool:
        return bool(self.seriousness)


@dataclass(frozen=True, slots=True)
class ReportingDeadline:
    clock_id: str
    recipient: str
    due_at: datetime
    text: str
    citation: str


def is_serious(seriousness: frozenset[SeriousnessCriterion]) -> bool:
    return bool(seriousness)


def _deadline(clock: ReportingClock, aware_at: datetime) -> ReportingDeadline:
    return ReportingDeadline(
        clock_id=clock.id,
        recipient=clock.recipient,
        due_at=aware_at + timedelta(hours=clock.hours),
        text=clock.text,
        citation=clock.citation.short(),
    )


def reporting_deadlines(event: AdverseEventFacts) -> list[ReportingDeadline]:
    """Every expedited-report clock that applies to ``event``, earliest first.

    Non-serious events have none (they go in the periodic listing). A serious event always
    starts the investigator's 24-hour clock; a serious, unexpected suspected reaction also
    starts the sponsor's 15-day clock, or the 7-day clock if fatal or life-threatening.
    """
    if not event.is_serious:
        return []
    clocks = reporting_clocks()
    deadlines = [_deadline(clocks["sae-investigator-to-sponsor"], event.aware_at)]
    if event.relatedness.is_suspected and not event.is_expected:
        fatal = {SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING}
        clock_id = "susar-fatal-or-life-threatening" if event.seriousness & fatal else "susar-other"
        deadlines.append(_deadline(clocks[clock_id], event.aware_at))
    return sorted(deadlines, key=lambda d: d.due_at)


def next_deadline(
    event: AdverseEventFacts, reported: frozenset[str] = frozenset()
) -> ReportingDeadline | None:
    """The earliest deadline whose report has not been filed yet."""
    pending = [d for d in reporting_deadlines(event) if d.clock_id not in reported]
    return pending[0] if pending else None
