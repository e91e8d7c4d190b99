"""Synthetic trial data (for tests, benchmarks and the demo): two arms, visits at fixed
weeks, a declining outcome with a per-subject intercept and slope, random dropout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from speciosa.clinical.research.analysis import OutcomeObservation, RetentionRecord


@dataclass(frozen=True, slots=True)
class SyntheticTrial:
    observations: list[OutcomeObservation]
    retention: list[RetentionRecord]


def simulate_trial(
    *,
    seed: int,
    arms: Sequence[str] = ("buprenorphine", "taper"),
    n_per_arm: int = 30,
    weeks: Sequence[float] = (0, 1, 2, 4, 8, 12),
    baseline: float = 40.0,
    slopes: Sequence[float] = (-2.0, -1.0),  # change per week, one per arm
    dropout_per_visit: Sequence[float] = (0.03, 0.08),  # per-visit dropout hazard, per arm
    noise: float = 3.0,
) -> SyntheticTrial:
    rng = Random(seed)
    observations: list[OutcomeObservation] = []
    retention: list[RetentionRecord] = []
    for arm_index, arm in enumerate(arms):
        for n in range(n_per_arm):
            subject = f"{arm[:3].upper()}-{n + 1:03d}"
            intercept = baseline + rng.gauss(0, 5)
            slope = slopes[arm_index] + rng.gauss(0, 0.4)
            last_week = weeks[0]
            dropped = False
            for i, week in enumerate(weeks):
                if i > 0 and rng.random() < dropout_per_visit[arm_index]:
                    dropped = True
                    break
                value = max(0.0, intercept + slope * week + rng.gauss(0, noise))
                observations.append(OutcomeObservation(subject, arm, float(week), value))
                last_week = week
            retention.append(RetentionRecord(subject, arm, float(last_week) * 7 + 1, dropped))
    return SyntheticTrial(observations, retention)
