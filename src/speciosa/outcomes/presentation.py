"""Turning dashboard tables into display strings (page, PDF) and CSV rows.

Exports (CSV, PDF) always go through small-cell suppression; the on-screen dashboard
is for staff of the program and shows exact counts.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from typing import Any

from speciosa.clinical.outcomes.charts import bar_chart_svg, funnel_svg, km_curve_svg
from speciosa.clinical.outcomes.dashboard import SUPPRESSED, Dashboard, Table, suppress_small_cells

DASH = "–"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def format_cell(value: Any, kind: str, row: dict[str, Any] | None = None) -> str:
    if value is None:
        return DASH
    if isinstance(value, str):
        return value  # labels, and "<11" / "suppressed" from suppression
    is_share = kind in {"share", "ci_share"} or bool(row and row.get("is_share"))
    if kind in {"ci", "ci_share"}:
        low, high = value
        if is_share:
            return f"{low * 100:.1f}–{high * 100:.1f}%"
        return f"{low:.2f} to {high:.2f}"
    if kind == "count" or isinstance(value, int):
        return f"{value:,}"
    if is_share:
        return _pct(value) if kind == "share" or abs(value) <= 1 else f"{value:.2f}"
    return f"{value:,.2f}"


def display_rows(table: Table, threshold: int | None = None) -> list[list[str]]:
    """Rows as strings; with ``threshold`` the small cells are suppressed first."""
    source = suppress_small_cells(table, threshold) if threshold else table.rows
    return [[format_cell(row.get(c.key), c.kind, row) for c in table.columns] for row in source]


def csv_text(table: Table, threshold: int) -> str:
    """One table as CSV (suppressed). Intervals become two columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header: list[str] = []
    for c in table.columns:
        header += [f"{c.key}_low", f"{c.key}_high"] if c.kind.startswith("ci") else [c.key]
    writer.writerow(header)
    for row in suppress_small_cells(table, threshold):
        out: list[Any] = []
        for c in table.columns:
            value = row.get(c.key)
            if c.kind.startswith("ci"):
                if value is None or value == SUPPRESSED:
                    out += [value or "", value or ""]
                else:
                    out += [round(value[0], 6), round(value[1], 6)]
            elif isinstance(value, float):
                out.append(round(value, 6))
            else:
                out.append("" if value is None else value)
        writer.writerow(out)
    return buffer.getvalue()


def csv_zip(dashboard: Dashboard, threshold: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in dashboard.all_tables():
            archive.writestr(f"{table.id}.csv", csv_text(table, threshold))
    return buffer.getvalue()


def build_charts(dashboard: Dashboard, horizons: tuple[int, ...]) -> dict[str, str]:
    """The dashboard's SVG charts, keyed by name (same markup in the page and the PDF)."""
    from speciosa.clinical.charts import line_chart_svg

    t = dashboard.tables
    steps = [
        (r["t"], r["survival"], r["ci"][0], r["ci"][1])
        for r in t["retention_curve"].rows
        if r["ci"] is not None
    ]
    max_day = max([120, *[h + 30 for h in horizons]])
    charts = {
        "km": km_curve_svg(steps, max_day=max_day, horizons=horizons),
    }
    trend = [
        (date(int(r["month"][:4]), int(r["month"][5:7]), 1), round(r["share"] * 100, 1))
        for r in t["trend_monthly"].rows
        if r["share"] is not None
    ]
    charts["trend"] = line_chart_svg(
        trend,
        y_min=0,
        y_max=100,
        title=f"{horizons[0]}-day retention by admission month (%)",
        y_label="%",
        height=200,
    )
    hist = [
        (f"{r['bin_start']}+" if r["bin_start"] >= 180 else str(r["bin_start"]), float(r["n"]))
        for r in t["days_histogram"].rows
    ]
    charts["days"] = bar_chart_svg(hist, title="Days in episode (patients per 15-day bin)")
    charts["funnel"] = funnel_svg(
        [(r["stage"], r["n"]) for r in t["adhd_funnel"].rows],
        title="ADHD: screen, positive, assessed, plan",
    )
    charts["alerts"] = bar_chart_svg(
        [(r["severity"], r["per_100_days"] or 0.0) for r in t["alerts"].rows],
        title="Alerts per 100 patient-days by severity",
        value_format="{:.2f}",
        colour="#c2410c",
    )
    charts["moud"] = bar_chart_svg(
        [(r["medication"], (r["share"] or 0.0) * 100) for r in t["moud"].rows],
        title="Patients with OUD on MOUD (%)",
        value_format="{:.0f}%",
        colour="#1e7b45",
    )
    return charts
