"""Registry of demo-data steps. Apps add their own synthetic data (scores, plans, a study)
by registering a step in ``AppConfig.ready``; ``speciosa demo-data`` runs them in order."""

from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any


@dataclass
class DemoContext:
    program: Any  # accounts.Program
    users: dict[str, Any]  # role -> User
    patient_ids: list[int]
    rng: Random
    seed: int
    progress: Callable[[str, int], Callable[[int], None]]  # (label, total) -> advance(n)


DemoStep = Callable[[DemoContext], None]
_steps: list[tuple[int, str, DemoStep]] = []


def register_demo_step(order: int, name: str, step: DemoStep) -> None:
    if all(existing != name for _, existing, _ in _steps):
        _steps.append((order, name, step))


def demo_steps() -> list[tuple[str, DemoStep]]:
    return [(name, step) for _, name, step in sorted(_steps, key=lambda s: (s[0], s[1]))]
