"""The measures as set-based DuckDB SQL, built from the definitions in measures.yaml.

Each measure is one SELECT over two materialised relations: ``cohort`` (one row per
patient: the index episode) and ``cs`` (the cohort's scores with ``rel`` = days since
admission). Values from the definitions are vetted literals (see definitions.py); the
user's filter values are bound parameters (``$as_of``, ``$programs`` ...).

Ties: when several observations share a timestamp, the highest value wins (the
conservative reading for symptoms and g/day); both engines implement the same rule.
"""

from __future__ import annotations

from speciosa.clinical.outcomes.definitions import OutcomeDefinitions
from speciosa.clinical.outcomes.tables import CohortFilter

DAY_US = "86400000000.0"
HIST_BIN_DAYS = 15
HIST_MAX_DAYS = 180


def _quoted(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _prefix_match(column: str, prefixes: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{column} LIKE '{p}%'" for p in prefixes) + ")"


def _rel(ts: str, admitted: str) -> str:
    return f"(epoch_us({ts}) - epoch_us({admitted}::TIMESTAMP)) / {DAY_US}"


def cohort_sql(d: OutcomeDefinitions, f: CohortFilter) -> str:
    episode_where = ["e.admitted_on <= $as_of"]
    if f.admitted_from is not None:
        episode_where.append("e.admitted_on >= $admitted_from")
    if f.admitted_to is not None:
        episode_where.append("e.admitted_on <= $admitted_to")
    if f.program_ids:
        episode_where.append("list_contains($programs, e.program_id)")
    if f.levels_of_care:
        episode_where.append("list_contains($levels, e.asam_level)")
    bands = " ".join(
        f"WHEN age BETWEEN {b.low} AND {b.high} THEN '{b.id}'" for b in d.cohort.age_bands
    )
    patient_where = ["TRUE"]
    if f.sexes:
        patient_where.append("list_contains($sexes, sex)")
    if f.age_bands:
        patient_where.append("list_contains($age_bands, age_band)")
    if f.diagnosis_groups:
        groups = []
        for gid in f.diagnosis_groups:
            group = d.cohort.diagnosis_groups[gid]
            match = _prefix_match("icd10", group.icd10_prefixes)
            clause = f"patient_id IN (SELECT patient_id FROM diagnoses WHERE {match})"  # noqa: S608
            if group.requires_kratom_use:
                clause += " AND patient_id IN (SELECT patient_id FROM kratom_use)"
            groups.append(f"({clause})")
        patient_where.append("(" + " OR ".join(groups) + ")")
    reasons = _quoted(d.measures.retention.event_discharge_reasons)
    return f"""
WITH idx AS (
  SELECT e.*, row_number() OVER (
    PARTITION BY e.patient_id ORDER BY e.admitted_on, e.episode_id) AS rn
  FROM episodes e WHERE {" AND ".join(episode_where)}
), base AS (
  SELECT i.episode_id, i.patient_id, i.program_id, i.asam_level, i.admitted_on, p.sex,
    year(i.admitted_on) - year(p.birth_date)
      - CASE WHEN month(i.admitted_on) * 100 + day(i.admitted_on)
                < month(p.birth_date) * 100 + day(p.birth_date) THEN 1 ELSE 0 END AS age,
    CASE WHEN i.discharged_on IS NOT NULL AND i.discharged_on <= $as_of
         THEN i.discharged_on ELSE $as_of END AS end_on,
    coalesce(i.discharged_on IS NOT NULL AND i.discharged_on <= $as_of
             AND i.discharge_reason IN ({reasons}), FALSE) AS event
  FROM idx i JOIN patients p ON p.patient_id = i.patient_id
  WHERE i.rn = 1
), banded AS (
  SELECT *, CASE {bands} ELSE 'other' END AS age_band,
    date_diff('day', admitted_on, end_on) AS duration,
    date_diff('day', admitted_on, $as_of) AS followup_days
  FROM base
)
SELECT * FROM banded WHERE {" AND ".join(patient_where)}
"""  # noqa: S608 - literals come from vetted definitions; filters are bound


def instrument_codes(d: OutcomeDefinitions) -> dict[str, int]:
    """Small integer per instrument the measures read: group keys stay single integers."""
    m = d.measures
    wanted = {m.withdrawal.instrument, m.adhd_care.instrument}
    wanted |= {i.id for i in m.symptom_change.instruments}
    wanted |= {s.instrument for s in m.mbc_fidelity.schedule}
    return {name: i + 1 for i, name in enumerate(sorted(wanted))}


def cohort_scores_sql(d: OutcomeDefinitions) -> str:
    """The cohort's scores with ``rel`` (days since admission) and ``pk`` = patient x
    instrument as one BIGINT. Used as a view: each measure's instrument filter is pushed
    below the join, which is cheaper than materialising millions of rows once."""
    codes = ", ".join(f"('{k}', {v})" for k, v in instrument_codes(d).items())
    return f"""
SELECT s.patient_id, s.instrument, k.code, s.patient_id * 64 + k.code AS pk,
  s.total, s.is_positive, c.duration, c.followup_days,
  {_rel("s.at", "c.admitted_on")} AS rel
FROM scores s
  JOIN (VALUES {codes}) AS k(instrument, code) ON k.instrument = s.instrument
  JOIN cohort c ON c.patient_id = s.patient_id
"""  # noqa: S608


def summary_sql() -> str:
    return """
SELECT count(*) AS n_patients,
  count(*) FILTER (WHERE event) AS n_unplanned_discharges,
  coalesce(sum(greatest(duration, 1)), 0) AS patient_days,
  median(duration::DOUBLE) AS median_days,
  avg(duration::DOUBLE) AS mean_days
FROM cohort
"""


def retention_curve_sql() -> str:
    return """
WITH counts AS (
  SELECT duration AS t, count(*) AS c, count(*) FILTER (WHERE event) AS d
  FROM cohort GROUP BY duration
), risk AS (
  SELECT t, c, d, sum(c) OVER (ORDER BY t DESC) AS n FROM counts
), steps AS (
  SELECT t, n, d,
    product(1.0 - d::DOUBLE / n) OVER (ORDER BY t) AS survival,
    sum(CASE WHEN n > d THEN d::DOUBLE / (n * (n - d)) END) OVER (ORDER BY t) AS greenwood
  FROM risk
)
SELECT t, n::BIGINT AS at_risk, d AS events, survival, greenwood
FROM steps WHERE d > 0 ORDER BY t
"""


def days_histogram_sql() -> str:
    return f"""
SELECT (least(duration, {HIST_MAX_DAYS}) // {HIST_BIN_DAYS}) * {HIST_BIN_DAYS} AS bin_start,
  count(*) AS n
FROM cohort GROUP BY 1 ORDER BY 1
"""  # noqa: S608


def trend_monthly_sql(d: OutcomeDefinitions) -> str:
    first_horizon = d.measures.retention.horizons_days[0]
    return f"""
SELECT strftime(admitted_on, '%Y-%m') AS month, count(*) AS admissions,
  count(*) FILTER (WHERE followup_days >= {first_horizon}) AS n_eligible,
  count(*) FILTER (WHERE followup_days >= {first_horizon}
                   AND NOT (event AND duration <= {first_horizon})) AS n_retained
FROM cohort GROUP BY 1 ORDER BY 1
"""  # noqa: S608


def withdrawal_sql(d: OutcomeDefinitions) -> str:
    w = d.measures.withdrawal
    return f"""
WITH w AS (
  SELECT patient_id, rel, total FROM cs
  WHERE instrument = '{w.instrument}' AND rel >= 0 AND rel < duration + 1
), firsts AS (
  SELECT patient_id, arg_min(total, (rel, -total)) AS first_total, min(rel) AS first_rel
  FROM w GROUP BY patient_id
), managed AS (
  SELECT w.patient_id, min(w.rel) AS rel_below
  FROM w JOIN firsts f ON f.patient_id = w.patient_id
  WHERE f.first_total >= {w.no_withdrawal_below} AND w.rel > f.first_rel
    AND w.total < {w.no_withdrawal_below}
  GROUP BY w.patient_id
)
SELECT (SELECT count(*) FROM firsts) AS n_assessed,
  (SELECT count(*) FROM firsts WHERE first_total >= {w.no_withdrawal_below}) AS n_in_withdrawal,
  count(*) AS n_managed, median(rel_below) AS median_days, avg(rel_below) AS mean_days
FROM managed
"""  # noqa: S608


def symptom_change_sql(d: OutcomeDefinitions) -> str:
    """One pass per patient x instrument: the follow-up is the last in-episode score when
    it lies at least the gap after the baseline (any eligible score would be at or before
    it, so no self-join is needed)."""
    sc = d.measures.symptom_change
    rci_rows = ", ".join(
        f"('{i.id}', {'NULL' if i.reliable_change is None else float(i.reliable_change)})"
        for i in sc.instruments
    )
    in_base = f"rel >= -{sc.baseline_before_days} AND rel <= {sc.baseline_after_days}"
    return f"""
WITH rci(instrument, rci) AS (VALUES {rci_rows}),
per AS (
  SELECT pk, any_value(instrument) AS instrument,
    arg_min(total, (rel, -total)) FILTER (WHERE {in_base}) AS base_total,
    min(rel) FILTER (WHERE {in_base}) AS base_rel,
    arg_max(total, (rel, total)) FILTER (WHERE rel < duration + 1) AS last_total,
    max(rel) FILTER (WHERE rel < duration + 1) AS last_rel
  FROM cs WHERE instrument IN (SELECT instrument FROM rci)
  GROUP BY pk
), pairs AS (
  SELECT instrument, base_total, last_total AS fu_total, last_total - base_total AS change
  FROM per
  WHERE base_rel IS NOT NULL AND last_rel >= base_rel + {sc.min_followup_gap_days}
)
SELECT p.instrument, count(*) AS n_pairs, avg(base_total) AS mean_baseline,
  avg(fu_total) AS mean_followup, avg(change) AS mean_change, stddev_samp(change) AS sd_change,
  CASE WHEN any_value(r.rci) IS NULL THEN NULL
       ELSE count(*) FILTER (WHERE change <= -r.rci) END AS n_improved,
  CASE WHEN any_value(r.rci) IS NULL THEN NULL
       ELSE count(*) FILTER (WHERE change >= r.rci) END AS n_deteriorated
FROM pairs p JOIN rci r ON r.instrument = p.instrument
GROUP BY p.instrument ORDER BY p.instrument::VARCHAR
"""  # noqa: S608


def kratom_sql(d: OutcomeDefinitions) -> str:
    k = d.measures.kratom
    horizons = ", ".join(str(h) for h in k.horizons_days)
    return f"""
WITH h AS (SELECT unnest([{horizons}]) AS horizon),
k AS (
  SELECT u.patient_id, u.grams, c.followup_days, {_rel("u.at", "c.admitted_on")} AS rel
  FROM kratom_use u JOIN cohort c ON c.patient_id = u.patient_id
), base AS (
  SELECT * FROM (
    SELECT patient_id, arg_max(grams, (rel, grams)) AS base_g,
      any_value(followup_days) AS followup_days
    FROM k WHERE rel <= {k.baseline_after_days} GROUP BY patient_id
  ) WHERE base_g > 0
), fu AS (
  SELECT h.horizon, k.patient_id, arg_max(k.grams, (k.rel, k.grams)) AS fu_g
  FROM k JOIN base ON base.patient_id = k.patient_id CROSS JOIN h
  WHERE k.rel BETWEEN h.horizon - {k.window_days} AND h.horizon + {k.window_days}
  GROUP BY h.horizon, k.patient_id
), lab AS (
  SELECT h.horizon, l.patient_id, bool_or(l.result = 'positive') AS any_pos,
    bool_or(l.result = 'negative') AS any_neg
  FROM labs l JOIN base ON base.patient_id = l.patient_id
    JOIN cohort c ON c.patient_id = l.patient_id CROSS JOIN h
  WHERE l.analyte IN ({_quoted(k.confirm_analytes)}) AND l.method IN ({_quoted(k.confirm_methods)})
    AND {_rel("l.at", "c.admitted_on")}
        BETWEEN h.horizon - {k.window_days} AND h.horizon + {k.window_days}
  GROUP BY h.horizon, l.patient_id
), elig AS (
  SELECT h.horizon, b.patient_id, b.base_g
  FROM base b CROSS JOIN h WHERE b.followup_days >= h.horizon + {k.window_days}
)
SELECT h.horizon, (SELECT count(*) FROM base) AS n_users,
  count(e.patient_id) AS n_eligible, count(fu.fu_g) AS n_followed,
  avg(CASE WHEN fu.fu_g IS NOT NULL THEN e.base_g END) AS mean_baseline_g,
  avg(fu.fu_g) AS mean_followup_g, avg(e.base_g - fu.fu_g) AS mean_reduction_g,
  count(*) FILTER (WHERE fu.fu_g = 0) AS n_abstinent_self,
  count(*) FILTER (WHERE fu.fu_g = 0 AND lab.any_neg AND NOT lab.any_pos)
    AS n_abstinent_confirmed
FROM h LEFT JOIN elig e ON e.horizon = h.horizon
  LEFT JOIN fu ON fu.horizon = e.horizon AND fu.patient_id = e.patient_id
  LEFT JOIN lab ON lab.horizon = e.horizon AND lab.patient_id = e.patient_id
GROUP BY h.horizon ORDER BY h.horizon
"""  # noqa: S608


def _name_match(column: str, names: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"lower({column}) LIKE '%{n}%'" for n in names) + ")"


def adhd_funnel_sql(d: OutcomeDefinitions) -> str:
    a = d.measures.adhd_care
    return f"""
WITH scr AS (
  SELECT patient_id, bool_or(coalesce(is_positive, FALSE)) AS pos FROM cs
  WHERE instrument = '{a.instrument}' AND rel >= -{a.screen_before_days} AND rel < duration + 1
  GROUP BY patient_id
), assessed AS (
  SELECT patient_id FROM diagnoses WHERE {_prefix_match("icd10", a.assessment_icd10_prefixes)}
  UNION SELECT patient_id FROM events
  WHERE kind IN ({_quoted(a.assessment_event_kinds)})
    AND status IN ({_quoted(a.completed_event_statuses)})
), planned AS (
  SELECT patient_id FROM medications WHERE {_name_match("name", a.plan_medications)}
  UNION SELECT patient_id FROM events WHERE kind IN ({_quoted(a.plan_event_kinds)})
), flagged AS (
  SELECT scr.pos, a.patient_id IS NOT NULL AS is_assessed, p.patient_id IS NOT NULL AS is_planned
  FROM scr LEFT JOIN assessed a ON a.patient_id = scr.patient_id
    LEFT JOIN planned p ON p.patient_id = scr.patient_id
)
SELECT count(*) AS n_screened, count(*) FILTER (WHERE pos) AS n_positive,
  count(*) FILTER (WHERE pos AND is_assessed) AS n_assessed,
  count(*) FILTER (WHERE pos AND is_assessed AND is_planned) AS n_planned
FROM flagged
"""  # noqa: S608


def moud_sql(d: OutcomeDefinitions) -> str:
    m = d.measures.moud
    drug_case = " ".join(f"WHEN lower(m.name) LIKE '%{n}%' THEN '{n}'" for n in m.medications)
    return f"""
WITH oud AS (
  SELECT patient_id, admitted_on, end_on FROM cohort
  WHERE patient_id IN (
    SELECT patient_id FROM diagnoses WHERE {_prefix_match("icd10", m.icd10_prefixes)})
), on_moud AS (
  SELECT * FROM (
    SELECT o.patient_id, CASE {drug_case} END AS medication
    FROM oud o JOIN medications m ON m.patient_id = o.patient_id
    WHERE m.status IN ({_quoted(m.statuses)})
      AND (m.start_at IS NULL OR m.start_at < (o.end_on + 1)::TIMESTAMP)
      AND (m.stop_at IS NULL OR m.stop_at >= o.admitted_on::TIMESTAMP)
  ) WHERE medication IS NOT NULL
), names(medication) AS (SELECT unnest(['any', {_quoted(m.medications)}]))
SELECT n.medication, (SELECT count(*) FROM oud) AS n_oud,
  count(DISTINCT o.patient_id) AS n_patients
FROM names n LEFT JOIN on_moud o ON n.medication = 'any' OR o.medication = n.medication
GROUP BY n.medication ORDER BY n.medication
"""  # noqa: S608


def alerts_sql(d: OutcomeDefinitions) -> str:
    return f"""
WITH a AS (
  SELECT a.severity, a.patient_id, a.acknowledged_at,
    (epoch_us(a.acknowledged_at) - epoch_us(a.created_at)) / 3600000000.0 AS hours,
    c.duration, {_rel("a.created_at", "c.admitted_on")} AS rel
  FROM alerts a JOIN cohort c ON c.patient_id = a.patient_id
  WHERE a.severity IN ({_quoted(d.measures.alerts.severities)})
)
SELECT severity, count(*) AS n_alerts, count(DISTINCT patient_id) AS n_patients,
  count(acknowledged_at) AS n_acknowledged, median(hours) AS median_hours_to_ack,
  quantile_cont(hours, 0.9) AS p90_hours_to_ack
FROM a WHERE rel >= 0 AND rel < duration + 1
GROUP BY severity ORDER BY severity::VARCHAR
"""  # noqa: S608


def mbc_fidelity_sql(d: OutcomeDefinitions) -> str:
    """Due dates are never expanded: the number due per patient is arithmetic, and each
    score can only fall in the window of its nearest due date (windows never overlap:
    2 x window < interval, checked in definitions.py)."""
    rows = ", ".join(
        f"('{s.instrument}', {s.first_day}, {s.interval_days}, {s.window_days})"
        for s in d.measures.mbc_fidelity.schedule
    )
    return f"""
WITH sched(instrument, first_day, interval_days, window_days) AS (VALUES {rows}),
due AS (
  SELECT instrument, sum(CASE WHEN last_day >= first_day
                              THEN (last_day - first_day) // interval_days + 1
                              ELSE 0 END) AS n_due
  FROM (
    SELECT s.*, least(c.duration, c.followup_days - s.window_days) AS last_day
    FROM cohort c CROSS JOIN sched s
  ) GROUP BY instrument
), valid AS (
  SELECT instrument, pk, k FROM (
    SELECT cs.instrument, cs.pk, cs.rel, s.first_day, s.interval_days, s.window_days,
      CAST(round((cs.rel - s.first_day) / s.interval_days) AS BIGINT) AS k,
      least(cs.duration, cs.followup_days - s.window_days) AS last_day
    FROM cs JOIN sched s ON s.instrument = cs.instrument
  )
  WHERE last_day >= first_day AND k >= 0 AND k <= (last_day - first_day) // interval_days
    AND abs(rel - (first_day + interval_days * k)) <= window_days
), blocks AS (
  -- distinct due dates hit, counted as bits: one group per 64 due dates, not per date
  SELECT pk, k >> 6 AS block, any_value(instrument) AS instrument,
    bit_or((1::UBIGINT) << (k & 63)) AS bits
  FROM valid GROUP BY pk, block
), on_time AS (
  SELECT instrument, sum(bit_count(bits)) AS n_on_time FROM blocks GROUP BY instrument
)
SELECT t.instrument, t.n_due::BIGINT AS n_due, coalesce(o.n_on_time, 0)::BIGINT AS n_on_time
FROM due t LEFT JOIN on_time o ON o.instrument = t.instrument
WHERE t.n_due > 0 ORDER BY t.instrument::VARCHAR
"""  # noqa: S608


def measure_queries(d: OutcomeDefinitions) -> dict[str, str]:
    """Name -> SELECT over ``cohort`` and ``cs``. The order is the dashboard's order."""
    return {
        "summary": summary_sql(),
        "retention_curve": retention_curve_sql(),
        "days_histogram": days_histogram_sql(),
        "trend_monthly": trend_monthly_sql(d),
        "withdrawal": withdrawal_sql(d),
        "symptom_change": symptom_change_sql(d),
        "kratom": kratom_sql(d),
        "adhd_funnel": adhd_funnel_sql(d),
        "moud": moud_sql(d),
        "alerts": alerts_sql(d),
        "mbc_fidelity": mbc_fidelity_sql(d),
    }


def single_statement_sql(d: OutcomeDefinitions, f: CohortFilter) -> str:
    """Every measure in ONE statement (the benchmark's raw-DuckDB baseline): each result
    becomes a JSON list in one row."""
    ctes = [
        f"cohort AS MATERIALIZED ({cohort_sql(d, f)})",
        f"cs AS ({cohort_scores_sql(d)})",
    ]
    selects = []
    for name, query in measure_queries(d).items():
        ctes.append(f"m_{name} AS ({query})")
        selects.append(f"(SELECT to_json(list(m_{name})) FROM m_{name}) AS {name}")  # noqa: S608
    return "WITH " + ",\n".join(ctes) + "\nSELECT " + ",\n  ".join(selects)
