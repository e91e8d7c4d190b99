"""When is an assessment due? Pure schedule arithmetic over the times it was taken.

Two kinds of schedule:

- ``interval``: every ``interval`` from ``starts_at`` until ``ends_at`` (COWS every 4 h
  during an induction, PHQ-9 every 2 weeks). The next one is due one interval after the
  last time the instrument was taken (or at ``starts_at`` if never).
- ``fixed``: at fixed offsets from ``starts_at`` (ASRS at intake and week 8). A time point
  counts as done when the instrument was taken within ``grace`` of it.

An assessment is *upcoming* before its due time, *due* from then until ``grace`` has
passed, then *overdue*; *complete* when the schedule has nothing left to ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file


class DueStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    kind: Literal["interval", "fixed"]
    starts_at: datetime
    grace: timedelta
    interval: timedelta | None = None
    offsets: tuple[timedelta, ...] = ()
    ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Due:
    status: DueStatus
    due_at: datetime | None  # None when complete


def assessment_due(spec: ScheduleSpec, taken: Sequence[datetime], as_of: datetime) -> Due:
    """Status of the next assessment. ``taken`` is every time the instrument was taken."""
    if spec.kind == "interval":
        assert spec.interval is not None
        recent = [t for t in taken if t >= spec.starts_at - spec.grace]
        due_at = max(recent) + spec.interval if recent else spec.starts_at
        if spec.ends_at is not None and due_at > spec.ends_at:
            return Due(DueStatus.COMPLETE, None)
    else:
        pending = [
            spec.starts_at + offset
            for offset in sorted(spec.offsets)
            if not any(abs(t - (spec.starts_at + offset)) <= spec.grace for t in taken)
        ]
        # a time point whose window closed unanswered stays overdue until someone acts
        if not pending:
            return Due(DueStatus.COMPLETE, None)
        due_at = pending[0]
    if as_of < due_at:
        return Due(DueStatus.UPCOMING, due_at)
    if as_of < due_at + spec.grace:
        return Due(DueStatus.DUE, due_at)
    return Due(DueStatus.OVERDUE, due_at)


class SchedulePreset(BaseModel):
    """A named, cited default (programs may create any other schedule)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    instrument_id: str
    label: str
    kind: Literal["interval", "fixed"]
    interval_hours: int | None = Field(None, gt=0)
    offsets_days: list[int] = []
    duration_hours: int | None = Field(None, gt=0)
    grace_hours: int = Field(gt=0)
    basis: Literal["published", "convention"]
    citation: Citation


PRESETS_FILE = Path(__file__).parent / "data" / "schedule_presets.yaml"


def load_presets() -> dict[str, SchedulePreset]:
    raw = load_data_file(PRESETS_FILE)
    return {p["id"]: SchedulePreset.model_validate(p) for p in raw["presets"]}
