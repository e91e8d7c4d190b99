"""Small interval estimators used on aggregated counts (never on patient rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def z_for(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def wilson(k: int, n: int, z: float = 1.959963984540054) -> Estimate | None:
    """Wilson score interval for k/n (Wilson 1927). None when n == 0."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(
    k1: int, n1: int, k2: int, n2: int, z: float = 1.959963984540054
) -> Estimate | None:
    """p1 - p2 with Newcombe's hybrid score interval (method 10, Newcombe 1998)."""
    a, b = wilson(k1, n1, z), wilson(k2, n2, z)
    if a is None or b is None:
        return None
    d = a.value - b.value
    low = d - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    high = d + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Estimate(d, low, high)


def mean_interval(
    mean: float | None, sd: float | None, n: int, z: float = 1.959963984540054
) -> Estimate | None:
    """Normal-approximation interval for a mean (adequate for the n of program reports)."""
    if mean is None or sd is None or n < 2:
        return None
    half = z * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half)


def mean_difference(
    m1: float | None,
    sd1: float | None,
    n1: int,
    m2: float | None,
    sd2: float | None,
    n2: int,
    z: float = 1.959963984540054,
) -> Estimate | None:
    """Welch (unpooled) difference of means, normal approximation."""
    if None in (m1, sd1, m2, sd2) or n1 < 2 or n2 < 2:
        return None
    assert m1 is not None and m2 is not None and sd1 is not None and sd2 is not None
    d = m1 - m2
    half = z * math.sqrt(sd1 * sd1 / n1 + sd2 * sd2 / n2)
    return Estimate(d, d - half, d + half)


def km_interval(survival: float, greenwood: float | None, z: float = 1.959963984540054) -> Estimate:
    """Kaplan-Meier pointwise interval on the log(-log) scale (as lifelines computes it)."""
    if greenwood is None or survival <= 0.0 or survival >= 1.0:
        return Estimate(survival, survival, survival)
    v = math.log(survival)
    spread = z * math.sqrt(greenwood) / v
    low = math.exp(-math.exp(math.log(-v) - spread))
    high = math.exp(-math.exp(math.log(-v) + spread))
    return Estimate(survival, min(low, high), max(low, high))


def survival_difference(
    s1: float, gw1: float | None, s2: float, gw2: float | None, z: float = 1.959963984540054
) -> Estimate:
    """S1(t) - S2(t) with Greenwood variances (var = S^2 * sum d/(n(n-d)))."""
    var = (s1 * s1 * (gw1 or 0.0)) + (s2 * s2 * (gw2 or 0.0))
    d = s1 - s2
    half = z * math.sqrt(var)
    return Estimate(d, d - half, d + half)
