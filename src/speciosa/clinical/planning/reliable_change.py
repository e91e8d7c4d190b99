"""Jacobson–Truax reliable change index (RCI).

Jacobson NS, Truax P. Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research. J Consult Clin Psychol 1991;59(1):12-19.
doi:10.1037/0022-006X.59.1.12. PMID 2002127.

    SE     = SD * sqrt(1 - r)          (standard error of measurement)
    S_diff = sqrt(2 * SE**2)           (standard error of the difference)
    RCI    = (x_post - x_pre) / S_diff
A change is reliable when |RCI| > 1.96 (p < .05, two-sided).

Local implementation: no shared instrument module shipped a reliable-change function
when this was written. SD and reliability are parameters (``data/parameters.yaml``
carries cited defaults per instrument) because they depend on the reference sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from speciosa.clinical.errors import InvalidInput

RELIABLE_Z = 1.96


@dataclass(frozen=True, slots=True)
class ReliableChange:
    baseline: float
    latest: float
    change: float  # latest - baseline
    s_diff: float
    rci: float
    threshold_points: float  # smallest absolute change that counts as reliable
    is_reliable: bool


def reliable_change(
    baseline: float, latest: float, *, sd: float, reliability: float, z: float = RELIABLE_Z
) -> ReliableChange:
    """The Jacobson–Truax RCI of ``latest`` against ``baseline``."""
    if sd <= 0:
        raise InvalidInput("sd", "must be positive")
    if not 0 < reliability < 1:
        raise InvalidInput("reliability", "must be between 0 and 1 (exclusive)")
    se = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2 * se * se)
    change = latest - baseline
    rci = change / s_diff
    return ReliableChange(
        baseline=baseline,
        latest=latest,
        change=change,
        s_diff=s_diff,
        rci=rci,
        threshold_points=z * s_diff,
        is_reliable=abs(rci) > z,
    )
