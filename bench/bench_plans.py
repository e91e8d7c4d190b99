"""Objective evaluation at caseload scale (pure core, no database).

Subject: ``evaluate_plan`` over N patients' facts with each plan document already
parsed (what a caseload refresh does after loading plans once).
Baseline, same run: the same evaluation but re-validating each plan's stored JSON into
a ``PlanDocument`` per patient (what the write services do on every change).
ratio = baseline p50 / subject p50 (higher is better: the share of the cost that is
parsing, i.e. what caching parsed documents saves). Also reports taper generation time.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _common import bench_size, measure, peak_python_memory, write_result

from speciosa.clinical.facts import (
    EventFact,
    LabFact,
    PatientFacts,
    ScoreFact,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.planning.document import PlanDocument, evaluate_plan
from speciosa.clinical.planning.taper import StepUnit, TaperOptions, generate_taper_schedule
from speciosa.clinical.planning.templates import apply_pathway, merge_documents

PATIENTS = bench_size(small=300, default=5_000, large=50_000)
START = date(2026, 1, 5)
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def synthetic_facts(rng: random.Random, key: int) -> PatientFacts:
    def at(day: int) -> datetime:
        return datetime(2026, 1, 5, 10, tzinfo=UTC) + timedelta(days=day)

    scores = [
        ScoreFact("cows", at(d), float(max(0, 14 - d + rng.randint(-2, 2))))
        for d in range(0, 20, 2)
    ]
    scores += [ScoreFact("phq9", at(d), float(rng.randint(5, 22))) for d in range(0, 56, 14)]
    scores += [ScoreFact("gad7", at(d), float(rng.randint(3, 18))) for d in range(0, 56, 14)]
    labs = [
        LabFact("FENTANYL", at(d), result=rng.choice(["negative", "negative", "positive"]))
        for d in range(1, 50, 7)
    ]
    events = [
        EventFact("session:cbt", at(d), rng.choice(["attended", "attended", "missed"]))
        for d in range(2, 50, 7)
    ]
    return PatientFacts(
        patient_key=str(key),
        as_of=AS_OF,
        substances=(
            SubstanceUseFact(
                Substance.KRATOM, grams_per_day=Decimal(rng.choice(["6", "12", "30"]))
            ),
        ),
        scores=tuple(sorted(scores, key=lambda s: s.at)),
        labs=tuple(labs),
        events=tuple(events),
    )


def main() -> None:
    rng = random.Random(7)
    facts = [synthetic_facts(rng, i) for i in range(PATIENTS)]
    template_facts = facts[0]
    document = merge_documents(
        "bench",
        START,
        [
            apply_pathway(p, facts=template_facts, start=START)
            for p in ("kratom-oud-buprenorphine", "depression-anxiety", "adhd-early-recovery")
        ],
    )
    stored = document.model_dump(mode="json")

    def subject() -> int:
        return sum(len(evaluate_plan(document, f)) for f in facts)

    def baseline() -> int:
        return sum(len(evaluate_plan(PlanDocument.model_validate(stored), f)) for f in facts)

    subject_t = measure(subject, repeat=3, warmup=1)
    baseline_t = measure(baseline, repeat=3, warmup=1)
    _, peak = peak_python_memory(subject)
    taper = measure(
        lambda: generate_taper_schedule(
            TaperOptions(
                current_grams_per_day=Decimal("40"),
                start=START,
                step=Decimal("10"),
                step_unit=StepUnit.PERCENT,
                interval_days=7,
            )
        ),
        repeat=200,
    )
    write_result(
        "plans",
        size=PATIENTS,
        subject=subject_t,
        baseline=baseline_t,
        ratio=baseline_t.p50 / subject_t.p50,
        ratio_means="baseline (re-parse stored JSON per patient) / subject (parsed once); "
        "higher is better",
        peak_memory_bytes=peak,
        extra={
            "objectives_per_plan": len(document.objectives()),
            "per_patient_ms": round(subject_t.p50 / PATIENTS * 1000, 4),
            "taper_40g_10pct_p50_ms": round(taper.p50 * 1000, 3),
        },
    )


if __name__ == "__main__":
    main()
