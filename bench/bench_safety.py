"""Safety engine: evaluate N synthetic patients with the engine vs a naive per-rule loop.

* subject: ``engine.evaluate`` - rules compiled once, indexed by the fact keys they need,
  variables cached per patient;
* baseline (the ratio): a naive loop written the obvious way - for every patient, for every
  rule, walk the rule's YAML ``when`` dict, look the variable and operator up by name and
  read the variable afresh. Same declared variables and operators, same findings (checked);
* also reported: ``engine.evaluate_each_rule`` (compiled conditions, no index, no cache),
  to show how much of the gain is the index and cache alone.

Pure Python, no database. Writes bench/results/safety.json. Target: ratio >= 5.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _common import bench_size, measure, peak_python_memory, write_result  # noqa: E402

from speciosa.clinical.facts import (  # noqa: E402
    DiagnosisFact,
    KratomForm,
    LabFact,
    LabMethod,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    ScoreFact,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.safety.conditions import OPERATORS, Trigger  # noqa: E402
from speciosa.clinical.safety.engine import (  # noqa: E402
    Finding,
    default_index,
    evaluate,
    evaluate_each_rule,
)
from speciosa.clinical.safety.rules import RuleEntry, load_rule_entries, load_rules  # noqa: E402
from speciosa.clinical.safety.variables import VARIABLES  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDICATIONS = [
    "buprenorphine",
    "sertraline",
    "atomoxetine",
    "methylphenidate",
    "gabapentin",
    "alprazolam",
    "naltrexone",
    "methadone",
    "clonidine",
    "quetiapine",
    "lisdexamfetamine",
    "trazodone",
    "ondansetron",
    "loperamide",
]
OTHER_SUBSTANCES = [
    Substance.ALCOHOL,
    Substance.NICOTINE,
    Substance.CANNABIS,
    Substance.FENTANYL,
    Substance.METHAMPHETAMINE,
    Substance.BENZODIAZEPINE,
]
DIAGNOSES = ["F11.20", "F19.20", "F90.0", "F32.1", "F41.1", "F15.20", "G40.909", "K76.0"]


def synthetic_patient(rng: Random, n: int) -> PatientFacts:
    """One patient of a kratom-aware program (rates are assumptions, stated here).

    About 45% use kratom (8% of them concentrated extract or 7-OH), 0-3 medications drawn
    from an addiction-care formulary, liver tests mostly normal (about 5% above 3x ULN),
    a few PHQ-9s (item 9 positive in about 10%), COWS in about 30%, ASRS in about 20%.
    """
    substances: list[SubstanceUseFact] = []
    if rng.random() < 0.45:
        form = rng.choices(list(KratomForm), weights=[60, 25, 5, 3, 7])[0]
        substances.append(
            SubstanceUseFact(
                substance=Substance.KRATOM,
                kratom_form=form,
                grams_per_day=Decimal(rng.randint(1, 50)),
                last_use=NOW - timedelta(hours=rng.randint(4, 24 * 30)),
                is_current=rng.random() < 0.85,
            )
        )
    for _ in range(rng.choices([0, 1, 2], weights=[50, 35, 15])[0]):
        substances.append(
            SubstanceUseFact(
                substance=rng.choice(OTHER_SUBSTANCES),
                last_use=NOW - timedelta(hours=rng.randint(1, 24 * 60)),
                is_current=rng.random() < 0.5,
            )
        )
    medications = tuple(
        MedicationFact(
            name=rng.choice(MEDICATIONS),
            status=rng.choice(
                [MedicationStatus.ACTIVE] * 6 + [MedicationStatus.ORDERED, MedicationStatus.STOPPED]
            ),
        )
        for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0])
    )
    labs = tuple(
        LabFact(
            analyte=rng.choice(["ALT", "AST", "BILIRUBIN_TOTAL", "OPIATES"]),
            value=40.0 * rng.lognormvariate(-0.4, 0.6),  # median ~0.67x ULN, ~5% > 3x ULN
            ref_high=40.0,
            method=LabMethod.CHEMISTRY if rng.random() < 0.8 else LabMethod.IMMUNOASSAY,
            collected_at=NOW - timedelta(days=rng.randint(1, 90)),
        )
        for _ in range(rng.randint(0, 3))
    )
    scores: list[ScoreFact] = []
    for visit in range(rng.randint(0, 4)):
        scores.append(
            ScoreFact(
                instrument_id="phq9",
                at=NOW - timedelta(days=30 * (4 - visit)),
                total=rng.randint(0, 20),
                items={"phq9-9": 1 if rng.random() < 0.1 else 0},
            )
        )
    if rng.random() < 0.3:
        scores.append(
            ScoreFact(instrument_id="cows", at=NOW, total=min(48, int(rng.expovariate(1 / 6))))
        )
    if rng.random() < 0.2:
        scores.append(
            ScoreFact(
                instrument_id="asrs_screener", at=NOW, total=4, is_positive=rng.random() < 0.4
            )
        )
    return PatientFacts(
        patient_key=f"p{n}",
        as_of=NOW,
        substances=tuple(substances),
        medications=medications,
        diagnoses=tuple(DiagnosisFact(icd10=c) for c in rng.sample(DIAGNOSES, rng.randint(0, 2))),
        labs=labs,
        scores=tuple(scores),
        is_pregnant=rng.random() < 0.02,
    )


def _naive_leaf(node: dict, facts: PatientFacts) -> tuple[bool, list[Trigger]]:
    variable = VARIABLES[node["fact"]]
    params = node.get("params") or {}
    value = variable.read(facts, params)
    operator = OPERATORS[variable.type][node["op"]]
    raw = node.get("value")
    operand = (
        frozenset(str(v) for v in raw)
        if isinstance(raw, list)
        else None
        if raw is None
        else float(raw)
    )
    if not operator.test(value, operand):
        return False, []
    shown = ",".join(f"{k}={v}" for k, v in sorted(params.items()) if not isinstance(v, dict))
    label = f"{variable.name}[{shown}]" if params else variable.name
    actual = sorted(value) if isinstance(value, frozenset) else value
    return True, [Trigger(label, operator.name, operand, actual)]


def _naive_holds(node: dict, facts: PatientFacts) -> tuple[bool, list[Trigger]]:
    """Interpret one condition dict as written in the YAML (no compilation, no cache)."""
    if "all" in node:
        triggers: list[Trigger] = []
        for child in node["all"]:
            ok, found = _naive_holds(child, facts)
            if not ok:
                return False, []
            triggers += found
        return True, triggers
    if "any" in node:
        for child in node["any"]:
            ok, found = _naive_holds(child, facts)
            if ok:
                return True, found
        return False, []
    if "not" in node:
        ok, _ = _naive_holds(node["not"], facts)
        return (not ok), []
    return _naive_leaf(node, facts)


def naive_evaluate(facts: PatientFacts, entries: list[RuleEntry], rules_by_id: dict) -> list:
    findings = []
    for entry in entries:
        ok, triggers = _naive_holds(entry.when, facts)
        if ok:
            rule = rules_by_id[entry.id]
            findings.append(
                Finding(
                    rule.id,
                    rule.version,
                    rule.severity,
                    rule.title,
                    rule.message,
                    rule.action,
                    tuple(triggers),
                    rule.citations,
                    rule.evidence_cards,
                )
            )
    return sorted(findings, key=lambda f: (f.severity.rank, f.rule_id))


def main() -> None:
    n = bench_size(small=1_000, default=10_000, large=100_000)
    rng = Random(4)
    patients = [synthetic_patient(rng, i) for i in range(n)]
    rules = load_rules()
    entries = load_rule_entries()
    rules_by_id = {r.id: r for r in rules}
    index = default_index()

    def run_engine() -> list:
        return [evaluate(p, index) for p in patients]

    def run_naive() -> list:
        return [naive_evaluate(p, entries, rules_by_id) for p in patients]

    def run_compiled_unindexed() -> list:
        return [evaluate_each_rule(p, rules) for p in patients]

    results = run_engine()
    assert results == run_naive(), "engine and naive loop disagree"
    assert results == run_compiled_unindexed(), "engine and unindexed loop disagree"
    findings = sum(len(r) for r in results)
    subject = measure(run_engine, repeat=5, warmup=1)
    baseline = measure(run_naive, repeat=3, warmup=1)
    unindexed = measure(run_compiled_unindexed, repeat=3, warmup=1)
    _, peak = peak_python_memory(run_engine)
    write_result(
        "safety",
        size=n,
        subject=subject,
        baseline=baseline,
        ratio=baseline.p50 / subject.p50,
        target=5.0,
        ratio_means="naive per-rule loop (interprets the YAML conditions) time / engine time "
        "(higher is better)",
        peak_memory_bytes=peak,
        extra={
            "rules": len(rules),
            "findings": findings,
            "findings_per_patient": findings / n,
            "patients_per_second": n / subject.p50,
            "compiled_unindexed_loop": unindexed.as_dict(),
            "ratio_vs_compiled_unindexed_loop": unindexed.p50 / subject.p50,
        },
    )


if __name__ == "__main__":
    main()
