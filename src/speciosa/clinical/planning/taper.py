"""Dated kratom taper schedules: reduce a patient's *existing* use step by step.

There are no controlled studies of kratom tapers; a gradual taper with symptomatic care
is borrowed from opioid practice (see the pathway's citations and evidence note). The
generator only ever goes down: each step is strictly lower than the one before, and the
last step is exactly the floor (zero unless the clinician chose a maintenance floor while
e.g. buprenorphine is arranged).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from speciosa.clinical.errors import InvalidInput
from speciosa.clinical.records import MAX_KRATOM_GRAMS_PER_DAY

# A schedule longer than this is almost certainly a typo in the step size.
MAX_STEPS = 200


class StepUnit(StrEnum):
    GRAMS = "grams"
    PERCENT = "percent"  # of the current step's dose


class TaperOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    current_grams_per_day: Decimal = Field(gt=0, le=MAX_KRATOM_GRAMS_PER_DAY)
    start: date
    step: Decimal = Field(gt=0)
    step_unit: StepUnit = StepUnit.GRAMS
    interval_days: int = Field(ge=1, le=90)
    floor_grams_per_day: Decimal = Field(default=Decimal("0"), ge=0)
    # doses are rounded down to what a kitchen scale can weigh
    resolution: Decimal = Field(default=Decimal("0.25"), gt=0, le=5)
    # percentage steps shrink towards zero and would never end without a minimum
    min_step_grams: Decimal = Field(default=Decimal("0.5"), gt=0)

    @model_validator(mode="after")
    def _check(self) -> TaperOptions:
        if self.step_unit is StepUnit.PERCENT and self.step >= 100:
            raise ValueError("a percentage step must be below 100")
        if self.floor_grams_per_day >= self.current_grams_per_day:
            raise ValueError("the floor must be below the current dose (a taper only reduces)")
        return self


class TaperStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: int  # 0 = the current dose on the start date
    starts_on: date
    grams_per_day: Decimal


def _round_down(value: Decimal, resolution: Decimal) -> Decimal:
    return (value / resolution).to_integral_value(rounding=ROUND_FLOOR) * resolution


def generate_taper_schedule(options: TaperOptions) -> list[TaperStep]:
    """Step 0 is today's dose; each later step starts ``interval_days`` after the last."""
    dose = options.current_grams_per_day
    floor = options.floor_grams_per_day
    steps = [
        TaperStep(step=0, starts_on=options.start, grams_per_day=dose.quantize(Decimal("0.01")))
    ]
    while dose > floor:
        if options.step_unit is StepUnit.GRAMS:
            reduction = options.step
        else:
            reduction = dose * options.step / Decimal(100)
        reduction = max(reduction, options.min_step_grams)
        following = _round_down(dose - reduction, options.resolution)
        if following >= dose:  # rounding must never cancel a step
            following = dose - options.resolution
        dose = max(following, floor)
        index = len(steps)
        if index > MAX_STEPS:
            raise InvalidInput(
                "step",
                f"the schedule would need more than {MAX_STEPS} steps; use a larger step",
            )
        steps.append(
            TaperStep(
                step=index,
                starts_on=options.start + timedelta(days=options.interval_days * index),
                grams_per_day=dose.quantize(Decimal("0.01")),
            )
        )
    return steps


def dose_on(schedule: list[TaperStep], day: date) -> Decimal | None:
    """The scheduled g/day on ``day`` (None before the schedule starts)."""
    current: Decimal | None = None
    for step in schedule:
        if step.starts_on <= day:
            current = step.grams_per_day
    return current
