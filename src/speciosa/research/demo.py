"""Demo step (order 40): the approved demo study with screened, consented, randomized
subjects, visits, outcome values and a few adverse events. Filled in below."""


def load_demo_study(ctx) -> None:  # pragma: no cover - replaced in the demo commit
    return None
