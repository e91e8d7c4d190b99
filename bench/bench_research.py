"""Research core throughput, each with a same-run baseline (pure Python, no database).

1. research_eligibility: evaluate the demo study's 6 criteria (parsed from
   ``demo_study.yaml``) over N synthetic ``PatientFacts``; baseline: the same checks
   hand-written as an if-chain (what "criteria as data" costs).
   ratio = baseline time / subject time (higher is better; target >= 0.1).
2. research_deidentify: de-identify N assessment rows (drop identifiers, per-subject
   HMAC date shift, age top-coding) and run the identifier leak check; baseline: the
   naive version of the same work (one HMAC per row, one substring scan per identifier
   per cell). ratio = baseline time / subject time (target >= 2).
3. research_randomization: generate a permuted-block list of N slots; baseline: the same
   number of ``random.choice`` draws (simple randomization). ratio as above (target >= 0.1).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from _common import bench_size, measure, peak_python_memory, write_result  # noqa: E402

from speciosa.clinical.facts import (  # noqa: E402
    DiagnosisFact,
    LabFact,
    MedicationFact,
    PatientFacts,
    Sex,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.knowledge import load_data_file  # noqa: E402
from speciosa.clinical.research.deidentify import (  # noqa: E402
    DIRECT_IDENTIFIER_FIELDS,
    TableSpec,
    date_shift_days,
    deidentify_rows,
    find_identifier_leaks,
)
from speciosa.clinical.research.eligibility import evaluate_eligibility, parse_criteria  # noqa: E402
from speciosa.clinical.research.randomization import ArmRatio, permuted_block_list  # noqa: E402

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DATA = Path(__file__).resolve().parent.parent / "src/speciosa/clinical/research/data"


def make_facts(n: int) -> list[PatientFacts]:
    rng = Random(1)
    out = []
    for i in range(n):
        out.append(
            PatientFacts(
                patient_key=str(i),
                as_of=NOW,
                birth_date=date(rng.randint(1950, 2008), 1, 1),
                sex_at_birth=rng.choice([Sex.FEMALE, Sex.MALE]),
                is_pregnant=False,
                substances=(SubstanceUseFact(Substance.KRATOM),) if rng.random() < 0.8 else (),
                diagnoses=(DiagnosisFact(rng.choice(["F19.20", "F11.20", "F90.2"])),),
                medications=(MedicationFact("methadone"),) if rng.random() < 0.2 else (),
                labs=(
                    LabFact("ALT", NOW, float(rng.randint(10, 250)), ref_high=56),
                    LabFact("AST", NOW, float(rng.randint(10, 200)), ref_high=48),
                ),
            )
        )
    return out


def handwritten(f: PatientFacts) -> bool:
    age = f.age or 0
    if not 18 <= age <= 65:
        return False
    if not any(u.substance is Substance.KRATOM and u.is_current for u in f.substances):
        return False
    if not (f.has_diagnosis("F19") or f.has_diagnosis("F11")):
        return False
    names = {"buprenorphine", "buprenorphine-naloxone", "methadone"}
    if any(m.is_current and m.name in names for m in f.medications):
        return False
    for lab in f.labs:
        if lab.analyte in {"ALT", "AST"} and (lab.times_uln or 0) > 3:
            return False
    return not f.is_pregnant


def bench_eligibility() -> None:
    n = bench_size(small=2_000, default=50_000)
    criteria = parse_criteria(load_data_file(DATA / "demo_study.yaml")["eligibility_criteria"])
    facts = make_facts(n)
    subject = measure(lambda: [evaluate_eligibility(criteria, f) for f in facts], repeat=3)
    baseline = measure(lambda: [handwritten(f) for f in facts], repeat=3)
    agree = sum(
        (evaluate_eligibility(criteria, f).decision.value == "eligible") == handwritten(f)
        for f in facts
    )
    _, peak = peak_python_memory(lambda: [evaluate_eligibility(criteria, f) for f in facts])
    write_result(
        "research_eligibility",
        size=n,
        subject=subject,
        baseline=baseline,
        ratio=baseline.p50 / subject.p50,
        ratio_means="hand-written if-chain time / criteria-as-data time (higher is better)",
        target=0.1,
        peak_memory_bytes=peak,
        extra={"patients_per_second": n / subject.p50, "decisions_agree": agree == n},
    )


def bench_deidentify() -> None:
    n = bench_size(small=5_000, default=200_000)
    rows = [
        {
            "subject_id": f"KB-{i % 500:03d}",
            "given_name": "Alex",
            "mrn": f"A{i % 500:05d}",
            "visit_code": "week4",
            "assessed_on": date(2026, 1, 1) + timedelta(days=i % 90),
            "age": 40 + i % 60,
            "value": float(i % 28),
        }
        for i in range(n)
    ]
    spec = TableSpec(
        "subject_id", date_fields=frozenset({"assessed_on"}), age_fields=frozenset({"age"})
    )
    identifiers = ["Alex"] + [f"A{i:05d}" for i in range(500)]

    def run() -> None:
        clean = deidentify_rows(rows, spec, secret="bench")
        find_identifier_leaks(clean, identifiers[:50])

    def naive() -> None:
        clean = []
        for row in rows:
            shift = date_shift_days("bench", row["subject_id"])
            clean.append(
                {
                    k: (
                        v + timedelta(days=shift)
                        if k == "assessed_on"
                        else min(v, 90)
                        if k == "age"
                        else v
                    )
                    for k, v in row.items()
                    if k not in DIRECT_IDENTIFIER_FIELDS or k == "subject_id"
                }
            )
        needles = [i.lower() for i in identifiers[:50]]
        for r in clean:
            for v in r.values():
                if isinstance(v, str):
                    _ = [x for x in needles if x in v.lower()]

    subject = measure(run, repeat=3)
    baseline = measure(naive, repeat=3)
    _, peak = peak_python_memory(lambda: deidentify_rows(rows, spec, secret="bench"))
    write_result(
        "research_deidentify",
        size=n,
        subject=subject,
        baseline=baseline,
        ratio=baseline.p50 / subject.p50,
        ratio_means="naive de-identify time / speciosa de-identify time (higher is better)",
        target=2.0,
        peak_memory_bytes=peak,
        extra={"rows_per_second": n / subject.p50},
    )


def bench_randomization() -> None:
    n = bench_size(small=10_000, default=500_000)
    arms = [ArmRatio("buprenorphine"), ArmRatio("taper")]
    subject = measure(lambda: permuted_block_list(arms, seed=1, stratum="s", size=n), repeat=3)
    rng = Random(1)
    baseline = measure(lambda: [rng.choice(["buprenorphine", "taper"]) for _ in range(n)], repeat=3)
    write_result(
        "research_randomization",
        size=n,
        subject=subject,
        baseline=baseline,
        ratio=baseline.p50 / subject.p50,
        ratio_means="simple randomization time / permuted-block list time (higher is better)",
        target=0.1,
        extra={"slots_per_second": n / subject.p50},
    )


if __name__ == "__main__":
    bench_eligibility()
    bench_deidentify()
    bench_randomization()
