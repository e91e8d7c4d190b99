"""Synthetic columnar extracts for benchmarks and property tests (vectorised numpy).

The shape mimics a network of programs: one index episode per patient (10% have a
second), diagnoses, kratom self-reports with follow-ups, confirmatory labs, MOUD and ADHD
medications, repeated PHQ-9/GAD-7/craving/COWS/ASRS scores, alerts and ADHD events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from speciosa.clinical.outcomes.tables import SCHEMAS, OutcomeTables, encode_categories

ASAM = np.array(["1", "1-OTP", "2.1", "2.5", "3.5", "3.7"])
REASONS = np.array(
    ["completed", "completed", "transferred", "left_against_advice", "administrative", "other"]
)
SEVERITIES = np.array(["critical", "high", "moderate", "info"])
GRAMS = np.array([2.5, 5.0, 8.0, 12.0, 20.0, 35.0, 50.0])
DAY_US = 86_400_000_000


def _epoch_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _ts(days: np.ndarray) -> pa.Array:
    """Fractional days since 1970 -> timestamp[us]."""
    return pa.array(np.round(days * DAY_US).astype("int64"), type=pa.int64()).cast(
        pa.timestamp("us")
    )


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("int32"), type=pa.int32()).cast(pa.date32())


def _series(
    rng: np.random.Generator, patients: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each patient ``counts`` times; also return 0..count-1 within each patient."""
    idx = np.repeat(patients, counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return idx, np.arange(idx.size) - starts


def generate_tables(n_patients: int, seed: int = 7, as_of: date | None = None) -> OutcomeTables:
    rng = np.random.default_rng(seed)
    as_of = as_of or date(2026, 6, 30)
    today = _epoch_day(as_of)
    n = n_patients
    pid = np.arange(1, n + 1, dtype="int64")

    birth = today - rng.integers(18 * 365, 75 * 365, n)
    sex = rng.choice(
        np.array(["female", "male", "intersex", "unknown"]), n, p=[0.45, 0.5, 0.02, 0.03]
    )
    patients = pa.table(
        {"patient_id": pid, "birth_date": _dates(birth), "sex": sex}, schema=SCHEMAS["patients"]
    )

    # episodes: index episode + 10% earlier/later second episodes
    admitted = today - rng.integers(0, 400, n)
    duration = np.minimum(rng.exponential(70, n).astype("int64") + 1, today - admitted)
    discharged_mask = rng.random(n) < 0.6
    second = rng.random(n) < 0.1
    ep_pid = np.concatenate([pid, pid[second]])
    ep_adm = np.concatenate([admitted, admitted[second] - rng.integers(200, 600, second.sum())])
    ep_dis = np.concatenate([admitted + duration, ep_adm[n:] + rng.integers(5, 150, second.sum())])
    ep_has_dis = np.concatenate([discharged_mask, np.ones(second.sum(), dtype=bool)])
    ep_reason = rng.choice(REASONS, ep_pid.size)
    episodes = pa.table(
        {
            "episode_id": np.arange(1, ep_pid.size + 1, dtype="int64"),
            "patient_id": ep_pid,
            "program_id": rng.integers(1, 6, ep_pid.size).astype("int64"),
            "asam_level": rng.choice(ASAM, ep_pid.size),
            "admitted_on": _dates(ep_adm),
            "discharged_on": pa.array([None] * 0, type=pa.date32())
            if False
            else pa.array(ep_dis.astype("int32"), mask=~ep_has_dis).cast(pa.date32()),
            "discharge_reason": pa.array(
                np.where(ep_has_dis, ep_reason, "").tolist(), type=pa.string()
            ),
        },
        schema=SCHEMAS["episodes"],
    )

    oud = rng.random(n) < 0.45
    kratom = rng.random(n) < 0.7
    adhd = rng.random(n) < 0.3
    dx_pid = np.concatenate([pid[oud], pid[kratom], pid[adhd]])
    dx_code = np.concatenate(
        [
            np.full(oud.sum(), "F11.20"),
            np.full(kratom.sum(), "F19.20"),
            np.full(adhd.sum(), "F90.0"),
        ]
    )
    diagnoses = pa.table({"patient_id": dx_pid, "icd10": dx_code}, schema=SCHEMAS["diagnoses"])

    # observed span for follow-up data: admission .. episode end (or report date)
    end = np.where(discharged_mask, admitted + duration, today).astype("float64")
    span = end - admitted

    # kratom self-reports: intake, then ~day 30 and ~day 90 when still observed
    k_idx = np.flatnonzero(kratom)
    base_g = rng.choice(GRAMS, k_idx.size)
    rows_p = [k_idx]
    rows_t = [admitted[k_idx] - rng.random(k_idx.size) * 5]
    rows_g = [base_g]
    for day in (30, 90):
        seen = (span[k_idx] >= day - 5) & (rng.random(k_idx.size) < 0.75)
        idx = k_idx[seen]
        quit_ = rng.random(idx.size) < 0.35
        grams = np.where(quit_, 0.0, np.round(base_g[seen] * rng.uniform(0.2, 1.1, idx.size), 1))
        rows_p.append(idx)
        rows_t.append(admitted[idx] + day + rng.uniform(-10, 10, idx.size))
        rows_g.append(grams)
    k_p = np.concatenate(rows_p)
    kratom_use = pa.table(
        {
            "patient_id": pid[k_p],
            "at": _ts(np.concatenate(rows_t)),
            "grams": np.concatenate(rows_g),
        },
        schema=SCHEMAS["kratom_use"],
    )

    # confirmatory labs around day 30/90 for half the kratom patients
    lab_p, lab_t = [], []
    for day in (30, 90):
        pick = k_idx[(span[k_idx] >= day) & (rng.random(k_idx.size) < 0.5)]
        lab_p.append(pick)
        lab_t.append(admitted[pick] + day + rng.uniform(-12, 12, pick.size))
    lp = np.concatenate(lab_p)
    labs = pa.table(
        {
            "patient_id": pid[lp],
            "analyte": np.full(lp.size, "MITRAGYNINE"),
            "method": rng.choice(np.array(["lc_ms_ms", "lc_ms_ms", "immunoassay"]), lp.size),
            "at": _ts(np.concatenate(lab_t)),
            "result": rng.choice(np.array(["positive", "negative"]), lp.size, p=[0.4, 0.6]),
        },
        schema=SCHEMAS["labs"],
    )

    # medications: MOUD for most OUD patients, ADHD medication for some ADHD patients
    o_idx = np.flatnonzero(oud & (rng.random(n) < 0.75))
    a_idx = np.flatnonzero(adhd & (rng.random(n) < 0.5))
    med_p = np.concatenate([o_idx, a_idx])
    names = np.concatenate(
        [
            rng.choice(
                np.array(["buprenorphine/naloxone", "methadone", "naltrexone ER"]),
                o_idx.size,
                p=[0.6, 0.3, 0.1],
            ),
            rng.choice(np.array(["atomoxetine", "lisdexamfetamine", "guanfacine ER"]), a_idx.size),
        ]
    )
    start = admitted[med_p] + rng.uniform(-30, 20, med_p.size)
    stopped = rng.random(med_p.size) < 0.2
    medications = pa.table(
        {
            "patient_id": pid[med_p],
            "name": names,
            "status": np.where(
                stopped,
                "stopped",
                rng.choice(np.array(["active", "ordered"]), med_p.size, p=[0.9, 0.1]),
            ),
            "start_at": _ts(start),
            "stop_at": pa.array(
                np.round((start + rng.uniform(1, 60, med_p.size)) * DAY_US).astype("int64"),
                mask=~stopped,
            ).cast(pa.timestamp("us")),
        },
        schema=SCHEMAS["medications"],
    )

    # scores: craving twice weekly, PHQ-9/GAD-7 every ~4 weeks, COWS daily x5 (OUD), ASRS once
    parts = []
    plan = [("craving_nrs", 3.5, 1.5, 10.0), ("phq9", 28.0, 6.0, 27.0), ("gad7", 28.0, 6.0, 21.0)]
    for instrument, every, jitter, top in plan:
        counts = (span // every).astype("int64") + 1
        pi, k = _series(rng, np.arange(n), counts)
        when = admitted[pi] + k * every + rng.uniform(-jitter, jitter, pi.size)
        drift = np.clip(rng.normal(-0.08, 0.05, n)[pi] * k * every / 7, -0.9, 0.5)
        total = np.clip(np.round(rng.uniform(0.2, 0.9, n)[pi] * top * (1 + drift)), 0, top)
        parts.append((pi, np.full(pi.size, instrument), when, total, np.zeros(pi.size, bool)))
    c_idx = np.flatnonzero(oud)
    pi, k = _series(rng, c_idx, np.full(c_idx.size, 5))
    cows = np.clip(
        np.round(
            rng.uniform(4, 20, c_idx.size)[np.searchsorted(c_idx, pi)]
            - k * rng.uniform(1, 5, pi.size)
        ),
        0,
        48,
    )
    parts.append(
        (
            pi,
            np.full(pi.size, "cows"),
            admitted[pi] + k + rng.random(pi.size),
            cows,
            np.zeros(pi.size, bool),
        )
    )
    s_idx = np.flatnonzero(rng.random(n) < 0.8)
    asrs_total = rng.integers(0, 7, s_idx.size).astype("float64")
    parts.append(
        (
            s_idx,
            np.full(s_idx.size, "asrs_screener"),
            admitted[s_idx] + rng.uniform(-5, 20, s_idx.size),
            asrs_total,
            asrs_total >= 4,
        )
    )
    sp = np.concatenate([p[0] for p in parts])
    scores = pa.table(
        {
            "patient_id": pid[sp],
            "instrument": np.concatenate([p[1] for p in parts]),
            "at": _ts(np.concatenate([p[2] for p in parts])),
            "total": np.concatenate([p[3] for p in parts]).astype("float64"),
            "is_positive": np.concatenate([p[4] for p in parts]),
        },
        schema=SCHEMAS["scores"],
    )

    n_alerts = rng.poisson(2.0, n)
    ai, _ = _series(rng, np.arange(n), n_alerts)
    created = admitted[ai] + rng.random(ai.size) * np.maximum(span[ai], 1)
    acked = rng.random(ai.size) < 0.85
    alerts = pa.table(
        {
            "patient_id": pid[ai],
            "severity": rng.choice(SEVERITIES, ai.size, p=[0.1, 0.3, 0.4, 0.2]),
            "created_at": _ts(created),
            "acknowledged_at": pa.array(
                np.round((created + rng.lognormal(1.5, 1.2, ai.size) / 24) * DAY_US).astype(
                    "int64"
                ),
                mask=~acked,
            ).cast(pa.timestamp("us")),
        },
        schema=SCHEMAS["alerts"],
    )

    # ADHD assessments for 60% of positive screens; an ADHD pathway in the treatment
    # plan for half of those (a fifth still drafts)
    e_idx = s_idx[(asrs_total >= 4) & (rng.random(s_idx.size) < 0.6)]
    p_idx = e_idx[rng.random(e_idx.size) < 0.5]
    events = pa.table(
        {
            "patient_id": pid[np.concatenate([e_idx, p_idx])],
            "kind": np.concatenate(
                [
                    np.full(e_idx.size, "assessment:adhd"),
                    np.full(p_idx.size, "pathway:adhd-early-recovery"),
                ]
            ),
            "at": _ts(
                np.concatenate(
                    [
                        admitted[e_idx] + rng.uniform(5, 30, e_idx.size),
                        admitted[p_idx] + rng.uniform(20, 40, p_idx.size),
                    ]
                )
            ),
            "status": np.concatenate(
                [
                    rng.choice(np.array(["attended", "missed"]), e_idx.size, p=[0.8, 0.2]),
                    rng.choice(np.array(["active", "draft"]), p_idx.size, p=[0.8, 0.2]),
                ]
            ),
        },
        schema=SCHEMAS["events"],
    )
    # assessment schedules from the admission: rolling craving / PHQ-9 / GAD-7, ASRS at
    # intake and week 8, a COWS induction schedule for OUD patients; 10% stopped early
    sched_parts = []
    for instrument, interval_h, grace_h, who in (
        ("craving_nrs", 168, 48, np.arange(n)),
        ("phq9", 672, 168, np.arange(n)),
        ("gad7", 672, 168, np.arange(n)),
        ("cows", 24, 6, np.flatnonzero(oud)),
    ):
        sched_parts.append((who, instrument, "interval", interval_h, -1, grace_h))
    for offset in (0, 56):
        sched_parts.append((np.arange(n), "asrs_screener", "fixed", -1, offset, 168))
    sch_pid = np.concatenate([p[0] for p in sched_parts])
    sch_id = np.concatenate(
        [
            (i + 1) * 10 * n + p[0] if p[2] == "interval" else 4 * 10 * n + p[0]
            for i, p in enumerate(sched_parts)
        ]
    )
    size = [p[0].size for p in sched_parts]
    sch_start = admitted[sch_pid].astype("float64")
    stopped_early = rng.random(sch_pid.size) < 0.1
    sch_end = sch_start + rng.uniform(14, 60, sch_pid.size)
    sch_end = np.where(
        np.repeat([p[1] == "cows" for p in sched_parts], size), sch_start + 4, sch_end
    )
    has_end = stopped_early | np.repeat([p[1] == "cows" for p in sched_parts], size)
    schedules = pa.table(
        {
            "schedule_id": sch_id.astype("int64"),
            "patient_id": pid[sch_pid],
            "instrument": np.repeat([p[1] for p in sched_parts], size),
            "kind": np.repeat([p[2] for p in sched_parts], size),
            "starts_at": _ts(sch_start),
            "ends_at": pa.array(np.round(sch_end * DAY_US).astype("int64"), mask=~has_end).cast(
                pa.timestamp("us")
            ),
            "interval_hours": pa.array(
                np.repeat([p[3] for p in sched_parts], size),
                mask=np.repeat([p[2] == "fixed" for p in sched_parts], size),
            ),
            "offset_days": pa.array(
                np.repeat([p[4] for p in sched_parts], size),
                mask=np.repeat([p[2] == "interval" for p in sched_parts], size),
            ),
            "grace_hours": np.repeat([p[5] for p in sched_parts], size).astype("int64"),
        },
        schema=SCHEMAS["schedules"],
    )
    return encode_categories(
        OutcomeTables(
            patients=patients,
            episodes=episodes,
            diagnoses=diagnoses,
            kratom_use=kratom_use,
            labs=labs,
            medications=medications,
            scores=scores,
            alerts=alerts,
            events=events,
            schedules=schedules,
        )
    )


def as_of_datetime(as_of: date) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day) + timedelta(days=1)
