import xml.etree.ElementTree as ET

import pytest

from speciosa.clinical.research.analysis import (
    ArmFlow,
    ConsortCounts,
    fit_mixed_model,
    fit_retention,
)
from speciosa.clinical.research.charts import consort_svg, outcome_svg, retention_svg
from speciosa.clinical.research.synthetic import simulate_trial

NS = "{http://www.w3.org/2000/svg}"
COUNTS = ConsortCounts(
    screened=83,
    excluded=19,
    declined=7,
    consented=57,
    not_randomized=2,
    randomized=55,
    arms=(ArmFlow("bup", 27, 7, 6, 15), ArmFlow("taper", 28, 9, 8, 15)),
)


def _texts(svg: str) -> str:
    return " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{NS}text"))


def test_consort_svg_is_valid_and_shows_every_count():
    text = _texts(consort_svg(COUNTS, {"bup": "Buprenorphine", "taper": "Taper"}))
    for expected in [
        "n=83",
        "Randomized (n=55)",
        "Allocated to Buprenorphine",
        "n=27",
        "Not meeting criteria: 19",
        "Declined consent: 7",
        "Discontinued (withdrew/lost): 9",
    ]:
        assert expected in text


@pytest.fixture(scope="module")
def trial():
    return simulate_trial(seed=3, n_per_arm=20)


def test_outcome_svg_draws_one_fitted_line_per_arm(trial):
    svg = outcome_svg(fit_mixed_model(trial.observations, reference_arm="taper"), "Kratom days")
    assert len(list(ET.fromstring(svg).iter(f"{NS}line"))) >= 2 + 2  # axes + 2 fits


def test_retention_svg_has_a_curve_per_arm(trial):
    svg = retention_svg(fit_retention(trial.retention))
    assert len(list(ET.fromstring(svg).iter(f"{NS}polyline"))) == 2
