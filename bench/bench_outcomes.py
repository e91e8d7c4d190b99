"""Outcomes dashboard at network scale: 100k patients / ~5M observations.

Same run, same synthetic columnar extract (generated directly: building 5M rows through
the ORM would dominate the run and is not what the dashboard times), prepared once
(``prepare.prepare_tables``: integer instrument codes, sorted, previous/next time per
row; timed on its own as ``extra.prepare_s``) and handed unchanged to all three:

- subject: the full dashboard (every measure + intervals, as the page computes it) via
  the DuckDB engine;
- baseline (a): the pandas reference implementation of the same measures + the same
  table building;
- baseline (b): one raw DuckDB SQL statement returning the same numbers as JSON.

The numbers of all three are checked equal before timing. Targets: >= 10x faster than
pandas, <= 2x the raw statement, < 3 s. ``SPECIOSA_BENCH_SIZE=small`` -> 10k patients.
Wall-clock and process CPU seconds are both reported: on a shared machine wall time
also measures the neighbours.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import Timing, bench_size, peak_python_memory, write_result  # noqa: E402

from speciosa.clinical.outcomes.dashboard import build_dashboard  # noqa: E402
from speciosa.clinical.outcomes.definitions import load_definitions  # noqa: E402
from speciosa.clinical.outcomes.engine import (  # noqa: E402
    compute_measures_duckdb,
    compute_measures_single_statement,
    connect,
)
from speciosa.clinical.outcomes.prepare import prepare_tables  # noqa: E402
from speciosa.clinical.outcomes.reference import _frames, compute_measures_pandas  # noqa: E402
from speciosa.clinical.outcomes.results import clean_rows, measures_equal  # noqa: E402
from speciosa.clinical.outcomes.synthetic import generate_tables  # noqa: E402
from speciosa.clinical.outcomes.tables import CohortFilter  # noqa: E402

AS_OF = date(2026, 6, 30)
COHORT = CohortFilter(admitted_from=date(2025, 6, 1))


def timed(fn, repeat: int) -> tuple[Timing, list[float]]:
    wall, cpu = Timing(), []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.samples.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu


def main() -> None:
    n = bench_size(small=10_000, default=100_000)
    load_at_start = os.getloadavg()
    d = load_definitions()
    t0 = time.perf_counter()
    tables = generate_tables(n, seed=11, as_of=AS_OF)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    tables = prepare_tables(tables, d)
    prepare_s = time.perf_counter() - t0
    print(
        f"extract: {n} patients, {tables.n_rows:,} rows ({gen_s:.1f} s to generate, "
        f"{prepare_s:.2f} s to prepare)"
    )

    def dashboard_duckdb():
        return build_dashboard(compute_measures_duckdb(tables, COHORT, AS_OF, d), AS_OF, d)

    def dashboard_pandas():
        return build_dashboard(compute_measures_pandas(tables, COHORT, AS_OF, d), AS_OF, d)

    def raw_statement():
        con = connect(tables)
        try:
            return compute_measures_single_statement(con, COHORT, AS_OF, d)
        finally:
            con.close()

    # same numbers from all three before any timing
    fast = compute_measures_duckdb(tables, COHORT, AS_OF, d)
    reference = compute_measures_pandas(tables, COHORT, AS_OF, d)
    raw = {k: clean_rows(k, json.loads(v) or []) for k, v in raw_statement().items()}
    problems = measures_equal(fast, reference) + measures_equal(fast, raw)
    if problems:
        raise SystemExit("engines disagree: " + "; ".join(problems[:5]))

    repeat = 3
    subject, subject_cpu = timed(dashboard_duckdb, repeat)
    raw_t, raw_cpu = timed(raw_statement, repeat)
    pandas_t, pandas_cpu = timed(dashboard_pandas, 2)
    # how much of the pandas time is the Arrow -> DataFrame conversion (reported only)
    frames_t, _ = timed(lambda: _frames(tables), 2)
    # tracemalloc sees Python allocations only (DuckDB's own memory is native)
    _, peak = peak_python_memory(dashboard_duckdb)

    vs_pandas = pandas_t.p50 / subject.p50
    vs_raw = subject.p50 / raw_t.p50
    cpu_p50 = sorted(subject_cpu)[len(subject_cpu) // 2]
    extra = {
        "rows": tables.n_rows,
        "rows_by_table": {k: t.num_rows for k, t in tables.items()},
        "cohort_patients": fast["summary"][0]["n_patients"],
        "generate_s": gen_s,
        "prepare_s": prepare_s,
        "pandas_arrow_to_frames_p50_s": frames_t.p50,
        "load_average_at_start": load_at_start,
        "pandas": pandas_t.as_dict(),
        "raw_duckdb": raw_t.as_dict(),
        "cpu_s": {
            "subject_p50": cpu_p50,
            "raw_duckdb_p50": sorted(raw_cpu)[len(raw_cpu) // 2],
            "pandas_p50": sorted(pandas_cpu)[len(pandas_cpu) // 2],
        },
        "ratio_vs_pandas": vs_pandas,
        "ratio_vs_raw_duckdb": vs_raw,
        "targets": {"vs_pandas_at_least": 10.0, "vs_raw_at_most": 2.0, "seconds_below": 3.0},
        "passed": {
            "vs_pandas": vs_pandas >= 10.0,
            "vs_raw": vs_raw <= 2.0,
            "under_3s": subject.p50 < 3.0,
        },
        "numbers_equal": True,
    }
    print(
        f"dashboard (DuckDB) p50 {subject.p50:.2f} s (cpu {cpu_p50:.2f} s) | "
        f"pandas p50 {pandas_t.p50:.2f} s -> {vs_pandas:.1f}x | "
        f"raw DuckDB statement p50 {raw_t.p50:.2f} s -> dashboard/raw {vs_raw:.2f}"
    )
    write_result(
        "outcomes",
        size=n,
        subject=subject,
        baseline=pandas_t,
        ratio=vs_pandas,
        ratio_means="pandas reference time / DuckDB dashboard time (higher is better)",
        target=10.0,
        peak_memory_bytes=peak,
        extra=extra,
    )


if __name__ == "__main__":
    main()
