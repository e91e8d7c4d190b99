"""Dashboard tables, comparisons and small-cell suppression on the hand cohort."""

import pytest

from speciosa.clinical.outcomes.dashboard import (
    SUPPRESSED,
    build_dashboard,
    compute_dashboard,
    suppress_small_cells,
)
from speciosa.clinical.outcomes.definitions import DATA_FILE, load_definitions
from speciosa.clinical.outcomes.engine import compute_measures_duckdb
from speciosa.clinical.outcomes.tables import CohortFilter
from tests.clinical.outcomes import hand_cohort as hc


@pytest.fixture(scope="module")
def dashboard():
    tables = hc.build()
    return build_dashboard(compute_measures_duckdb(tables, hc.WINDOW, hc.AS_OF), hc.AS_OF)


def test_every_measure_and_rule_has_a_citation():
    d = load_definitions()
    cited = d.citations()
    assert len(cited) >= 15
    assert all(c.doi or c.pmid or c.url for _, c in cited)


def test_retention_horizons_read_the_km_step_at_or_before_the_day(dashboard):
    rows = dashboard.tables["retention"].rows
    assert [(r["horizon"], r["survival"], r["events"]) for r in rows] == [
        (30, pytest.approx(0.6), 2),
        (90, pytest.approx(0.6), 2),
    ]
    low, high = rows[0]["ci"]
    assert low < 0.6 < high


def test_moud_share_has_wilson_interval(dashboard):
    any_row = dashboard.tables["moud"].rows[0]
    assert any_row["medication"] == "any"
    assert any_row["share"] == pytest.approx(1 / 3)
    assert any_row["ci"] == pytest.approx((0.0615, 0.7923), abs=1e-4)


def test_mbc_adds_an_overall_row(dashboard):
    overall = dashboard.tables["mbc_fidelity"].rows[-1]
    assert (overall["instrument"], overall["n_due"], overall["n_on_time"]) == ("all", 15, 6)


def test_small_cells_are_suppressed_with_their_derived_values(dashboard):
    rows = suppress_small_cells(dashboard.tables["withdrawal"], 11)
    assert rows[0]["n_managed"] == "<11"
    assert rows[0]["share"] == SUPPRESSED
    assert rows[0]["median_days"] == SUPPRESSED


def test_zero_counts_are_not_suppressed(dashboard):
    rows = suppress_small_cells(dashboard.tables["kratom"], 11)
    day90 = rows[1]
    assert day90["n_eligible"] == 0


def test_large_cells_survive_suppression(dashboard):
    rows = suppress_small_cells(dashboard.tables["mbc_fidelity"], 11)
    overall = next(r for r in rows if r["instrument"] == "all")
    assert overall["n_due"] == 15
    assert overall["n_on_time"] == "<11"


def test_comparison_of_two_programs_reports_differences():
    tables = hc.build()
    a = CohortFilter(admitted_from=hc.WINDOW.admitted_from, program_ids=(1,))
    b = CohortFilter(admitted_from=hc.WINDOW.admitted_from, program_ids=(2,))
    dash = compute_dashboard(tables, a, hc.AS_OF, compare_with=b)
    rows = {r["indicator"]: r for r in dash.comparison.rows}
    moud = rows["OUD on MOUD"]
    # program 1: P1, P2, P4 have OUD, P1 on buprenorphine; program 2: no OUD patients
    assert (moud["a"], moud["a_n"], moud["b_n"]) == (pytest.approx(1 / 3), 3, 0)
    assert moud["difference"] is None
    day30 = rows["Retained at day 30 (KM)"]
    # program 1: P4 (5, event), P1 (20, event), P2 (40) -> S(30) = 2/3 x 1/2 = 1/3
    assert day30["a"] == pytest.approx(1 / 3)
    assert day30["b"] == pytest.approx(1.0)
    assert day30["difference"] == pytest.approx(-2 / 3)


def test_reliable_change_thresholds_match_the_instrument_library():

    from speciosa.clinical.knowledge import load_data_file

    folder = DATA_FILE.parents[2] / "instruments" / "data"
    for inst in load_definitions().measures.symptom_change.instruments:
        scoring = load_data_file(folder / f"{inst.id}.scoring.yaml")
        library = (scoring.get("reliable_change") or {}).get("threshold")
        assert inst.reliable_change == library, inst.id


def test_every_instrument_the_measures_read_exists_in_the_library():

    from speciosa.clinical.outcomes.sql import instrument_codes

    folder = DATA_FILE.parents[2] / "instruments" / "data"
    for instrument in instrument_codes(load_definitions()):
        assert (folder / f"{instrument}.json").exists(), instrument
