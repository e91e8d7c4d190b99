"""Every measure on the hand-worked five-patient cohort (hand_cohort.py), for BOTH engines.

Worked values (report date 2026-03-01, admitted from 2025-12-01):
durations P4 5 (unplanned), P1 20 (unplanned), P5 28, P2 40, P3 49 (censored).
"""

import math
from dataclasses import replace
from datetime import date

import pyarrow as pa
import pytest

from speciosa.clinical.outcomes.engine import compute_measures_duckdb
from speciosa.clinical.outcomes.reference import compute_measures_pandas
from speciosa.clinical.outcomes.tables import CohortFilter
from tests.clinical.outcomes import hand_cohort as hc

ENGINES = {"duckdb": compute_measures_duckdb, "pandas": compute_measures_pandas}


@pytest.fixture(scope="module")
def tables():
    return hc.build()


@pytest.fixture(scope="module", params=sorted(ENGINES))
def raw(request, tables):
    return ENGINES[request.param](tables, hc.WINDOW, hc.AS_OF)


def test_summary_counts_patients_and_patient_days(raw):
    assert raw["summary"] == [
        {
            "n_patients": 5,
            "n_unplanned_discharges": 2,
            "patient_days": 5 + 20 + 28 + 40 + 49,
            "median_days": 28.0,
            "mean_days": 28.4,
        }
    ]


def test_km_steps_at_each_unplanned_discharge(raw):
    curve = raw["retention_curve"]
    assert [(r["t"], r["at_risk"], r["events"]) for r in curve] == [(5, 5, 1), (20, 4, 1)]
    assert curve[0]["survival"] == pytest.approx(0.8)
    assert curve[1]["survival"] == pytest.approx(0.6)  # 0.8 x 3/4
    assert curve[1]["greenwood"] == pytest.approx(1 / 20 + 1 / 12)


def test_days_histogram_bins_of_15(raw):
    assert raw["days_histogram"] == [
        {"bin_start": 0, "n": 1},
        {"bin_start": 15, "n": 2},
        {"bin_start": 30, "n": 1},
        {"bin_start": 45, "n": 1},
    ]


def test_trend_counts_30_day_retention_by_admission_month(raw):
    assert raw["trend_monthly"] == [
        {"month": "2026-01", "admissions": 4, "n_eligible": 4, "n_retained": 2},
        {"month": "2026-02", "admissions": 1, "n_eligible": 0, "n_retained": 0},
    ]


def test_withdrawal_time_to_first_cows_below_5(raw):
    (w,) = raw["withdrawal"]
    assert (w["n_assessed"], w["n_in_withdrawal"], w["n_managed"]) == (4, 3, 2)
    # P1 reached 4 at day 2 + 22 h, P3 reached 2 at day 1 + 6 h
    assert w["median_days"] == pytest.approx((2 + 22 / 24 + 1.25) / 2)
    assert w["mean_days"] == pytest.approx((2 + 22 / 24 + 1.25) / 2)


def test_phq9_change_and_reliable_change(raw):
    by = {r["instrument"]: r for r in raw["symptom_change"]}
    phq = by["phq9"]
    changes = [-8, 7, -3]  # P1 18->10, P2 8->15, P3 14 (tie: highest)->11
    assert phq["n_pairs"] == 3
    assert phq["mean_baseline"] == pytest.approx((18 + 8 + 14) / 3)
    assert phq["mean_followup"] == pytest.approx(12.0)
    assert phq["mean_change"] == pytest.approx(-4 / 3)
    mean = sum(changes) / 3
    assert phq["sd_change"] == pytest.approx(math.sqrt(sum((c - mean) ** 2 for c in changes) / 2))
    assert (phq["n_improved"], phq["n_deteriorated"]) == (1, 1)
    assert "gad7" not in by


def test_craving_change_without_rci_reports_no_reliable_counts(raw):
    craving = next(r for r in raw["symptom_change"] if r["instrument"] == "craving_nrs")
    assert (craving["n_pairs"], craving["mean_change"]) == (1, -5.0)
    assert craving["sd_change"] is None
    assert craving["n_improved"] is None and craving["n_deteriorated"] is None


def test_kratom_reduction_and_abstinence_at_30_days(raw):
    k30, k90 = raw["kratom"]
    assert k30 == {
        "horizon": 30,
        "n_users": 4,
        "n_eligible": 3,
        "n_followed": 2,
        "mean_baseline_g": 15.0,
        "mean_followup_g": 2.0,
        "mean_reduction_g": 13.0,
        "n_abstinent_self": 1,
        "n_abstinent_confirmed": 1,
    }
    assert (k90["n_eligible"], k90["n_followed"], k90["mean_followup_g"]) == (0, 0, None)


def test_adhd_funnel(raw):
    assert raw["adhd_funnel"] == [
        {"n_screened": 3, "n_positive": 2, "n_assessed": 2, "n_planned": 1}
    ]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(
    ("status", "planned"),
    [("draft", 1), ("active", 2), ("discontinued", 2)],
)
def test_adhd_plan_from_the_treatment_plan_pathway(tables, engine, status, planned):
    # P1: positive ASRS, assessed by an attended assessment:adhd event, no ADHD
    # medication; a treatment plan with the ADHD pathway counts once it is not a draft
    event = {
        "patient_id": 1,
        "kind": "pathway:adhd-early-recovery",
        "at": hc.T(2026, 1, 10),
        "status": status,
    }
    events = pa.concat_tables(
        [tables.events, pa.Table.from_pylist([event], schema=tables.events.schema)]
    )
    raw = ENGINES[engine](replace(tables, events=events), hc.WINDOW, hc.AS_OF)
    assert raw["adhd_funnel"][0]["n_planned"] == planned


def test_moud_counts_overlapping_active_or_stopped_orders_only(raw):
    by = {r["medication"]: r for r in raw["moud"]}
    assert by["any"] == {"medication": "any", "n_oud": 3, "n_patients": 1}
    assert by["buprenorphine"]["n_patients"] == 1
    assert by["methadone"]["n_patients"] == 0  # ordered, not started
    assert by["naltrexone"]["n_patients"] == 0  # stopped before admission


def test_alert_burden_and_time_to_acknowledge(raw):
    assert raw["alerts"] == [
        {
            "severity": "critical",
            "n_alerts": 1,
            "n_patients": 1,
            "n_acknowledged": 1,
            "median_hours_to_ack": 2.0,
            "p90_hours_to_ack": 2.0,
        },
        {
            "severity": "high",
            "n_alerts": 3,
            "n_patients": 2,
            "n_acknowledged": 2,
            "median_hours_to_ack": 7.0,
            "p90_hours_to_ack": pytest.approx(9.4),
        },
    ]


def test_mbc_fidelity_due_and_on_time(raw):
    # Worked out from hand_cohort.schedules (report date 2026-03-01):
    # PHQ-9  P1: due 01-01 (start; first chain score 01-15 is late: missed); the 01-25
    #            score comes before its due date 01-29 (early: only resets the clock);
    #            pending 02-08 lies after discharge -> 1 due, 0 on time
    #        P2: 01-01 answered 01-02 (on time); 01-16 answered 02-05 (late); pending
    #            02-19 after discharge -> 2 due, 1 on time
    #        P3: 01-11 answered 09:00 the same day (the same-time tie counts once);
    #            01-25 09:00 answered 02-20 (late); pending after the 02-15 stop -> 2, 1
    #        P5: fixed point 2025-06-01 before the index admission -> not counted
    # craving P1: 01-01 on time, 01-08 answered 01-16 late, pending 01-23 after
    #            discharge; P5: never taken -> start 02-01 missed -> 3 due, 1 on time
    # COWS   P4: 01-01 answered 08:00 (> 6 h grace: late), 01-02 08:00 answered on the
    #            dot, pending 01-03 08:00 missed (before the 01-04 end) -> 3 due, 1 on time
    # ASRS   P3 day 0 (score 01-15, within 7 days) on time, day 56 after the report
    #            date; P2 day 0 (01-03) on time, day 28 (01-29) missed -> 3 due, 2 on time
    # LDQ    P1 never taken -> 1 due (start), 0 on time
    assert raw["mbc_fidelity"] == [
        {"instrument": "asrs_screener", "n_due": 3, "n_on_time": 2},
        {"instrument": "cows", "n_due": 3, "n_on_time": 1},
        {"instrument": "craving_nrs", "n_due": 3, "n_on_time": 1},
        {"instrument": "ldq_kratom", "n_due": 1, "n_on_time": 0},
        {"instrument": "phq9", "n_due": 5, "n_on_time": 2},
    ]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (CohortFilter(age_bands=("26-34",)), 2),  # P3 (26), P5 (30)
        (CohortFilter(sexes=("female",)), 3),
        (CohortFilter(diagnosis_groups=("kratom",)), 2),  # F19 + a kratom report: P1, P2
        (CohortFilter(diagnosis_groups=("adhd", "oud")), 4),
        (CohortFilter(program_ids=(2,)), 2),
        (CohortFilter(levels_of_care=("1", "3.7")), 3),
        (CohortFilter(admitted_to=date(2026, 1, 1)), 3),  # P1, P2, P4
    ],
)
def test_cohort_filters(tables, engine, flt, expected):
    flt = replace(flt, admitted_from=hc.WINDOW.admitted_from)
    assert ENGINES[engine](tables, flt, hc.AS_OF)["summary"][0]["n_patients"] == expected


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_index_episode_is_the_first_in_the_date_range(tables, engine):
    # without a date range P5's index episode is the June 2025 one (30 days, completed)
    raw = ENGINES[engine](tables, CohortFilter(), hc.AS_OF)
    assert raw["summary"][0]["patient_days"] == 5 + 20 + 30 + 40 + 49


def test_reference_km_matches_lifelines(tables):
    from lifelines import KaplanMeierFitter

    raw = compute_measures_pandas(tables, hc.WINDOW, hc.AS_OF)
    kmf = KaplanMeierFitter().fit([5, 20, 28, 40, 49], [1, 1, 0, 0, 0])
    for row in raw["retention_curve"]:
        assert row["survival"] == pytest.approx(
            float(kmf.survival_function_at_times(row["t"]).iloc[0])
        )
