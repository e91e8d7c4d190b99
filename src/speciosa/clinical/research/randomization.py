"""Stratified permuted-block randomization (randomly varying block sizes) and
Pocock–Simon minimization. Seeded and reproducible: the same seed, arms and stratum give
the same list, so a statistician can regenerate and check a concealed list.

Block sizes are multiples of the sum of arm ratios, so each completed block holds the
arms in their exact ratio; with equal allocation the running imbalance between two arms
inside a stratum is therefore at most half the largest block size.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random


@dataclass(frozen=True, slots=True)
class ArmRatio:
    name: str
    ratio: int = 1


@dataclass(frozen=True, slots=True)
class BlockAllocation:
    stratum: str
    sequence: int  # 1-based position within the stratum
    arm: str
    block: int  # 1-based block number within the stratum
    block_size: int


def stratum_key(factors: Mapping[str, str]) -> str:
    """Stable text key of a stratum, e.g. ``adhd=yes|site=demo`` (factor names sorted)."""
    return "|".join(f"{name}={factors[name]}" for name in sorted(factors)) or "all"


def stratum_rng(seed: int | str, stratum: str) -> Random:
    """An independent, reproducible random stream per (seed, stratum)."""
    digest = hashlib.sha256(f"{seed}:{stratum}".encode()).digest()
    return Random(int.from_bytes(digest[:8], "big"))


def _check_arms(arms: Sequence[ArmRatio]) -> None:
    if len(arms) < 2:
        raise ValueError("a randomized study needs at least two arms")
    if len({a.name for a in arms}) != len(arms):
        raise ValueError("arm names must be unique")
    if any(a.ratio < 1 for a in arms):
        raise ValueError("arm ratios must be positive integers")


def permuted_block_list(
    arms: Sequence[ArmRatio],
    *,
    seed: int | str,
    stratum: str,
    size: int,
    block_multipliers: Sequence[int] = (1, 2, 3),
) -> list[BlockAllocation]:
    """At least ``size`` allocations for one stratum, in whole blocks.

    Each block has ``m * sum(ratios)`` slots (``m`` drawn from ``block_multipliers``) and
    holds each arm ``m * ratio`` times in random order; varying ``m`` keeps the next
    allocation unguessable at the end of a block.
    """
    _check_arms(arms)
    if not block_multipliers or any(m < 1 for m in block_multipliers):
        raise ValueError("block multipliers must be positive integers")
    rng = stratum_rng(seed, stratum)
    unit = sum(a.ratio for a in arms)
    allocations: list[BlockAllocation] = []
    block = 0
    while len(allocations) < size:
        block += 1
        multiplier = rng.choice(list(block_multipliers))
        slots = [a.name for a in arms for _ in range(a.ratio * multiplier)]
        rng.shuffle(slots)
        for arm in slots:
            allocations.append(
                BlockAllocation(stratum, len(allocations) + 1, arm, block, unit * multiplier)
            )
    return allocations


def max_block_size(arms: Sequence[ArmRatio], block_multipliers: Sequence[int]) -> int:
    return sum(a.ratio for a in arms) * max(block_multipliers)


# --- minimization ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinimizationSettings:
    """Pocock & Simon (1975) minimization with the range imbalance measure.

    ``p_best`` is the probability of giving the arm that minimises imbalance (a random
    element keeps allocation unpredictable); ties are broken at random.
    """

    p_best: float = 0.8
    weights: Mapping[str, float] | None = None  # factor -> weight, default 1


def minimization_imbalance(
    arms: Sequence[ArmRatio],
    candidate: str,
    factors: Mapping[str, str],
    allocated: Sequence[tuple[str, Mapping[str, str]]],
    weights: Mapping[str, float] | None = None,
) -> float:
    """Weighted sum over factors of the range of ratio-adjusted arm counts at the new
    patient's level, had the patient been given ``candidate``."""
    ratio = {a.name: a.ratio for a in arms}
    total = 0.0
    for factor, level in factors.items():
        counts = Counter(arm for arm, f in allocated if f.get(factor) == level)
        counts[candidate] += 1
        adjusted = [counts[a.name] / ratio[a.name] for a in arms]
        total += (weights or {}).get(factor, 1.0) * (max(adjusted) - min(adjusted))
    return total


def minimization_choice(
    arms: Sequence[ArmRatio],
    factors: Mapping[str, str],
    allocated: Sequence[tuple[str, Mapping[str, str]]],
    *,
    seed: int | str,
    settings: MinimizationSettings | None = None,
) -> str:
    """The arm for the next patient. Reproducible: the random draw depends on the seed and
    the patient's position (``len(allocated)``) only."""
    _check_arms(arms)
    settings = settings or MinimizationSettings()
    rng = stratum_rng(seed, f"minimization#{len(allocated)}")
    scores = {
        a.name: minimization_imbalance(arms, a.name, factors, allocated, settings.weights)
        for a in arms
    }
    best = min(scores.values())
    preferred = [name for name, score in scores.items() if score == best]
    others = [name for name in scores if name not in preferred]
    if others and rng.random() >= settings.p_best:
        return rng.choice(others)
    return rng.choice(preferred)
