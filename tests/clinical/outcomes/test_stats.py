"""Interval estimators against published worked examples."""

import pytest

from speciosa.clinical.outcomes.stats import (
    km_interval,
    mean_difference,
    newcombe_difference,
    wilson,
)


def test_wilson_half():
    est = wilson(5, 10)
    assert (est.low, est.high) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_wilson_zero_events_has_positive_upper_bound():
    est = wilson(0, 10)
    assert est.value == 0 and est.low == 0
    assert est.high == pytest.approx(0.2775, abs=1e-4)


def test_wilson_empty_denominator_is_none():
    assert wilson(0, 0) is None


def test_newcombe_worked_example():
    # Newcombe 1998, example (a): 56/70 vs 48/80 -> +0.2000, method 10: 0.0524 to 0.3339
    est = newcombe_difference(56, 70, 48, 80)
    assert est.value == pytest.approx(0.2)
    assert (est.low, est.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_mean_difference_needs_two_per_group():
    assert mean_difference(1.0, 1.0, 1, 0.0, 1.0, 5) is None
    est = mean_difference(2.0, 1.0, 100, 1.0, 1.0, 100)
    assert est.value == 1.0
    assert est.high - est.value == pytest.approx(1.959964 * (2 / 100) ** 0.5, rel=1e-6)


def test_km_interval_matches_lifelines_loglog():
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit([5, 20, 28, 40, 49], [1, 1, 0, 0, 0])
    ci = kmf.confidence_interval_.loc[20.0]
    est = km_interval(0.6, 1 / 20 + 1 / 12)
    assert (est.low, est.high) == pytest.approx((ci.iloc[0], ci.iloc[1]), abs=1e-9)
