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
from speciosa.clinical.outcomes.prepare import instrument_codes
from speciosa.clinical.outcomes.tables import CohortFilter

DAY_US = "86400000000.0"
DAY_US_INT = 86_400_000_000
INT64_MAX = 9_223_372_036_854_775_807
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
    sc, a = d.measures.symptom_change, d.measures.adhd_care
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
    ($as_of + 1)::TIMESTAMP AS report_end,
    coalesce(i.discharged_on IS NOT NULL AND i.discharged_on <= $as_of
             AND i.discharge_reason IN ({reasons}), FALSE) AS event
  FROM idx i JOIN patients p ON p.patient_id = i.patient_id
  WHERE i.rn = 1
), banded AS (
  SELECT *, CASE {bands} ELSE 'other' END AS age_band,
    date_diff('day', admitted_on, end_on) AS duration,
    date_diff('day', admitted_on, $as_of) AS followup_days,
    -- the episode as a half-open time range [adm_ts, end_ts): "rel < duration + 1"
    admitted_on::TIMESTAMP AS adm_ts, (end_on + 1)::TIMESTAMP AS end_ts,
    admitted_on::TIMESTAMP - INTERVAL {sc.baseline_before_days} DAY AS base_from,
    admitted_on::TIMESTAMP + INTERVAL {sc.baseline_after_days} DAY AS base_to,
    admitted_on::TIMESTAMP - INTERVAL {a.screen_before_days} DAY AS screen_from
  FROM base
)
SELECT * FROM banded WHERE {" AND ".join(patient_where)}
"""  # noqa: S608 - literals come from vetted definitions; filters are bound


def cohort_scores_sql() -> str:
    """The cohort's scores (prepared extract: ``code``, ``pk``, ``tie_first``, ``prev_at``,
    ``next_at``) with the cohort's time bounds and ``rel`` (days since admission). Used as
    a view: each measure's ``code`` filter is pushed below the join, its time filters are
    plain timestamp compares, and ``rel`` is computed only for the rows that pass."""
    return f"""
SELECT s.patient_id, s.code, s.pk, s.total, s.is_positive, s.tie_first, s.at AS taken_at, s.prev_at,
  s.next_at, c.duration, c.followup_days, c.adm_ts, c.end_ts, c.base_from, c.base_to,
  c.screen_from, {_rel("s.at", "c.admitted_on")} AS rel
FROM scores s JOIN cohort c ON c.patient_id = s.patient_id
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
    code = instrument_codes(d)[w.instrument]
    return f"""
WITH w AS (
  SELECT patient_id, rel, total, tie_first, prev_at < adm_ts AS prev_before FROM cs
  WHERE code = {code} AND taken_at >= adm_ts AND taken_at < end_ts
), firsts AS (
  -- the first COWS in the episode: its previous time (if any) is before admission
  SELECT patient_id, total AS first_total, rel AS first_rel FROM w
  WHERE tie_first AND coalesce(prev_before, TRUE)
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
    """Baseline = the score in the baseline window whose previous time lies before the
    window; follow-up = the in-episode score whose next time lies after the episode
    (prepared extract, ``tie_first`` rows only): at most two rows per patient x
    instrument survive the row filter, then one join pairs them. The follow-up counts
    when it lies at least the gap after the baseline (any eligible score would be at or
    before it)."""
    sc = d.measures.symptom_change
    codes = instrument_codes(d)
    rci_rows = ", ".join(
        f"({codes[i.id]}, '{i.id}', "
        f"{'NULL' if i.reliable_change is None else float(i.reliable_change)})"
        for i in sc.instruments
    )
    wanted = ", ".join(str(codes[i.id]) for i in sc.instruments)
    return f"""
WITH rci(code, instrument, rci) AS (VALUES {rci_rows}),
flagged AS (
  SELECT pk, code, total, taken_at, adm_ts,
    taken_at >= base_from AND taken_at <= base_to AND coalesce(prev_at < base_from, TRUE)
      AS is_base,
    taken_at < end_ts AND coalesce(next_at >= end_ts, TRUE) AS is_last
  FROM cs WHERE code IN ({wanted}) AND tie_first
), marked AS MATERIALIZED (
  -- days since admission only for the few rows that survive (not the millions read)
  SELECT pk, code, total, is_base, is_last, {_rel("taken_at", "adm_ts")} AS rel
  FROM flagged WHERE is_base OR is_last
), pairs AS (
  SELECT b.code, b.total AS base_total, l.total AS fu_total, l.total - b.total AS change
  FROM marked b JOIN marked l ON l.pk = b.pk
  WHERE b.is_base AND l.is_last AND l.rel >= b.rel + {sc.min_followup_gap_days}
)
SELECT r.instrument, count(*) AS n_pairs, avg(base_total) AS mean_baseline,
  avg(fu_total) AS mean_followup, avg(change) AS mean_change, stddev_samp(change) AS sd_change,
  CASE WHEN any_value(r.rci) IS NULL THEN NULL
       ELSE count(*) FILTER (WHERE change <= -r.rci) END AS n_improved,
  CASE WHEN any_value(r.rci) IS NULL THEN NULL
       ELSE count(*) FILTER (WHERE change >= r.rci) END AS n_deteriorated
FROM pairs p JOIN rci r ON r.code = p.code
GROUP BY r.instrument ORDER BY r.instrument
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
  WHERE code = {instrument_codes(d)[a.instrument]} AND taken_at >= screen_from
    AND taken_at < end_ts
  GROUP BY patient_id
), assessed AS (
  SELECT patient_id FROM diagnoses WHERE {_prefix_match("icd10", a.assessment_icd10_prefixes)}
  UNION SELECT patient_id FROM events
  WHERE kind IN ({_quoted(a.assessment_event_kinds)})
    AND status IN ({_quoted(a.completed_event_statuses)})
), planned AS (
  SELECT patient_id FROM medications WHERE {_name_match("name", a.plan_medications)}
  UNION SELECT patient_id FROM events WHERE kind IN ({_quoted(a.plan_event_kinds)})
    AND status IN ({_quoted(a.plan_event_statuses)})
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


def _in_scope(due: str) -> str:
    """A due date counts: in the index episode, not after the schedule's end, and its
    grace period over by the end of the report date - all folded into one closed range
    [lo_us, hi_us] per schedule (see ``sch``)."""
    return f"{due} BETWEEN lo_us AND hi_us"


def mbc_fidelity_sql() -> str:
    """Due dates of the cohort's per-patient schedules (``assessment_due`` semantics).

    Interval schedules are rolling: the first due date is ``starts_at``, each later one
    is the previous score (taken from ``starts_at`` - grace on) + interval. So each score
    of the chain answers the due date set by its predecessor (``prev_at``, precomputed in
    the prepared extract): no window function and no recursion. A score taken before that
    due date resets the clock without the due date ever falling due (not counted); one
    within grace after it is on time; a later one is a missed due date. After the chain's
    last score (``next_at`` beyond the report date) one more due date is pending; a
    schedule without any score is pending at its start. All of it is additive counts
    from ONE pass over the chain (no union of due-date rows, no anti-join).
    Fixed schedules: each offset is a due date, on time when any score lies within +/-
    grace of it. A due date counts when it lies in the index episode (>= admission,
    before the episode's end), on or before the schedule's end, and its grace window has
    closed by the end of the report date: one range [lo_us, hi_us] per schedule, so the
    million-row chain pays two compares per test. Times are whole microseconds (exact
    integer arithmetic). The pandas reference builds the due-date rows explicitly; the
    tests check both agree."""
    return f"""
WITH sch AS (
  SELECT s.pk, s.code, s.kind, s.offset_days, epoch_us(s.starts_at) AS start_us,
    s.interval_hours * 3600000000 AS interval_us, s.grace_hours * 3600000000 AS grace_us,
    epoch_us(c.adm_ts) AS lo_us,
    least(epoch_us(c.end_ts) - 1, coalesce(epoch_us(s.ends_at), {INT64_MAX}),
          epoch_us(c.report_end) - s.grace_hours * 3600000000) AS hi_us,
    epoch_us(c.report_end) AS report_end_us
  FROM schedules s JOIN cohort c ON c.patient_id = s.patient_id
  WHERE s.code > 0
), chain AS (
  -- every score a rolling schedule's clock sees; "first" = the chain's first score
  SELECT i.code, i.start_us, i.interval_us, i.grace_us, i.lo_us, i.hi_us,
    epoch_us(t.at) AS at_us,
    coalesce(epoch_us(t.prev_at) < i.start_us - i.grace_us, TRUE) AS first,
    CASE WHEN coalesce(epoch_us(t.prev_at) < i.start_us - i.grace_us, TRUE) THEN i.start_us
         ELSE epoch_us(t.prev_at) + i.interval_us END AS due_us,
    coalesce(epoch_us(t.next_at) >= i.report_end_us, TRUE) AS last
  FROM sch i JOIN scores t ON t.pk = i.pk
  WHERE i.kind = 'interval' AND t.tie_first AND epoch_us(t.at) >= i.start_us - i.grace_us
    AND epoch_us(t.at) < i.report_end_us
), chain_counts AS (
  -- additive counts, one pass: the due date each score answers (never due when the
  -- score came first), the pending one after the chain's last score, and minus the
  -- start due date of schedules that have a chain (counted for every schedule below)
  SELECT code,
    count(*) FILTER (WHERE at_us >= due_us AND {_in_scope("due_us")}) AS n_due,
    count(*) FILTER (WHERE at_us >= due_us AND at_us <= due_us + grace_us
                     AND {_in_scope("due_us")}) AS n_on_time,
    count(*) FILTER (WHERE last AND {_in_scope("at_us + interval_us")}) AS n_pending,
    count(*) FILTER (WHERE first AND {_in_scope("start_us")}) AS n_started
  FROM chain
  GROUP BY code
), start_counts AS (
  SELECT code, count(*) AS n_start FROM sch
  WHERE kind = 'interval' AND {_in_scope("start_us")} GROUP BY code
), fixed_counts AS (
  SELECT code, count(*) AS n_due, count(*) FILTER (WHERE EXISTS (
      SELECT 1 FROM scores t WHERE t.pk = p.pk
        AND epoch_us(t.at) BETWEEN p.due_us - p.grace_us AND p.due_us + p.grace_us
    )) AS n_on_time
  FROM (SELECT *, start_us + offset_days * {DAY_US_INT} AS due_us FROM sch
        WHERE kind = 'fixed') p
  WHERE {_in_scope("due_us")}
  GROUP BY code
), per_code AS (
  SELECT code, sum(n_due)::BIGINT AS n_due, sum(n_on_time)::BIGINT AS n_on_time FROM (
    SELECT code, n_due + n_pending - n_started AS n_due, n_on_time FROM chain_counts
    UNION ALL SELECT code, n_start, 0 FROM start_counts
    UNION ALL SELECT code, n_due, n_on_time FROM fixed_counts
  ) GROUP BY code HAVING sum(n_due) > 0
), names AS (
  SELECT code, min(instrument::VARCHAR) AS instrument FROM schedules GROUP BY code
)
SELECT n.instrument, p.n_due, p.n_on_time
FROM per_code p JOIN names n ON n.code = p.code
ORDER BY n.instrument
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
        "mbc_fidelity": mbc_fidelity_sql(),
    }


def single_statement_sql(d: OutcomeDefinitions, f: CohortFilter) -> str:
    """Every measure in ONE statement (the benchmark's raw-DuckDB baseline): each result
    becomes a JSON list in one row."""
    ctes = [
        f"cohort AS MATERIALIZED ({cohort_sql(d, f)})",
        f"cs AS ({cohort_scores_sql()})",
    ]
    selects = []
    for name, query in measure_queries(d).items():
        ctes.append(f"m_{name} AS ({query})")
        selects.append(f"(SELECT to_json(list(m_{name})) FROM m_{name}) AS {name}")  # noqa: S608
    return "WITH " + ",\n".join(ctes) + "\nSELECT " + ",\n  ".join(selects)
