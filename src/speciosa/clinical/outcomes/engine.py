"""The fast path: every measure as set-based DuckDB SQL over the Arrow extract.

No per-patient Python: the cohort is materialised once as a DuckDB table, the cohort's
scores are a view over it, then each measure is one SELECT. Python only touches the
aggregated rows (a few hundred at most).

The measures are independent reads, so they run on ``workers`` cursors at once, the
heaviest first: DuckDB parallelises one big join well, but the small measures (a few
thousand to 200k rows) run mostly on one thread, and running them beside the big ones
keeps both cores busy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import duckdb

from speciosa.clinical.outcomes.definitions import OutcomeDefinitions, load_definitions
from speciosa.clinical.outcomes.prepare import prepare_tables
from speciosa.clinical.outcomes.results import RawMeasures, clean_rows
from speciosa.clinical.outcomes.sql import (
    cohort_scores_sql,
    cohort_sql,
    measure_queries,
    single_statement_sql,
)
from speciosa.clinical.outcomes.tables import CohortFilter, OutcomeTables


def filter_parameters(f: CohortFilter, as_of: date, sql: str) -> dict[str, Any]:
    """Bound parameters the SQL text actually uses (DuckDB rejects unused ones)."""
    values: dict[str, Any] = {
        "as_of": as_of,
        "admitted_from": f.admitted_from,
        "admitted_to": f.admitted_to,
        "programs": list(f.program_ids),
        "levels": list(f.levels_of_care),
        "sexes": list(f.sexes),
        "age_bands": list(f.age_bands),
    }
    return {k: v for k, v in values.items() if f"${k}" in sql}


# the measures that read millions of score rows: started first (longest job first)
HEAVY_FIRST = ("mbc_fidelity", "symptom_change", "kratom", "alerts", "adhd_funnel", "withdrawal")


def _register(con: duckdb.DuckDBPyConnection, tables: OutcomeTables) -> None:
    # registered Arrow views belong to one connection (cursors included), tables do not
    for name, table in tables.items():
        con.register(name, table)


def connect(tables: OutcomeTables, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the extract registered (zero-copy Arrow views)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    _register(con, prepare_tables(tables))
    return con


def _fetch_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _run_queries(
    con: duckdb.DuckDBPyConnection, tables: OutcomeTables, queries: dict[str, str], workers: int
) -> dict[str, list[dict[str, Any]]]:
    """Every query on its own cursor, ``workers`` at a time, heaviest first."""
    if workers <= 1:
        return {name: _fetch_rows(con, query) for name, query in queries.items()}

    def run(name: str) -> tuple[str, list[dict[str, Any]]]:
        cursor = con.cursor()
        try:
            _register(cursor, tables)
            return name, _fetch_rows(cursor, queries[name])
        finally:
            cursor.close()

    order = sorted(queries, key=lambda n: HEAVY_FIRST.index(n) if n in HEAVY_FIRST else 99)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outcomes") as pool:
        found = dict(pool.map(run, order))
    return {name: found[name] for name in queries}


def compute_measures_duckdb(
    tables: OutcomeTables,
    cohort: CohortFilter,
    as_of: date,
    definitions: OutcomeDefinitions | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    workers: int = 2,
) -> RawMeasures:
    """All raw measure tables for one cohort (``workers`` measures at a time)."""
    d = definitions or load_definitions()
    tables = prepare_tables(tables, d)
    own = con is None
    con = con or connect(tables)
    try:
        sql = cohort_sql(d, cohort)
        # plain tables, not TEMP: the measure cursors must see them
        con.execute(
            f"CREATE OR REPLACE TABLE cohort AS {sql}", filter_parameters(cohort, as_of, sql)
        )
        con.execute(f"CREATE OR REPLACE VIEW cs AS {cohort_scores_sql()}")
        rows = _run_queries(con, tables, measure_queries(d), workers)
        return {name: clean_rows(name, found) for name, found in rows.items()}
    finally:
        if own:
            con.close()


def compute_measures_single_statement(
    con: duckdb.DuckDBPyConnection,
    cohort: CohortFilter,
    as_of: date,
    definitions: OutcomeDefinitions | None = None,
) -> dict[str, str]:
    """The same numbers from ONE SQL statement (JSON per measure); benchmark baseline."""
    d = definitions or load_definitions()
    sql = single_statement_sql(d, cohort)
    cursor = con.execute(sql, filter_parameters(cohort, as_of, sql))
    names = [c[0] for c in cursor.description or []]
    row = cursor.fetchone() or ()
    return dict(zip(names, row, strict=True))
