"""The fast path: every measure as set-based DuckDB SQL over the Arrow extract.

No per-patient Python: the cohort is materialised once as a DuckDB temp table, the
cohort's scores are a view over it, then each measure is one SELECT. Python only
touches the aggregated rows (a few hundred at most).
"""

from __future__ import annotations

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


def connect(tables: OutcomeTables, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the extract registered (zero-copy Arrow views)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name, table in prepare_tables(tables).items():
        con.register(name, table)
    return con


def _fetch_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def compute_measures_duckdb(
    tables: OutcomeTables,
    cohort: CohortFilter,
    as_of: date,
    definitions: OutcomeDefinitions | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> RawMeasures:
    """All raw measure tables for one cohort."""
    d = definitions or load_definitions()
    tables = prepare_tables(tables, d)
    own = con is None
    con = con or connect(tables)
    try:
        sql = cohort_sql(d, cohort)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE cohort AS {sql}",
            filter_parameters(cohort, as_of, sql),
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW cs AS {cohort_scores_sql()}")
        return {
            name: clean_rows(name, _fetch_rows(con, query))
            for name, query in measure_queries(d).items()
        }
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
