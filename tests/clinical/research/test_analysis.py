import pytest

from speciosa.clinical.research.analysis import (
    SubjectFlow,
    consort_counts,
    fit_mixed_model,
    fit_retention,
)
from speciosa.clinical.research.synthetic import simulate_trial


@pytest.fixture(scope="module")
def trial():
    return simulate_trial(seed=11, n_per_arm=25)


def test_consort_counts_add_up():
    flows = [
        SubjectFlow("1", eligible=False, consented=False),
        SubjectFlow("2", eligible=True, consented=False),
        SubjectFlow("3", eligible=True, consented=True),
        SubjectFlow("4", eligible=True, consented=True, arm="bup", completed=True, analysed=True),
        SubjectFlow("5", eligible=True, consented=True, arm="taper", withdrew=True, analysed=True),
    ]
    c = consort_counts(flows, ["bup", "taper"])
    assert (c.screened, c.excluded, c.declined, c.consented, c.not_randomized, c.randomized) == (
        5,
        1,
        1,
        3,
        1,
        2,
    )
    assert [(a.arm, a.allocated, a.followed_up, a.discontinued) for a in c.arms] == [
        ("bup", 1, 1, 0),
        ("taper", 1, 0, 1),
    ]


def test_mixed_model_recovers_the_faster_decline(trial):
    result = fit_mixed_model(trial.observations, reference_arm="taper", outcome="cows")
    # simulated slopes: buprenorphine -2.0/week, taper -1.0/week
    assert result.slope_by_arm["buprenorphine"] == pytest.approx(-2.0, abs=0.4)
    assert result.slope_by_arm["taper"] == pytest.approx(-1.0, abs=0.4)
    estimate, se, p, low, high = result.slope_difference
    assert low < -1.0 < high and p < 0.01 and se > 0


def test_mixed_model_counts_subjects_and_observations(trial):
    result = fit_mixed_model(trial.observations, reference_arm="taper")
    assert result.n_subjects == 50
    assert result.n_observations == len(trial.observations)
    assert set(result.means) == {"buprenorphine", "taper"}


def test_mixed_model_needs_two_arms(trial):
    one_arm = [o for o in trial.observations if o.arm == "taper"]
    with pytest.raises(ValueError, match="two arms"):
        fit_mixed_model(one_arm, reference_arm="taper")


def test_km_retention_is_a_non_increasing_probability(trial):
    result = fit_retention(trial.retention)
    for curve in result.curves:
        assert all(0.0 <= s <= 1.0 for s in curve.survival)
        assert list(curve.survival) == sorted(curve.survival, reverse=True)
        assert curve.n == 25
    assert result.logrank_p is not None and 0.0 <= result.logrank_p <= 1.0


def test_km_retained_fraction_matches_simple_count_without_censoring():
    from speciosa.clinical.research.analysis import RetentionRecord

    records = [RetentionRecord(str(i), "a", float(d), True) for i, d in enumerate([10, 20, 30, 40])]
    curve = fit_retention(records).curves[0]
    assert curve.retained_at(25) == pytest.approx(0.5)
    assert curve.median_days == 20.0
