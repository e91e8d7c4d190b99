"""Scoring throughput: the validating engine vs a hand-written plain-Python sum.

Synthesises N responses (default 100k; 10k with SPECIOSA_BENCH_SIZE=small) spread evenly
over ten instruments with every answer given as its item score (int), then in one run:

- subject: ``score_many`` per instrument: every answer type- and range-checked against the
  Questionnaire's weights, totals, bands, screen results, subscales and critical flags;
- baseline: for each response, ``total += answers[link]`` over the instrument's items
  (no validation, no bands: the loop anyone would write first);
- also reported: the same batch materialised as one ``Score`` per response, and
  ``score()`` called once per response.

ratio = baseline time / subject time (p50 of 5 runs; higher is better; target >= 0.5).
"""

from __future__ import annotations

import sys
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from _common import bench_size, measure, peak_python_memory, write_result  # noqa: E402

from speciosa.clinical.instruments import load_catalog, score  # noqa: E402
from speciosa.clinical.instruments.scoring import score_many  # noqa: E402

INSTRUMENTS = [
    "phq9",
    "gad7",
    "cows",
    "sows",
    "ciwa_ar",
    "audit",
    "audit_c",
    "asrs_screener",
    "asrs_18",
    "ldq_kratom",
]


def synthesise(n: int, seed: int = 7):
    catalog = load_catalog()
    rng = Random(seed)
    per = n // len(INSTRUMENTS)
    data = []
    for instrument_id in INSTRUMENTS:
        inst = catalog[instrument_id]
        items = [i for i in inst.items.values() if i.required]
        batch = [{i.link_id: rng.choice(i.options).weight for i in items} for _ in range(per)]
        data.append((inst, [i.link_id for i in items], batch))
    return data


def run_subject(data) -> int:
    scored = 0
    for inst, _, batch in data:
        scored += len(score_many(inst, batch))
    return scored


def run_materialised(data) -> int:
    return sum(len(list(score_many(inst, batch))) for inst, _, batch in data)


def run_one_by_one(data) -> int:
    return sum(1 for inst, _, batch in data for answers in batch if score(inst, answers))


def run_baseline(data) -> int:
    totals = 0
    for _, links, batch in data:
        for answers in batch:
            total = 0
            for link in links:
                total += answers[link]
            totals += total
    return totals


def main() -> None:
    n = bench_size(small=10_000, default=100_000)
    data = synthesise(n)
    size = sum(len(batch) for _, _, batch in data)
    assert run_subject(data) == size
    repeat = 5
    baseline = measure(lambda: run_baseline(data), repeat=repeat, warmup=1)
    subject = measure(lambda: run_subject(data), repeat=repeat, warmup=1)
    materialised = measure(lambda: run_materialised(data), repeat=3)
    one_by_one = measure(lambda: run_one_by_one(data), repeat=3)
    _, peak = peak_python_memory(lambda: run_subject(data))
    write_result(
        "scoring",
        size=size,
        subject=subject,
        baseline=baseline,
        ratio=baseline.p50 / subject.p50,
        ratio_means="baseline time / score_many time (higher is better)",
        target=0.5,
        peak_memory_bytes=peak,
        extra={
            "instruments": INSTRUMENTS,
            "ratio_materialised_scores": baseline.p50 / materialised.p50,
            "ratio_score_per_response": baseline.p50 / one_by_one.p50,
            "materialised": materialised.as_dict(),
            "score_per_response": one_by_one.as_dict(),
            "per_response_us": {
                "baseline": baseline.p50 / size * 1e6,
                "score_many": subject.p50 / size * 1e6,
                "materialised": materialised.p50 / size * 1e6,
                "score": one_by_one.p50 / size * 1e6,
            },
        },
    )


if __name__ == "__main__":
    main()
