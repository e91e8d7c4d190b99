"""From raw measure rows to the dashboard: shares with Wilson intervals, KM horizons,
two-cohort comparisons, and small-cell suppression for exported reports.

Everything here works on aggregated rows (tens to hundreds), never on patients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from speciosa.clinical.outcomes.definitions import OutcomeDefinitions, load_definitions
from speciosa.clinical.outcomes.engine import compute_measures_duckdb
from speciosa.clinical.outcomes.results import RawMeasures, Row
from speciosa.clinical.outcomes.stats import (
    Estimate,
    km_interval,
    mean_difference,
    mean_interval,
    newcombe_difference,
    survival_difference,
    wilson,
    z_for,
)
from speciosa.clinical.outcomes.tables import CohortFilter, OutcomeTables

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "number"  # label | count | share | number | ci | ci_share


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    def count_keys(self) -> list[str]:
        return [c.key for c in self.columns if c.kind == "count"]


@dataclass
class Dashboard:
    as_of: date
    tables: dict[str, Table]
    raw: RawMeasures
    comparison: Table | None = None

    def all_tables(self) -> list[Table]:
        found = list(self.tables.values())
        return [*found, self.comparison] if self.comparison is not None else found


def _ci(e: Estimate | None) -> tuple[float, float] | None:
    return None if e is None else (e.low, e.high)


def _share(k: int | None, n: int | None, z: float) -> tuple[float | None, Any]:
    est = wilson(k or 0, n or 0, z) if n else None
    return (None if est is None else est.value), _ci(est)


def km_horizons(raw: RawMeasures, horizons: tuple[int, ...], z: float) -> list[Row]:
    """S(D) = the last step at or before day D (1.0 before the first event)."""
    curve = raw["retention_curve"]
    n = raw["summary"][0]["n_patients"]
    rows = []
    for h in horizons:
        steps = [r for r in curve if r["t"] <= h]
        s, gw = (steps[-1]["survival"], steps[-1]["greenwood"]) if steps else (1.0, 0.0)
        est: Estimate | None = km_interval(s, gw, z) if n else None
        rows.append(
            {
                "horizon": h,
                "n": n,
                "events": sum(r["events"] for r in steps),
                "survival": None if est is None else est.value,
                "ci": _ci(est),
                "greenwood": gw,
            }
        )
    return rows


def build_tables(raw: RawMeasures, d: OutcomeDefinitions) -> dict[str, Table]:
    z = z_for(d.statistics.confidence)
    m = d.measures
    t: dict[str, Table] = {}
    s = raw["summary"][0]
    t["summary"] = Table(
        "summary",
        "Cohort",
        [
            Column("n_patients", "Patients", "count"),
            Column("n_unplanned_discharges", "Unplanned discharges", "count"),
            Column("patient_days", "Patient-days"),
            Column("median_days", "Median days in episode"),
            Column("mean_days", "Mean days in episode"),
        ],
        [dict(s)],
        m.retention.description,
    )
    t["retention"] = Table(
        "retention",
        "Retention in treatment (Kaplan-Meier)",
        [
            Column("horizon", "Day", "label"),
            Column("n", "Patients", "count"),
            Column("events", "Unplanned discharges by day", "count"),
            Column("survival", "Retained", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        km_horizons(raw, m.retention.horizons_days, z),
        m.retention.citation.short(),
    )
    curve_rows = []
    for r in raw["retention_curve"]:
        est = km_interval(r["survival"], r["greenwood"], z)
        curve_rows.append({**r, "ci": _ci(est)})
    t["retention_curve"] = Table(
        "retention_curve",
        "Kaplan-Meier curve (event days)",
        [
            Column("t", "Day", "label"),
            Column("at_risk", "At risk", "count"),
            Column("events", "Events", "count"),
            Column("survival", "S(t)", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        curve_rows,
    )
    trend = []
    for r in raw["trend_monthly"]:
        share, ci = _share(r["n_retained"], r["n_eligible"], z)
        trend.append({**r, "share": share, "ci": ci})
    t["trend_monthly"] = Table(
        "trend_monthly",
        f"Admissions and {m.retention.horizons_days[0]}-day retention by month",
        [
            Column("month", "Admitted", "label"),
            Column("admissions", "Admissions", "count"),
            Column("n_eligible", "Followed >= 30 days", "count"),
            Column("n_retained", "Retained", "count"),
            Column("share", "Share", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        trend,
    )
    t["days_histogram"] = Table(
        "days_histogram",
        "Days in episode (15-day bins; last bin 180+)",
        [Column("bin_start", "From day", "label"), Column("n", "Patients", "count")],
        [dict(r) for r in raw["days_histogram"]],
    )
    w = raw["withdrawal"][0]
    share, ci = _share(w["n_managed"], w["n_in_withdrawal"], z)
    t["withdrawal"] = Table(
        "withdrawal",
        "Withdrawal managed (first COWS below 5)",
        [
            Column("n_assessed", "COWS assessed", "count"),
            Column("n_in_withdrawal", "In withdrawal", "count"),
            Column("n_managed", "Reached COWS < 5", "count"),
            Column("share", "Share", "share"),
            Column("ci", "95% CI", "ci_share"),
            Column("median_days", "Median days"),
            Column("mean_days", "Mean days"),
        ],
        [{**w, "share": share, "ci": ci}],
        m.withdrawal.citation.short(),
    )
    by_id = {r["instrument"]: r for r in raw["symptom_change"]}
    change_rows = []
    for inst in m.symptom_change.instruments:
        r = by_id.get(inst.id) or {"n_pairs": 0}
        n = r["n_pairs"]
        imp, imp_ci = _share(r.get("n_improved"), n, z) if inst.reliable_change else (None, None)
        det, det_ci = (
            _share(r.get("n_deteriorated"), n, z) if inst.reliable_change else (None, None)
        )
        change_rows.append(
            {
                "instrument": inst.label,
                "n_pairs": n,
                "mean_baseline": r.get("mean_baseline"),
                "mean_followup": r.get("mean_followup"),
                "mean_change": r.get("mean_change"),
                "change_ci": _ci(mean_interval(r.get("mean_change"), r.get("sd_change"), n, z)),
                "rci": inst.reliable_change,
                "n_improved": r.get("n_improved"),
                "improved": imp,
                "improved_ci": imp_ci,
                "n_deteriorated": r.get("n_deteriorated"),
                "deteriorated": det,
                "deteriorated_ci": det_ci,
                "sd_change": r.get("sd_change"),
            }
        )
    t["symptom_change"] = Table(
        "symptom_change",
        "Change from baseline and reliable change",
        [
            Column("instrument", "Measure", "label"),
            Column("n_pairs", "Pairs", "count"),
            Column("mean_baseline", "Baseline"),
            Column("mean_followup", "Follow-up"),
            Column("mean_change", "Mean change"),
            Column("change_ci", "95% CI", "ci"),
            Column("rci", "RCI"),
            Column("n_improved", "Reliably improved", "count"),
            Column("improved", "Share", "share"),
            Column("n_deteriorated", "Reliably deteriorated", "count"),
            Column("deteriorated", "Share", "share"),
        ],
        change_rows,
        m.symptom_change.method_citation.short(),
    )
    kratom_rows = []
    for r in raw["kratom"]:
        ab, ab_ci = _share(r["n_abstinent_self"], r["n_eligible"], z)
        cf, cf_ci = _share(r["n_abstinent_confirmed"], r["n_eligible"], z)
        kratom_rows.append(
            {**r, "abstinent": ab, "abstinent_ci": ab_ci, "confirmed": cf, "confirmed_ci": cf_ci}
        )
    t["kratom"] = Table(
        "kratom",
        "Kratom use: g/day reduction and abstinence",
        [
            Column("horizon", "Day", "label"),
            Column("n_users", "Users at baseline", "count"),
            Column("n_eligible", "Eligible", "count"),
            Column("n_followed", "With follow-up", "count"),
            Column("mean_baseline_g", "Baseline g/day"),
            Column("mean_followup_g", "Follow-up g/day"),
            Column("mean_reduction_g", "Mean reduction g/day"),
            Column("n_abstinent_self", "Abstinent (self-report)", "count"),
            Column("abstinent", "Share", "share"),
            Column("abstinent_ci", "95% CI", "ci_share"),
            Column("n_abstinent_confirmed", "Abstinent (lab-confirmed)", "count"),
            Column("confirmed", "Share", "share"),
            Column("confirmed_ci", "95% CI", "ci_share"),
        ],
        kratom_rows,
        m.kratom.description,
    )
    a = raw["adhd_funnel"][0]
    stages = [
        ("Screened with ASRS", a["n_screened"], a["n_screened"]),
        ("ASRS positive", a["n_positive"], a["n_screened"]),
        ("Assessed for ADHD", a["n_assessed"], a["n_positive"]),
        ("Assessed and with ADHD plan", a["n_planned"], a["n_positive"]),
    ]
    funnel = []
    for label, k, n in stages:
        share, ci = _share(k, n, z)
        funnel.append({"stage": label, "n": k, "of": n, "share": share, "ci": ci})
    t["adhd_funnel"] = Table(
        "adhd_funnel",
        "ASRS-positive patients with ADHD assessment and plan",
        [
            Column("stage", "Stage", "label"),
            Column("n", "Patients", "count"),
            Column("of", "Of", "count"),
            Column("share", "Share", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        funnel,
        m.adhd_care.citation.short(),
    )
    moud_rows = []
    for r in raw["moud"]:
        share, ci = _share(r["n_patients"], r["n_oud"], z)
        moud_rows.append({**r, "share": share, "ci": ci})
    moud_rows.sort(key=lambda r: (r["medication"] != "any", r["medication"]))
    t["moud"] = Table(
        "moud",
        "Patients with OUD on medication (MOUD)",
        [
            Column("medication", "Medication", "label"),
            Column("n_oud", "Patients with OUD", "count"),
            Column("n_patients", "On medication", "count"),
            Column("share", "Share", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        moud_rows,
        m.moud.citation.short(),
    )
    patient_days = s["patient_days"] or 0
    alert_rows = []
    order = {sev: i for i, sev in enumerate(m.alerts.severities)}
    for r in sorted(raw["alerts"], key=lambda r: order.get(r["severity"], 99)):
        share, ci = _share(r["n_acknowledged"], r["n_alerts"], z)
        rate = 100 * r["n_alerts"] / patient_days if patient_days else None
        alert_rows.append({**r, "per_100_days": rate, "ack_share": share, "ack_ci": ci})
    t["alerts"] = Table(
        "alerts",
        "Safety alert burden and time to acknowledge",
        [
            Column("severity", "Severity", "label"),
            Column("n_alerts", "Alerts", "count"),
            Column("n_patients", "Patients", "count"),
            Column("per_100_days", "Per 100 patient-days"),
            Column("n_acknowledged", "Acknowledged", "count"),
            Column("ack_share", "Share", "share"),
            Column("median_hours_to_ack", "Median hours to ack"),
            Column("p90_hours_to_ack", "90th pct hours"),
        ],
        alert_rows,
    )
    mbc_rows = []
    for r in raw["mbc_fidelity"]:
        share, ci = _share(r["n_on_time"], r["n_due"], z)
        mbc_rows.append({**r, "share": share, "ci": ci})
    if mbc_rows:
        due = sum(r["n_due"] for r in mbc_rows)
        on_time = sum(r["n_on_time"] for r in mbc_rows)
        share, ci = _share(on_time, due, z)
        mbc_rows.append(
            {"instrument": "all", "n_due": due, "n_on_time": on_time, "share": share, "ci": ci}
        )
    t["mbc_fidelity"] = Table(
        "mbc_fidelity",
        "Measurement-based care: scheduled assessments completed on time",
        [
            Column("instrument", "Instrument", "label"),
            Column("n_due", "Due", "count"),
            Column("n_on_time", "On time", "count"),
            Column("share", "Share", "share"),
            Column("ci", "95% CI", "ci_share"),
        ],
        mbc_rows,
        m.mbc_fidelity.citation.short(),
    )
    return t


def _proportion_row(label: str, a: tuple[int, int], b: tuple[int, int], z: float) -> Row:
    ea, eb = wilson(a[0], a[1], z), wilson(b[0], b[1], z)
    diff = newcombe_difference(a[0], a[1], b[0], b[1], z)
    return {
        "indicator": label,
        "a": None if ea is None else ea.value,
        "a_n": a[1],
        "b": None if eb is None else eb.value,
        "b_n": b[1],
        "difference": None if diff is None else diff.value,
        "ci": _ci(diff),
        "method": "Newcombe hybrid score",
        "is_share": True,
    }


def compare(a: Dashboard, b: Dashboard, d: OutcomeDefinitions) -> Table:
    """Cohort A minus cohort B for the headline indicators, with 95% intervals."""
    z = z_for(d.statistics.confidence)
    rows: list[Row] = []
    ta, tb = a.tables, b.tables
    for ra, rb in zip(ta["retention"].rows, tb["retention"].rows, strict=True):
        if ra["survival"] is None or rb["survival"] is None:
            continue
        sdiff = survival_difference(
            ra["survival"], ra["greenwood"], rb["survival"], rb["greenwood"], z
        )
        rows.append(
            {
                "indicator": f"Retained at day {ra['horizon']} (KM)",
                "a": ra["survival"],
                "a_n": ra["n"],
                "b": rb["survival"],
                "b_n": rb["n"],
                "difference": sdiff.value,
                "ci": _ci(sdiff),
                "method": "Greenwood normal",
                "is_share": True,
            }
        )
    wa, wb = ta["withdrawal"].rows[0], tb["withdrawal"].rows[0]
    rows.append(
        _proportion_row(
            "Withdrawal managed",
            (wa["n_managed"], wa["n_in_withdrawal"]),
            (wb["n_managed"], wb["n_in_withdrawal"]),
            z,
        )
    )
    for ca, cb in zip(ta["symptom_change"].rows, tb["symptom_change"].rows, strict=True):
        diff = mean_difference(
            ca["mean_change"],
            ca["sd_change"],
            ca["n_pairs"],
            cb["mean_change"],
            cb["sd_change"],
            cb["n_pairs"],
            z,
        )
        rows.append(
            {
                "indicator": f"{ca['instrument']} mean change",
                "a": ca["mean_change"],
                "a_n": ca["n_pairs"],
                "b": cb["mean_change"],
                "b_n": cb["n_pairs"],
                "difference": None if diff is None else diff.value,
                "ci": _ci(diff),
                "method": "Welch normal",
                "is_share": False,
            }
        )
        if ca["rci"]:
            rows.append(
                _proportion_row(
                    f"{ca['instrument']} reliable improvement",
                    (ca["n_improved"] or 0, ca["n_pairs"]),
                    (cb["n_improved"] or 0, cb["n_pairs"]),
                    z,
                )
            )
    for ka, kb in zip(ta["kratom"].rows, tb["kratom"].rows, strict=True):
        rows.append(
            _proportion_row(
                f"Kratom abstinent day {ka['horizon']} (self-report)",
                (ka["n_abstinent_self"], ka["n_eligible"]),
                (kb["n_abstinent_self"], kb["n_eligible"]),
                z,
            )
        )
        rows.append(
            _proportion_row(
                f"Kratom abstinent day {ka['horizon']} (lab-confirmed)",
                (ka["n_abstinent_confirmed"], ka["n_eligible"]),
                (kb["n_abstinent_confirmed"], kb["n_eligible"]),
                z,
            )
        )
    fa, fb = ta["adhd_funnel"].rows, tb["adhd_funnel"].rows
    rows.append(
        _proportion_row(
            "ASRS-positive with ADHD assessment",
            (fa[2]["n"], fa[2]["of"]),
            (fb[2]["n"], fb[2]["of"]),
            z,
        )
    )
    rows.append(
        _proportion_row(
            "ASRS-positive with assessment and plan",
            (fa[3]["n"], fa[3]["of"]),
            (fb[3]["n"], fb[3]["of"]),
            z,
        )
    )
    ma, mb = ta["moud"].rows[0], tb["moud"].rows[0]
    rows.append(
        _proportion_row(
            "OUD on MOUD", (ma["n_patients"], ma["n_oud"]), (mb["n_patients"], mb["n_oud"]), z
        )
    )
    ba = next((r for r in ta["mbc_fidelity"].rows if r["instrument"] == "all"), None)
    bb = next((r for r in tb["mbc_fidelity"].rows if r["instrument"] == "all"), None)
    if ba and bb:
        rows.append(
            _proportion_row(
                "Assessments on time",
                (ba["n_on_time"], ba["n_due"]),
                (bb["n_on_time"], bb["n_due"]),
                z,
            )
        )
    return Table(
        "comparison",
        "Cohort A vs cohort B",
        [
            Column("indicator", "Indicator", "label"),
            Column("a", "A", "number"),
            Column("a_n", "A n", "count"),
            Column("b", "B", "number"),
            Column("b_n", "B n", "count"),
            Column("difference", "A - B", "number"),
            Column("ci", "95% CI", "ci"),
            Column("method", "Method", "label"),
        ],
        rows,
        d.statistics.difference_ci.short(),
    )


def build_dashboard(
    raw: RawMeasures, as_of: date, d: OutcomeDefinitions | None = None
) -> Dashboard:
    d = d or load_definitions()
    return Dashboard(as_of=as_of, tables=build_tables(raw, d), raw=raw)


def compute_dashboard(
    tables: OutcomeTables,
    cohort: CohortFilter,
    as_of: date,
    compare_with: CohortFilter | None = None,
    d: OutcomeDefinitions | None = None,
) -> Dashboard:
    """The whole dashboard (and optionally a comparison) from one extract."""
    d = d or load_definitions()
    dash = build_dashboard(compute_measures_duckdb(tables, cohort, as_of, d), as_of, d)
    if compare_with is not None:
        other = build_dashboard(compute_measures_duckdb(tables, compare_with, as_of, d), as_of, d)
        dash.comparison = compare(dash, other, d)
    return dash


def suppress_small_cells(table: Table, threshold: int) -> list[dict[str, Any]]:
    """Rows for export: counts 1..threshold-1 become "<threshold" and every derived value
    (share, mean, interval) in that row is withheld, so it cannot be back-calculated."""
    out = []
    counts = table.count_keys()
    for row in table.rows:
        small = any(isinstance(row.get(k), int) and 0 < row[k] < threshold for k in counts)
        shown: dict[str, Any] = {}
        for col in table.columns:
            value = row.get(col.key)
            if col.kind == "count" and isinstance(value, int) and 0 < value < threshold:
                shown[col.key] = f"<{threshold}"
            elif small and col.kind in {"share", "number", "ci", "ci_share"} and value is not None:
                shown[col.key] = SUPPRESSED
            else:
                shown[col.key] = value
        out.append(shown)
    return out
