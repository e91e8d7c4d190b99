"""Visit schedules with windows: which study visits are due, open, missed or done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class VisitDefinition:
    code: str  # e.g. "week8"
    label: str
    day: int  # target day after randomization (day 0 = baseline)
    window_days: int = 3  # +/- days the visit still counts


class VisitState(StrEnum):
    UPCOMING = "upcoming"  # window not open yet
    DUE = "due"  # window open now
    MISSED = "missed"  # window closed with no assessment
    DONE = "done"


@dataclass(frozen=True, slots=True)
class VisitDue:
    code: str
    label: str
    target: date
    window_start: date
    window_end: date
    state: VisitState


# Standard schedule used by the demo study: baseline, weeks 1, 2, 4, 8, 12, +/- 3 days.
STANDARD_SCHEDULE: tuple[VisitDefinition, ...] = (
    VisitDefinition("baseline", "Baseline", 0, 0),
    VisitDefinition("week1", "Week 1", 7, 3),
    VisitDefinition("week2", "Week 2", 14, 3),
    VisitDefinition("week4", "Week 4", 28, 3),
    VisitDefinition("week8", "Week 8", 56, 3),
    VisitDefinition("week12", "Week 12", 84, 3),
)


def plan_visits(
    schedule: Sequence[VisitDefinition],
    start: date,
    today: date,
    done: frozenset[str] = frozenset(),
) -> list[VisitDue]:
    """Each visit's target date and window from ``start`` (randomization date)."""
    visits = []
    for v in schedule:
        target = start + timedelta(days=v.day)
        low, high = target - timedelta(days=v.window_days), target + timedelta(days=v.window_days)
        if v.code in done:
            state = VisitState.DONE
        elif today < low:
            state = VisitState.UPCOMING
        elif today <= high:
            state = VisitState.DUE
        else:
            state = VisitState.MISSED
        visits.append(VisitDue(v.code, v.label, target, low, high, state))
    return visits


def visit_for_date(schedule: Sequence[VisitDefinition], start: date, on: date) -> str | None:
    """The visit whose window contains ``on`` (nearest target wins), else None."""
    offset = (on - start).days
    inside = [v for v in schedule if abs(offset - v.day) <= v.window_days]
    return min(inside, key=lambda v: abs(offset - v.day)).code if inside else None
