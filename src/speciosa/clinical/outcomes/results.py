"""Plain result rows shared by both engines, and their normalisation for comparison."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
RawMeasures = dict[str, list[Row]]

# Columns of every raw measure table, in order. Both engines must produce exactly these.
COLUMNS: dict[str, tuple[str, ...]] = {
    "summary": ("n_patients", "n_unplanned_discharges", "patient_days", "median_days", "mean_days"),
    "retention_curve": ("t", "at_risk", "events", "survival", "greenwood"),
    "days_histogram": ("bin_start", "n"),
    "trend_monthly": ("month", "admissions", "n_eligible", "n_retained"),
    "withdrawal": ("n_assessed", "n_in_withdrawal", "n_managed", "median_days", "mean_days"),
    "symptom_change": (
        "instrument",
        "n_pairs",
        "mean_baseline",
        "mean_followup",
        "mean_change",
        "sd_change",
        "n_improved",
        "n_deteriorated",
    ),
    "kratom": (
        "horizon",
        "n_users",
        "n_eligible",
        "n_followed",
        "mean_baseline_g",
        "mean_followup_g",
        "mean_reduction_g",
        "n_abstinent_self",
        "n_abstinent_confirmed",
    ),
    "adhd_funnel": ("n_screened", "n_positive", "n_assessed", "n_planned"),
    "moud": ("medication", "n_oud", "n_patients"),
    "alerts": (
        "severity",
        "n_alerts",
        "n_patients",
        "n_acknowledged",
        "median_hours_to_ack",
        "p90_hours_to_ack",
    ),
    "mbc_fidelity": ("instrument", "n_due", "n_on_time"),
}


def clean_value(value: Any) -> Any:
    """Python scalars only: numpy/Decimal -> float/int, NaN -> None, dates -> ISO text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    return value


def clean_rows(name: str, rows: list[Row]) -> list[Row]:
    cols = COLUMNS[name]
    return [{c: clean_value(r.get(c)) for c in cols} for r in rows]


def measures_equal(a: RawMeasures, b: RawMeasures, rel_tol: float = 1e-9) -> list[str]:
    """Differences between two raw results (empty list when equal within ``rel_tol``)."""
    problems: list[str] = []
    for name in COLUMNS:
        rows_a, rows_b = a.get(name, []), b.get(name, [])
        if len(rows_a) != len(rows_b):
            problems.append(f"{name}: {len(rows_a)} rows vs {len(rows_b)}")
            continue
        for i, (ra, rb) in enumerate(zip(rows_a, rows_b, strict=True)):
            for col in COLUMNS[name]:
                va, vb = ra[col], rb[col]
                if isinstance(va, float) or isinstance(vb, float):
                    if va is None or vb is None:
                        same = va is None and vb is None
                    else:
                        same = math.isclose(float(va), float(vb), rel_tol=rel_tol, abs_tol=1e-9)
                else:
                    same = va == vb
                if not same:
                    problems.append(f"{name}[{i}].{col}: {va!r} != {vb!r}")
    return problems
