"""Reference implementation of every measure in pandas (vectorised, no per-patient loops).

It exists to check the DuckDB engine (tests: same numbers on hand-built and random
cohorts) and as the benchmark's pandas baseline. Written from the definitions in
measures.yaml, independently of sql.py (merges and masks here, SQL joins and FILTERs
there). Both read the same prepared extract (``prepare.prepare_tables``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from speciosa.clinical.outcomes.definitions import OutcomeDefinitions, load_definitions
from speciosa.clinical.outcomes.prepare import prepare_tables
from speciosa.clinical.outcomes.results import RawMeasures, clean_rows
from speciosa.clinical.outcomes.sql import HIST_BIN_DAYS, HIST_MAX_DAYS
from speciosa.clinical.outcomes.tables import CohortFilter, OutcomeTables

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000.0


def _frames(tables: OutcomeTables) -> dict[str, pd.DataFrame]:
    return {name: t.to_pandas(date_as_object=False) for name, t in tables.items()}


def _us(series: pd.Series) -> np.ndarray:
    """datetime64 -> microseconds since epoch as float64 (exact below 2**53; NaT -> NaN)."""
    arr = series.astype("datetime64[us]").to_numpy()
    out = arr.view("int64").astype("float64")
    out[np.isnat(arr)] = np.nan
    return np.asarray(out, dtype="float64")


def _rel(ts: pd.Series, admitted: pd.Series) -> pd.Series:
    return pd.Series((_us(ts) - _us(admitted)) / DAY_US, index=ts.index)


def _starts_with_any(series: pd.Series, prefixes: tuple[str, ...]) -> pd.Series:
    return series.fillna("").str.startswith(prefixes)


def _median(values: pd.Series) -> Any:
    return values.median() if len(values) else None


def _mean(values: pd.Series) -> Any:
    return values.mean() if len(values) else None


def build_cohort(
    f: dict[str, pd.DataFrame], flt: CohortFilter, as_of: date, d: OutcomeDefinitions
) -> pd.DataFrame:
    as_of_ts = pd.Timestamp(as_of)
    ep = f["episodes"]
    keep = ep["admitted_on"] <= as_of_ts
    if flt.admitted_from is not None:
        keep &= ep["admitted_on"] >= pd.Timestamp(flt.admitted_from)
    if flt.admitted_to is not None:
        keep &= ep["admitted_on"] <= pd.Timestamp(flt.admitted_to)
    if flt.program_ids:
        keep &= ep["program_id"].isin(flt.program_ids)
    if flt.levels_of_care:
        keep &= ep["asam_level"].isin(flt.levels_of_care)
    ep = ep[keep].sort_values(["patient_id", "admitted_on", "episode_id"])
    ep = ep.drop_duplicates("patient_id", keep="first")
    c = ep.merge(f["patients"], on="patient_id", how="inner")
    adm, birth = c["admitted_on"], c["birth_date"]
    before_birthday = (adm.dt.month * 100 + adm.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    c["age"] = adm.dt.year - birth.dt.year - before_birthday.astype(int)
    closed = c["discharged_on"].notna() & (c["discharged_on"] <= as_of_ts)
    c["end_on"] = c["discharged_on"].where(closed, as_of_ts)
    reasons = d.measures.retention.event_discharge_reasons
    c["event"] = closed & c["discharge_reason"].isin(reasons)
    c["duration"] = (c["end_on"] - adm).dt.days
    c["followup_days"] = (as_of_ts - adm).dt.days
    c["age_band"] = "other"
    for band in reversed(d.cohort.age_bands):
        c.loc[c["age"].between(band.low, band.high), "age_band"] = band.id
    keep = pd.Series(True, index=c.index)
    if flt.sexes:
        keep &= c["sex"].isin(flt.sexes)
    if flt.age_bands:
        keep &= c["age_band"].isin(flt.age_bands)
    if flt.diagnosis_groups:
        dx = f["diagnoses"]
        in_any = pd.Series(False, index=c.index)
        for gid in flt.diagnosis_groups:
            group = d.cohort.diagnosis_groups[gid]
            ids = set(dx.loc[_starts_with_any(dx["icd10"], group.icd10_prefixes), "patient_id"])
            if group.requires_kratom_use:
                ids &= set(f["kratom_use"]["patient_id"])
            in_any |= c["patient_id"].isin(ids)
        keep &= in_any
    return c[keep].reset_index(drop=True)


def _summary(c: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "n_patients": len(c),
            "n_unplanned_discharges": int(c["event"].sum()),
            "patient_days": int(c["duration"].clip(lower=1).sum()),
            "median_days": _median(c["duration"].astype(float)),
            "mean_days": _mean(c["duration"].astype(float)),
        }
    ]


def _retention_curve(c: pd.DataFrame) -> list[dict[str, Any]]:
    g = c.groupby("duration").agg(c_=("event", "size"), d=("event", "sum")).sort_index()
    g["n"] = g["c_"][::-1].cumsum()[::-1]
    g["survival"] = (1.0 - g["d"] / g["n"]).cumprod()
    term = (g["d"] / (g["n"] * (g["n"] - g["d"]))).where(g["n"] > g["d"])
    # running sum of the defined terms (undefined once everyone at risk has left)
    g["greenwood"] = term.fillna(0.0).cumsum().where(term.notna().cumsum() > 0)
    g = g[g["d"] > 0]
    return [
        {
            "t": int(t),
            "at_risk": int(r.n),
            "events": int(r.d),
            "survival": r.survival,
            "greenwood": r.greenwood,
        }
        for t, r in g.iterrows()
    ]


def _days_histogram(c: pd.DataFrame) -> list[dict[str, Any]]:
    bins = (c["duration"].clip(upper=HIST_MAX_DAYS) // HIST_BIN_DAYS) * HIST_BIN_DAYS
    counts = bins.value_counts().sort_index()
    return [{"bin_start": int(b), "n": int(n)} for b, n in counts.items()]


def _trend_monthly(c: pd.DataFrame, d: OutcomeDefinitions) -> list[dict[str, Any]]:
    h = d.measures.retention.horizons_days[0]
    t = c.assign(
        month=c["admitted_on"].dt.strftime("%Y-%m"),
        eligible=c["followup_days"] >= h,
    )
    t["retained"] = t["eligible"] & ~(t["event"] & (t["duration"] <= h))
    g = t.groupby("month").agg(
        admissions=("month", "size"), n_eligible=("eligible", "sum"), n_retained=("retained", "sum")
    )
    return [{"month": m, **{k: int(v) for k, v in r.items()}} for m, r in g.iterrows()]


def _cohort_scores(f: dict[str, pd.DataFrame], c: pd.DataFrame) -> pd.DataFrame:
    s = f["scores"].merge(c[["patient_id", "admitted_on", "duration"]], on="patient_id")
    s["rel"] = _rel(s["at"], s["admitted_on"])
    return s


def _first_by_time(frame: pd.DataFrame, keys: list[str], value: str, last: bool) -> pd.DataFrame:
    """One row per key: earliest (or latest) observation; ties -> highest value."""
    ordered = frame.sort_values(
        [*keys, "rel", value], ascending=[*([True] * len(keys)), not last, False]
    )
    return ordered.drop_duplicates(keys, keep="first")


def _withdrawal(cs: pd.DataFrame, d: OutcomeDefinitions) -> list[dict[str, Any]]:
    w_def = d.measures.withdrawal
    cut = w_def.no_withdrawal_below
    w = cs[
        (cs["instrument"] == w_def.instrument) & (cs["rel"] >= 0) & (cs["rel"] < cs["duration"] + 1)
    ]
    # the first COWS in the episode: the row a same-time tie resolves to, with no earlier
    # time in the episode (prepared extract: tie_first, prev_at)
    prev_rel = _rel(w["prev_at"], w["admitted_on"])
    first = w[w["tie_first"] & (prev_rel.isna() | (prev_rel < 0))]
    first = first[["patient_id", "rel", "total"]].rename(
        columns={"rel": "first_rel", "total": "first_total"}
    )
    in_w = first[first["first_total"] >= cut]
    later = w.merge(in_w, on="patient_id")
    later = later[(later["rel"] > later["first_rel"]) & (later["total"] < cut)]
    managed = later.groupby("patient_id")["rel"].min()
    return [
        {
            "n_assessed": len(first),
            "n_in_withdrawal": len(in_w),
            "n_managed": len(managed),
            "median_days": _median(managed),
            "mean_days": _mean(managed),
        }
    ]


def _symptom_change(cs: pd.DataFrame, d: OutcomeDefinitions) -> list[dict[str, Any]]:
    """Baseline: the first score in the baseline window (its previous time lies before the
    window); follow-up: the last in-episode score (its next time lies after the episode)."""
    sc = d.measures.symptom_change
    rci = {i.id: i.reliable_change for i in sc.instruments}
    s = cs[cs["instrument"].isin(list(rci)) & cs["tie_first"]]
    prev_rel = _rel(s["prev_at"], s["admitted_on"])
    next_rel = _rel(s["next_at"], s["admitted_on"])
    end = s["duration"] + 1
    is_base = (
        (s["rel"] >= -sc.baseline_before_days)
        & (s["rel"] <= sc.baseline_after_days)
        & (prev_rel.isna() | (prev_rel < -sc.baseline_before_days))
    )
    is_last = (s["rel"] < end) & (next_rel.isna() | (next_rel >= end))
    base = s.loc[is_base, ["pk", "instrument", "rel", "total"]].rename(
        columns={"rel": "base_rel", "total": "base_total"}
    )
    fu = base.merge(s.loc[is_last, ["pk", "rel", "total"]], on="pk")
    fu = fu[fu["rel"] >= fu["base_rel"] + sc.min_followup_gap_days]
    fu = fu.assign(change=fu["total"] - fu["base_total"], instrument=fu["instrument"].astype(str))
    rows = []
    for instrument, g in fu.groupby("instrument", sort=True):
        r = rci[str(instrument)]
        rows.append(
            {
                "instrument": instrument,
                "n_pairs": len(g),
                "mean_baseline": g["base_total"].mean(),
                "mean_followup": g["total"].mean(),
                "mean_change": g["change"].mean(),
                "sd_change": g["change"].std(ddof=1) if len(g) > 1 else None,
                "n_improved": None if r is None else int((g["change"] <= -r).sum()),
                "n_deteriorated": None if r is None else int((g["change"] >= r).sum()),
            }
        )
    return sorted(rows, key=lambda r: str(r["instrument"]))


def _kratom(
    f: dict[str, pd.DataFrame], c: pd.DataFrame, d: OutcomeDefinitions
) -> list[dict[str, Any]]:
    k_def = d.measures.kratom
    w = k_def.window_days
    k = f["kratom_use"].merge(c[["patient_id", "admitted_on", "followup_days"]], on="patient_id")
    k["rel"] = _rel(k["at"], k["admitted_on"])
    base = _first_by_time(
        k[k["rel"] <= k_def.baseline_after_days], ["patient_id"], "grams", last=True
    )
    base = base[base["grams"] > 0][["patient_id", "grams", "followup_days"]]
    base = base.rename(columns={"grams": "base_g"})
    labs = f["labs"]
    labs = labs[
        labs["analyte"].isin(k_def.confirm_analytes) & labs["method"].isin(k_def.confirm_methods)
    ]
    labs = labs.merge(c[["patient_id", "admitted_on"]], on="patient_id")
    labs = labs[labs["patient_id"].isin(base["patient_id"])]
    labs["rel"] = _rel(labs["at"], labs["admitted_on"])
    rows = []
    for h in k_def.horizons_days:
        in_win = k[k["patient_id"].isin(base["patient_id"]) & k["rel"].between(h - w, h + w)]
        fu = _first_by_time(in_win, ["patient_id"], "grams", last=True)[["patient_id", "grams"]]
        lab = labs[labs["rel"].between(h - w, h + w)]
        lab = lab.assign(pos=lab["result"] == "positive", neg=lab["result"] == "negative")
        lab = lab.groupby("patient_id").agg(any_pos=("pos", "any"), any_neg=("neg", "any"))
        e = base[base["followup_days"] >= h + w].merge(fu, on="patient_id", how="left")
        e = e.merge(lab, left_on="patient_id", right_index=True, how="left")
        followed = e["grams"].notna()
        abstinent = e["grams"] == 0
        confirmed = abstinent & e["any_neg"].eq(True) & e["any_pos"].eq(False)
        rows.append(
            {
                "horizon": h,
                "n_users": len(base),
                "n_eligible": len(e),
                "n_followed": int(followed.sum()),
                "mean_baseline_g": _mean(e.loc[followed, "base_g"]),
                "mean_followup_g": _mean(e.loc[followed, "grams"]),
                "mean_reduction_g": _mean((e["base_g"] - e["grams"])[followed]),
                "n_abstinent_self": int(abstinent.sum()),
                "n_abstinent_confirmed": int(confirmed.sum()),
            }
        )
    return rows


def _adhd_funnel(
    f: dict[str, pd.DataFrame], cs: pd.DataFrame, d: OutcomeDefinitions
) -> list[dict[str, Any]]:
    a = d.measures.adhd_care
    s = cs[
        (cs["instrument"] == a.instrument)
        & (cs["rel"] >= -a.screen_before_days)
        & (cs["rel"] < cs["duration"] + 1)
    ]
    screened = s.assign(pos=s["is_positive"].eq(True)).groupby("patient_id")["pos"].any()
    dx, ev, meds = f["diagnoses"], f["events"], f["medications"]
    assessed = set(dx.loc[_starts_with_any(dx["icd10"], a.assessment_icd10_prefixes), "patient_id"])
    assessed |= set(
        ev.loc[
            ev["kind"].isin(a.assessment_event_kinds)
            & ev["status"].isin(a.completed_event_statuses),
            "patient_id",
        ]
    )
    names = meds["name"].fillna("").str.lower()
    planned = set(
        meds.loc[names.str.contains("|".join(a.plan_medications), regex=True), "patient_id"]
    )
    planned |= set(
        ev.loc[
            ev["kind"].isin(a.plan_event_kinds) & ev["status"].isin(a.plan_event_statuses),
            "patient_id",
        ]
    )
    ids = screened.index.to_series()
    pos = screened.to_numpy(dtype=bool)
    is_assessed = ids.isin(assessed).to_numpy()
    is_planned = ids.isin(planned).to_numpy()
    return [
        {
            "n_screened": len(screened),
            "n_positive": int(pos.sum()),
            "n_assessed": int((pos & is_assessed).sum()),
            "n_planned": int((pos & is_assessed & is_planned).sum()),
        }
    ]


def _moud(
    f: dict[str, pd.DataFrame], c: pd.DataFrame, d: OutcomeDefinitions
) -> list[dict[str, Any]]:
    m = d.measures.moud
    dx = f["diagnoses"]
    oud_ids = set(dx.loc[_starts_with_any(dx["icd10"], m.icd10_prefixes), "patient_id"])
    oud = c[c["patient_id"].isin(oud_ids)][["patient_id", "admitted_on", "end_on"]]
    meds = f["medications"].merge(oud, on="patient_id")
    lower = meds["name"].fillna("").str.lower()
    meds["medication"] = None
    for name in reversed(m.medications):  # first listed name wins, as in the SQL CASE
        meds.loc[lower.str.contains(name, regex=False), "medication"] = name
    overlap = (
        meds["status"].isin(m.statuses)
        & (meds["start_at"].isna() | (meds["start_at"] < meds["end_on"] + pd.Timedelta(days=1)))
        & (meds["stop_at"].isna() | (meds["stop_at"] >= meds["admitted_on"]))
        & meds["medication"].notna()
    )
    on = meds[overlap]
    rows = [{"medication": "any", "n_oud": len(oud), "n_patients": on["patient_id"].nunique()}]
    for name in m.medications:
        n = on.loc[on["medication"] == name, "patient_id"].nunique()
        rows.append({"medication": name, "n_oud": len(oud), "n_patients": n})
    return sorted(rows, key=lambda r: r["medication"])


def _alerts(
    f: dict[str, pd.DataFrame], c: pd.DataFrame, d: OutcomeDefinitions
) -> list[dict[str, Any]]:
    a = f["alerts"]
    a = a[a["severity"].isin(d.measures.alerts.severities)]
    a = a.merge(c[["patient_id", "admitted_on", "duration"]], on="patient_id")
    a["rel"] = _rel(a["created_at"], a["admitted_on"])
    a = a[(a["rel"] >= 0) & (a["rel"] < a["duration"] + 1)]
    a["hours"] = (_us(a["acknowledged_at"]) - _us(a["created_at"])) / 3.6e9
    rows = []
    for severity, g in a.groupby("severity", sort=True):
        hours = g["hours"].dropna()
        rows.append(
            {
                "severity": severity,
                "n_alerts": len(g),
                "n_patients": g["patient_id"].nunique(),
                "n_acknowledged": int(g["acknowledged_at"].notna().sum()),
                "median_hours_to_ack": _median(hours),
                "p90_hours_to_ack": hours.quantile(0.9) if len(hours) else None,
            }
        )
    return sorted(rows, key=lambda r: str(r["severity"]))


def _mbc_fidelity(f: dict[str, pd.DataFrame], c: pd.DataFrame, as_of: date) -> list[dict[str, Any]]:
    """Due dates of the per-patient schedules (rules in measures.yaml). Times are whole
    microseconds held in float64 (exact below 2**53)."""
    sch = f["schedules"]
    sch = sch[sch["code"] > 0].merge(
        c[["patient_id", "admitted_on", "duration", "followup_days"]], on="patient_id"
    )
    adm = _us(sch["admitted_on"])
    sch = sch.assign(
        start_us=_us(sch["starts_at"]),
        end_us=_us(sch["ends_at"]),
        interval_us=sch["interval_hours"].astype("float64") * HOUR_US,
        grace_us=sch["grace_hours"].astype("float64") * HOUR_US,
        adm_us=adm,
        episode_end_us=adm + (sch["duration"] + 1).to_numpy() * float(DAY_US),
        report_end_us=adm + (sch["followup_days"] + 1).to_numpy() * float(DAY_US),
    )
    keep = ["code", "grace_us", "end_us", "adm_us", "episode_end_us", "report_end_us"]
    scores = f["scores"][["pk", "at", "prev_at", "next_at", "tie_first"]]
    scores = scores.assign(
        at_us=_us(scores["at"]), prev_us=_us(scores["prev_at"]), next_us=_us(scores["next_at"])
    )
    firsts = scores[scores["tie_first"]]  # scores at the same moment count once
    rolling = sch.loc[sch["kind"] == "interval", ["pk", "start_us", "interval_us", *keep]]
    chain = rolling.merge(firsts[["pk", "at_us", "prev_us"]], on="pk")
    chain = chain[
        (chain["at_us"] >= chain["start_us"] - chain["grace_us"])
        & (chain["at_us"] < chain["report_end_us"])
    ]
    reset = chain["prev_us"] >= chain["start_us"] - chain["grace_us"]
    answered = chain[keep].assign(
        due_us=(chain["prev_us"] + chain["interval_us"]).where(reset, chain["start_us"]),
        answered_us=chain["at_us"],
    )
    report_end = float((as_of - date(1970, 1, 1)).days + 1) * DAY_US
    last = firsts[
        (firsts["at_us"] < report_end)
        & (firsts["next_us"].isna() | (firsts["next_us"] >= report_end))
    ]
    pend = rolling.merge(last[["pk", "at_us"]], on="pk", how="left")
    in_chain = pend["at_us"] >= pend["start_us"] - pend["grace_us"]
    pending = pend[keep].assign(
        due_us=(pend["at_us"] + pend["interval_us"]).where(in_chain, pend["start_us"]),
        answered_us=np.nan,
    )
    fixed = sch[sch["kind"] == "fixed"]
    fixed = fixed.assign(due_us=fixed["start_us"] + fixed["offset_days"] * float(DAY_US))
    fixed = fixed.reset_index(drop=True)
    near = fixed[["pk", "due_us", "grace_us"]].reset_index().merge(scores[["pk", "at_us"]], on="pk")
    near = near[(near["at_us"] - near["due_us"]).abs() <= near["grace_us"]]
    hit = fixed.index.isin(near["index"])
    points = fixed[keep].assign(
        due_us=fixed["due_us"], answered_us=fixed["due_us"].where(hit, np.nan)
    )
    dues = pd.concat([answered, pending, points], ignore_index=True)
    ans = dues["answered_us"]
    counted = dues[
        (ans.isna() | (ans >= dues["due_us"]))
        & (dues["end_us"].isna() | (dues["due_us"] <= dues["end_us"]))
        & (dues["due_us"] >= dues["adm_us"])
        & (dues["due_us"] < dues["episode_end_us"])
        & (dues["due_us"] + dues["grace_us"] <= dues["report_end_us"])
    ]
    on_time = counted["answered_us"].notna() & (
        counted["answered_us"] <= counted["due_us"] + counted["grace_us"]
    )
    g = counted.assign(on_time=on_time).groupby("code")["on_time"].agg(["size", "sum"])
    names = f["schedules"].astype({"instrument": str}).groupby("code")["instrument"].min()
    rows = [
        {"instrument": names[code], "n_due": int(r["size"]), "n_on_time": int(r["sum"])}
        for code, r in g.iterrows()
    ]
    return sorted(rows, key=lambda r: r["instrument"])


def compute_measures_pandas(
    tables: OutcomeTables,
    cohort: CohortFilter,
    as_of: date,
    definitions: OutcomeDefinitions | None = None,
) -> RawMeasures:
    d = definitions or load_definitions()
    f = _frames(prepare_tables(tables, d))
    c = build_cohort(f, cohort, as_of, d)
    cs = _cohort_scores(f, c)
    raw = {
        "summary": _summary(c),
        "retention_curve": _retention_curve(c),
        "days_histogram": _days_histogram(c),
        "trend_monthly": _trend_monthly(c, d),
        "withdrawal": _withdrawal(cs, d),
        "symptom_change": _symptom_change(cs, d),
        "kratom": _kratom(f, c, d),
        "adhd_funnel": _adhd_funnel(f, cs, d),
        "moud": _moud(f, c, d),
        "alerts": _alerts(f, c, d),
        "mbc_fidelity": _mbc_fidelity(f, c, as_of),
    }
    return {name: clean_rows(name, rows) for name, rows in raw.items()}
