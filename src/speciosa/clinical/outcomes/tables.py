"""The columnar extract the engines read: one Arrow table per kind of observation.

Timestamps are naive UTC (``timestamp[us]``), dates are ``date32``. The Django layer fills
these from the database by keyset-paged streaming (``speciosa.outcomes.extract``); the
benchmark and the property tests generate them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import pyarrow as pa

TS = pa.timestamp("us")

SCHEMAS: dict[str, pa.Schema] = {
    "patients": pa.schema(
        [("patient_id", pa.int64()), ("birth_date", pa.date32()), ("sex", pa.string())]
    ),
    "episodes": pa.schema(
        [
            ("episode_id", pa.int64()),
            ("patient_id", pa.int64()),
            ("program_id", pa.int64()),
            ("asam_level", pa.string()),
            ("admitted_on", pa.date32()),
            ("discharged_on", pa.date32()),
            ("discharge_reason", pa.string()),
        ]
    ),
    "diagnoses": pa.schema([("patient_id", pa.int64()), ("icd10", pa.string())]),
    # self-reported kratom use: one row per report (g/day; 0 = not using)
    "kratom_use": pa.schema([("patient_id", pa.int64()), ("at", TS), ("grams", pa.float64())]),
    "labs": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("analyte", pa.string()),
            ("method", pa.string()),
            ("at", TS),
            ("result", pa.string()),
        ]
    ),
    "medications": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("name", pa.string()),
            ("status", pa.string()),
            ("start_at", TS),
            ("stop_at", TS),
        ]
    ),
    "scores": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("instrument", pa.string()),
            ("at", TS),
            ("total", pa.float64()),
            ("is_positive", pa.bool_()),
        ]
    ),
    "alerts": pa.schema(
        [
            ("patient_id", pa.int64()),
            ("severity", pa.string()),
            ("created_at", TS),
            ("acknowledged_at", TS),
        ]
    ),
    "events": pa.schema(
        [("patient_id", pa.int64()), ("kind", pa.string()), ("at", TS), ("status", pa.string())]
    ),
    # per-patient "assessment due" schedules (measures.AssessmentSchedule). An interval
    # schedule is one row (offset_days null); a fixed schedule is one row per offset.
    # ends_at is the planned end or the time the schedule was stopped, whichever is first.
    "schedules": pa.schema(
        [
            ("schedule_id", pa.int64()),
            ("patient_id", pa.int64()),
            ("instrument", pa.string()),
            ("kind", pa.string()),
            ("starts_at", TS),
            ("ends_at", TS),
            ("interval_hours", pa.int64()),
            ("offset_days", pa.int64()),
            ("grace_hours", pa.int64()),
        ]
    ),
}


@dataclass(frozen=True)
class OutcomeTables:
    patients: pa.Table
    episodes: pa.Table
    diagnoses: pa.Table
    kratom_use: pa.Table
    labs: pa.Table
    medications: pa.Table
    scores: pa.Table
    alerts: pa.Table
    events: pa.Table
    schedules: pa.Table
    # set by ``prepare.prepare_tables`` (typed, sorted, per-row neighbours precomputed)
    prepared: bool = field(default=False, compare=False)

    def items(self) -> list[tuple[str, pa.Table]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self) if f.name in SCHEMAS]

    @property
    def n_rows(self) -> int:
        return sum(t.num_rows for _, t in self.items())


# low-cardinality text columns: dictionary-encoded in extracts (cheaper joins and filters
# in DuckDB, categoricals in pandas); free text such as medication names stays plain
CATEGORY_COLUMNS = frozenset(
    {
        "sex",
        "asam_level",
        "discharge_reason",
        "icd10",
        "analyte",
        "method",
        "result",
        "status",
        "instrument",
        "severity",
        "kind",
    }
)


def encode_categories(tables: OutcomeTables) -> OutcomeTables:
    """The same tables with ``CATEGORY_COLUMNS`` dictionary-encoded."""
    import pyarrow.compute as pc

    out = {}
    for name, table in tables.items():
        for column in table.schema.names:
            if column in CATEGORY_COLUMNS and pa.types.is_string(table.schema.field(column).type):
                index = table.schema.get_field_index(column)
                table = table.set_column(index, column, pc.dictionary_encode(table[column]))
        out[name] = table
    return OutcomeTables(**out, prepared=tables.prepared)


def tables_from_rows(rows: dict[str, list[dict[str, Any]]]) -> OutcomeTables:
    """Build typed tables from lists of dicts (missing kinds become empty tables)."""
    built = {
        name: pa.Table.from_pylist(rows.get(name, []), schema=schema)
        for name, schema in SCHEMAS.items()
    }
    return OutcomeTables(**built)


@dataclass(frozen=True)
class CohortFilter:
    """Who is in the cohort. Empty tuples mean "no restriction"."""

    admitted_from: date | None = None
    admitted_to: date | None = None
    program_ids: tuple[int, ...] = ()
    levels_of_care: tuple[str, ...] = ()
    diagnosis_groups: tuple[str, ...] = ()  # ids from measures.yaml (oud, kratom, adhd)
    age_bands: tuple[str, ...] = ()  # ids from measures.yaml ("18-25", ...)
    sexes: tuple[str, ...] = ()
