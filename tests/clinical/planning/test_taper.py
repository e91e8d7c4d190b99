"""Taper schedules: never increase, end at zero or the floor, respect the dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speciosa.clinical.errors import InvalidInput
from speciosa.clinical.planning.taper import (
    StepUnit,
    TaperOptions,
    dose_on,
    generate_taper_schedule,
)

START = date(2026, 2, 2)


def test_worked_example_20g_in_4g_steps_every_week():
    options = TaperOptions(
        current_grams_per_day=Decimal("20"), start=START, step=Decimal("4"), interval_days=7
    )
    schedule = generate_taper_schedule(options)
    assert [s.grams_per_day for s in schedule] == [
        Decimal(x) for x in ("20", "16", "12", "8", "4", "0")
    ]
    assert schedule[-1].starts_on == START + timedelta(days=35)


def test_last_step_lands_exactly_on_the_floor():
    options = TaperOptions(
        current_grams_per_day=Decimal("10"),
        start=START,
        step=Decimal("3"),
        interval_days=14,
        floor_grams_per_day=Decimal("2"),
    )
    doses = [s.grams_per_day for s in generate_taper_schedule(options)]
    assert doses == [Decimal(x) for x in ("10", "7", "4", "2")]


def test_percentage_steps_reach_zero_through_the_minimum_step():
    options = TaperOptions(
        current_grams_per_day=Decimal("5"),
        start=START,
        step=Decimal("10"),
        step_unit=StepUnit.PERCENT,
        interval_days=7,
    )
    schedule = generate_taper_schedule(options)
    assert schedule[-1].grams_per_day == 0
    # 10% of 5 g is 0.5 g, the minimum step, so ten steps of 0.5 g
    assert len(schedule) == 11


def test_floor_at_or_above_current_dose_is_refused():
    with pytest.raises(ValueError, match="only reduces"):
        TaperOptions(
            current_grams_per_day=Decimal("4"),
            start=START,
            step=Decimal("1"),
            interval_days=7,
            floor_grams_per_day=Decimal("4"),
        )


def test_absurdly_small_step_is_refused():
    options = TaperOptions(
        current_grams_per_day=Decimal("200"),
        start=START,
        step=Decimal("0.1"),
        interval_days=1,
        min_step_grams=Decimal("0.1"),
        resolution=Decimal("0.1"),
    )
    with pytest.raises(InvalidInput):
        generate_taper_schedule(options)


def test_dose_on_a_day_between_steps_is_the_earlier_step():
    options = TaperOptions(
        current_grams_per_day=Decimal("8"), start=START, step=Decimal("2"), interval_days=7
    )
    schedule = generate_taper_schedule(options)
    assert dose_on(schedule, START + timedelta(days=10)) == Decimal("6")
    assert dose_on(schedule, START - timedelta(days=1)) is None


grams = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("90"), places=2)
# step sizes a clinician would choose (the generator refuses > 200 steps; tested above)
steps = st.one_of(
    st.tuples(
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal("20"), places=2),
        st.just(StepUnit.GRAMS),
    ),
    st.tuples(
        st.decimals(min_value=Decimal("5"), max_value=Decimal("50"), places=1),
        st.just(StepUnit.PERCENT),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    current=grams,
    step_and_unit=steps,
    interval=st.integers(min_value=1, max_value=30),
    floor_share=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.5")]),
)
def test_schedule_never_increases_ends_at_floor_and_keeps_dates(
    current, step_and_unit, interval, floor_share
):
    step, unit = step_and_unit
    floor = (current * floor_share).quantize(Decimal("0.01"))
    options = TaperOptions(
        current_grams_per_day=current,
        start=START,
        step=step,
        step_unit=unit,
        interval_days=interval,
        floor_grams_per_day=floor,
    )
    schedule = generate_taper_schedule(options)
    doses = [s.grams_per_day for s in schedule]
    assert doses[0] == current
    assert all(later < earlier for earlier, later in zip(doses, doses[1:], strict=False))
    assert doses[-1] == floor
    assert all(d >= floor for d in doses)
    assert [s.starts_on for s in schedule] == [
        START + timedelta(days=interval * i) for i in range(len(schedule))
    ]
