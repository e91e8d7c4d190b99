"""Objective evaluation on synthetic trajectories: met, on track, at risk, not enough data,
and the edges of the plan window."""

from datetime import timedelta
from decimal import Decimal

import pytest

from speciosa.clinical.facts import LabMethod, ScoreFact, Substance, SubstanceUseFact
from speciosa.clinical.planning.objectives import (
    AttendanceAtLeast,
    ConsecutiveNegativeLabs,
    KratomDoseAtMost,
    ObjectiveStatus,
    ReliableImprovement,
    ScoreBelowConsecutive,
    ScreenPositiveItemsAtMost,
    Window,
)
from tests.clinical.planning.trajectories import START, at, facts, scores, sessions, urine

MET = ObjectiveStatus.MET
ON_TRACK = ObjectiveStatus.ON_TRACK
AT_RISK = ObjectiveStatus.AT_RISK
NO_DATA = ObjectiveStatus.NOT_ENOUGH_DATA
WINDOW = Window(start=START)
COWS_3 = ScoreBelowConsecutive(instrument_id="cows", below=5, consecutive=3)


# --- score below threshold on N consecutive assessments -------------------------------


def test_cows_below_5_three_times_in_a_row_is_met():
    result = COWS_3.evaluate(facts(scores=scores("cows", [14, 9, 4, 3, 2])), WINDOW)
    assert result.status is MET
    assert result.numbers["consecutive_below"] == 3


def test_cows_two_below_5_after_a_high_one_is_on_track():
    result = COWS_3.evaluate(facts(scores=scores("cows", [3, 3, 8, 4, 2])), WINDOW)
    assert result.status is ON_TRACK
    assert result.numbers["consecutive_below"] == 2


def test_cows_rising_at_threshold_is_at_risk():
    result = COWS_3.evaluate(facts(scores=scores("cows", [4, 6, 9])), WINDOW)
    assert result.status is AT_RISK


def test_cows_falling_but_still_high_is_on_track():
    result = COWS_3.evaluate(facts(scores=scores("cows", [14, 9])), WINDOW)
    assert result.status is ON_TRACK


def test_no_cows_recorded_is_not_enough_data():
    assert COWS_3.evaluate(facts(), WINDOW).status is NO_DATA


def test_scores_before_the_plan_start_do_not_count():
    # three low scores the day before the plan started, none since
    before = scores("cows", [2, 2, 2], first_day=-3)
    result = COWS_3.evaluate(facts(scores=before), WINDOW)
    assert result.status is NO_DATA


def test_a_score_on_the_start_date_counts():
    # edge of window: the first low score is on the start date itself (day 0)
    result = COWS_3.evaluate(facts(scores=scores("cows", [2, 2, 2], first_day=0)), WINDOW)
    assert result.status is MET


def test_a_score_after_as_of_does_not_count():
    # the third low score is recorded after the evaluation moment
    trajectory = scores("cows", [2, 2, 2], every_days=10)  # days 0, 10, 20
    result = COWS_3.evaluate(facts(as_of_day=19, scores=trajectory), WINDOW)
    assert result.status is ON_TRACK
    assert result.numbers["assessments"] == 2


def test_unmet_after_target_date_is_at_risk():
    window = Window(start=START, target=START + timedelta(days=5))
    result = COWS_3.evaluate(facts(scores=scores("cows", [9, 4, 3])), window)
    assert result.status is AT_RISK


def test_other_instruments_are_ignored():
    result = COWS_3.evaluate(facts(scores=scores("sows", [1, 1, 1])), WINDOW)
    assert result.status is NO_DATA


# --- kratom g/day by a date -----------------------------------------------------------


def kratom(grams: str | None, is_current: bool = True) -> tuple[SubstanceUseFact, ...]:
    return (
        SubstanceUseFact(
            substance=Substance.KRATOM,
            grams_per_day=Decimal(grams) if grams is not None else None,
            is_current=is_current,
        ),
    )


def test_kratom_at_target_is_met():
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3, baseline_grams_per_day=20)
    result = objective.evaluate(facts(substances=kratom("4")), WINDOW)
    assert result.status is MET
    assert result.numbers["current_g_per_day"] == 4


def test_kratom_on_the_straight_line_down_is_on_track():
    # day 10 of 21: expected 20 - 10/21*16 = 12.4 g/day; patient is at 12
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3, baseline_grams_per_day=20)
    result = objective.evaluate(facts(as_of_day=10, substances=kratom("12")), WINDOW)
    assert result.status is ON_TRACK
    assert result.numbers["expected_g_per_day_today"] == pytest.approx(12.38, abs=0.01)


def test_kratom_above_the_line_is_at_risk():
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3, baseline_grams_per_day=20)
    result = objective.evaluate(facts(as_of_day=10, substances=kratom("18")), WINDOW)
    assert result.status is AT_RISK


def test_kratom_above_target_after_deadline_is_at_risk():
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3)
    result = objective.evaluate(facts(as_of_day=22, substances=kratom("5")), WINDOW)
    assert result.status is AT_RISK


def test_kratom_on_deadline_day_still_counts_as_before_it():
    # edge: as_of is the deadline day itself (day 21) -> not yet passed
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3, baseline_grams_per_day=20)
    result = objective.evaluate(facts(as_of_day=21, substances=kratom("4.5")), WINDOW)
    assert result.status is AT_RISK  # expected 4.0 on the line, patient at 4.5
    assert result.numbers["expected_g_per_day_today"] == 4.0


def test_stopped_kratom_counts_as_zero():
    objective = KratomDoseAtMost(max_grams_per_day=0, by_week=8)
    result = objective.evaluate(facts(substances=kratom("10", is_current=False)), WINDOW)
    assert result.status is MET


def test_no_kratom_record_is_not_enough_data():
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3)
    assert objective.evaluate(facts(), WINDOW).status is NO_DATA


def test_kratom_without_grams_is_not_enough_data():
    objective = KratomDoseAtMost(max_grams_per_day=4, by_week=3)
    assert objective.evaluate(facts(substances=kratom(None)), WINDOW).status is NO_DATA


def test_kratom_objective_refuses_a_target_above_baseline():
    with pytest.raises(ValueError, match="only reduce"):
        KratomDoseAtMost(max_grams_per_day=25, by_week=3, baseline_grams_per_day=20)


# --- reliable improvement (Jacobson-Truax) --------------------------------------------

PHQ9_RCI = ReliableImprovement(instrument_id="phq9", sd=6.0, reliability=0.89)


def test_phq9_drop_of_8_is_reliable_improvement():
    # S_diff = sqrt(2) * 6 * sqrt(0.11) = 2.814; RCI = -8 / 2.814 = -2.84 -> reliable
    result = PHQ9_RCI.evaluate(facts(scores=scores("phq9", [18, 14, 10], every_days=14)), WINDOW)
    assert result.status is MET
    assert result.numbers["rci"] == pytest.approx(-2.84, abs=0.01)


def test_phq9_drop_of_3_is_on_track_not_met():
    result = PHQ9_RCI.evaluate(facts(scores=scores("phq9", [18, 15], every_days=14)), WINDOW)
    assert result.status is ON_TRACK


def test_phq9_reliable_worsening_is_at_risk():
    result = PHQ9_RCI.evaluate(facts(scores=scores("phq9", [8, 16], every_days=14)), WINDOW)
    assert result.status is AT_RISK


def test_baseline_before_plan_start_is_used():
    # baseline recorded 3 days before the plan started; follow-up inside the window
    trajectory = scores("phq9", [20], first_day=-3) + scores("phq9", [11], first_day=14)
    result = PHQ9_RCI.evaluate(facts(scores=trajectory), WINDOW)
    assert result.numbers["baseline"] == 20
    assert result.status is MET


def test_without_sd_the_shared_instrument_threshold_decides():
    # PHQ-9 ships a published reliable-change threshold of 6 points (instrument library)
    shared = ReliableImprovement(instrument_id="phq9")
    met = shared.evaluate(facts(scores=scores("phq9", [18, 12], every_days=14)), WINDOW)
    short = shared.evaluate(facts(scores=scores("phq9", [18, 13], every_days=14)), WINDOW)
    assert (met.status, short.status) == (MET, ON_TRACK)
    assert met.numbers["reliable_change_points"] == 6


def test_unknown_instrument_without_parameters_is_not_enough_data():
    unknown = ReliableImprovement(instrument_id="made_up")
    result = unknown.evaluate(facts(scores=scores("made_up", [10, 2], every_days=7)), WINDOW)
    assert result.status is NO_DATA


def test_single_phq9_is_not_enough_data():
    result = PHQ9_RCI.evaluate(facts(scores=scores("phq9", [18])), WINDOW)
    assert result.status is NO_DATA


# --- screen positive items at week W --------------------------------------------------

ASRS = ScreenPositiveItemsAtMost(
    max_positive=2,
    at_week=8,
    item_thresholds={"asrs-1": 2, "asrs-2": 2, "asrs-3": 2, "asrs-4": 3, "asrs-5": 3, "asrs-6": 3},
)


def asrs(day: int, answers: list[int]) -> ScoreFact:
    items = {f"asrs-{i + 1}": v for i, v in enumerate(answers)}
    return ScoreFact(instrument_id="asrs_screener", at=at(day), total=sum(answers), items=items)


def test_asrs_two_positive_items_at_week_8_is_met():
    # items 1,2 at "sometimes" (2) count; items 4-6 at "sometimes" do not (need "often")
    result = ASRS.evaluate(facts(as_of_day=60, scores=(asrs(56, [2, 2, 1, 2, 2, 2]),)), WINDOW)
    assert result.status is MET
    assert result.numbers["positive_items"] == 2


def test_asrs_four_positive_at_week_8_is_at_risk():
    result = ASRS.evaluate(facts(as_of_day=60, scores=(asrs(56, [3, 3, 3, 3, 0, 0]),)), WINDOW)
    assert result.status is AT_RISK


def test_asrs_on_the_last_day_of_the_tolerance_window_counts():
    # due day 56, tolerance 7 days -> day 63 is the last day that counts
    result = ASRS.evaluate(facts(as_of_day=70, scores=(asrs(63, [0] * 6),)), WINDOW)
    assert result.status is MET


def test_asrs_one_day_outside_the_window_does_not_count():
    result = ASRS.evaluate(facts(as_of_day=70, scores=(asrs(64, [0] * 6),)), WINDOW)
    assert result.status is NO_DATA


def test_asrs_early_low_score_is_on_track():
    result = ASRS.evaluate(facts(as_of_day=20, scores=(asrs(14, [1] * 6),)), WINDOW)
    assert result.status is ON_TRACK


def test_asrs_scorer_subscale_is_preferred_over_items():
    score = ScoreFact(
        instrument_id="asrs_screener", at=at(56), total=10, subscales={"part_a_positive": 5.0}
    )
    result = ASRS.evaluate(facts(as_of_day=60, scores=(score,)), WINDOW)
    assert result.numbers["positive_items"] == 5


# --- consecutive negative urine screens -----------------------------------------------

FENTANYL_2 = ConsecutiveNegativeLabs(analyte="FENTANYL", consecutive=2)


def test_two_negative_fentanyl_screens_in_a_row_is_met():
    labs = urine("FENTANYL", ["positive", "negative", "negative"])
    assert FENTANYL_2.evaluate(facts(labs=labs), WINDOW).status is MET


def test_positive_after_negatives_is_at_risk():
    labs = urine("FENTANYL", ["negative", "negative", "positive"])
    result = FENTANYL_2.evaluate(facts(labs=labs), WINDOW)
    assert result.status is AT_RISK
    assert result.numbers["latest"] == "positive"


def test_one_negative_is_on_track():
    labs = urine("FENTANYL", ["positive", "negative"])
    assert FENTANYL_2.evaluate(facts(labs=labs), WINDOW).status is ON_TRACK


def test_mitragynine_needs_lcms_when_asked():
    objective = ConsecutiveNegativeLabs(
        analyte="MITRAGYNINE", consecutive=2, methods=(LabMethod.LCMS,)
    )
    cup = urine("MITRAGYNINE", ["negative", "negative"], method=LabMethod.POINT_OF_CARE)
    assert objective.evaluate(facts(labs=cup), WINDOW).status is NO_DATA


# --- attendance -----------------------------------------------------------------------

CBT_80 = AttendanceAtLeast(min_percent=80, min_sessions=3)


def test_attended_4_of_5_is_met():
    events = sessions(["attended", "attended", "missed", "attended", "attended"])
    result = CBT_80.evaluate(facts(as_of_day=35, events=events), WINDOW)
    assert result.status is MET
    assert result.numbers["percent"] == 80.0


def test_attended_3_of_5_is_at_risk():
    events = sessions(["attended", "missed", "missed", "attended", "attended"])
    assert CBT_80.evaluate(facts(as_of_day=35, events=events), WINDOW).status is AT_RISK


def test_below_target_but_still_reachable_is_on_track():
    objective = AttendanceAtLeast(min_percent=80, min_sessions=3, planned_sessions=12)
    events = sessions(["attended", "missed", "missed", "attended", "attended"])
    result = objective.evaluate(facts(as_of_day=35, events=events), WINDOW)
    assert result.status is ON_TRACK  # best case 10 of 12 = 83%


def test_cancelled_and_other_kinds_do_not_count():
    events = sessions(["attended", "cancelled", "attended"]) + sessions(
        ["missed", "missed", "missed"], kind="session:group"
    )
    result = CBT_80.evaluate(facts(as_of_day=35, events=events), WINDOW)
    assert result.status is NO_DATA
    assert result.numbers["held"] == 2
