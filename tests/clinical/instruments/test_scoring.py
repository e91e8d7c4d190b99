"""Worked examples from each instrument's source, and the validation contract."""

import pytest

from speciosa.clinical.errors import InvalidAnswer, InvalidInput, NotFound
from speciosa.clinical.instruments import get_instrument, reliable_change, score
from speciosa.clinical.instruments.catalog import build_instrument
from speciosa.clinical.instruments.definitions import InstrumentScoring
from speciosa.clinical.instruments.scoring import cows_pulse_score, score_reference


def phq9(*values: int) -> dict:
    return {f"phq9-{n}": v for n, v in enumerate(values, 1)}


def cows(*values: int) -> dict:
    return {f"cows-{n}": v for n, v in enumerate(values, 1)}


# --- COWS (Wesson & Ling 2003: 5-12 mild, 13-24 moderate, 25-36 mod. severe, >36 severe)


def test_cows_total_12_is_mild():
    result = score("cows", cows(1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 0))
    assert (result.total, result.band) == (12, "mild")


def test_cows_total_13_is_moderate_per_the_form_score_key():
    # The example said "13 = mild"; the COWS form says 13-24 is moderate.
    result = score("cows", cows(1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 0))
    assert (result.total, result.band) == (13, "moderate")


def test_cows_total_25_raises_the_critical_flag():
    result = score("cows", cows(2, 3, 3, 2, 2, 2, 3, 2, 2, 2, 2 * 0 + 3 - 3 + 2 - 2))
    assert result.total == 23
    assert not result.is_critical
    result = score("cows", cows(4, 3, 3, 2, 2, 2, 3, 2, 2, 2, 0))
    assert result.total == 25
    assert [f.rule_id for f in result.critical] == ["cows-total-25"]
    assert result.critical_items == ()


def test_cows_rejects_a_weight_the_item_does_not_have():
    with pytest.raises(InvalidAnswer) as exc:
        score("cows", cows(3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))  # pulse has 0/1/2/4
    assert exc.value.item_id == "cows-1"
    assert "out of range" in exc.value.reason


@pytest.mark.parametrize(("bpm", "weight"), [(80, 0), (81, 1), (100, 1), (101, 2), (121, 4)])
def test_cows_pulse_score_follows_the_form_anchors(bpm, weight):
    assert cows_pulse_score(bpm) == weight


# --- PHQ-9 (Kroenke 2001) -------------------------------------------------------------


def test_phq9_total_20_is_severe():
    result = score("phq9", phq9(3, 3, 3, 3, 2, 2, 2, 2, 0))
    assert (result.total, result.band, result.is_positive) == (20, "severe", True)


def test_phq9_total_19_is_moderately_severe():
    assert score("phq9", phq9(3, 3, 3, 3, 2, 2, 2, 1, 0)).band == "moderately_severe"


def test_phq9_total_9_is_a_negative_screen():
    result = score("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 2, 0))
    assert (result.total, result.band, result.is_positive) == (9, "mild", False)


def test_phq9_item9_of_1_is_critical_and_names_the_item():
    result = score("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert result.total == 1
    assert result.critical_items == ("phq9-9",)
    assert "same-day" in result.critical[0].message


def test_phq9_item9_of_0_is_not_critical():
    assert not score("phq9", phq9(3, 3, 3, 3, 3, 3, 3, 3, 0)).is_critical


def test_phq9_accepts_loinc_answer_codes():
    answers = phq9(0, 0, 0, 0, 0, 0, 0, 0, 0) | {"phq9-1": "LA6571-9"}
    assert score("phq9", answers).total == 3


def test_phq9_difficulty_item_is_optional_and_not_summed():
    result = score("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 0) | {"phq9-10": "very-difficult"})
    assert result.total == 8


def test_missing_item_raises_naming_the_item_never_zero():
    answers = phq9(1, 1, 1, 1, 1, 1, 1, 1, 1)
    del answers["phq9-4"]
    with pytest.raises(InvalidAnswer) as exc:
        score("phq9", answers)
    assert exc.value.item_id == "phq9-4"
    assert "required" in exc.value.reason


def test_out_of_range_answer_raises():
    with pytest.raises(InvalidAnswer, match="phq9-2"):
        score("phq9", phq9(0, 4, 0, 0, 0, 0, 0, 0, 0))


def test_boolean_for_a_numeric_item_is_rejected():
    with pytest.raises(InvalidAnswer, match="boolean"):
        score("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 0) | {"phq9-3": True})


def test_unknown_item_is_rejected():
    with pytest.raises(InvalidAnswer) as exc:
        score("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 0) | {"phq9-99": 1})
    assert exc.value.item_id == "phq9-99"


def test_unhashable_answer_is_rejected():
    with pytest.raises(InvalidAnswer, match="phq9-1"):
        score("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 0) | {"phq9-1": [1]})


def test_unknown_instrument_is_not_found():
    with pytest.raises(NotFound):
        score("phq-99", {})


# --- GAD-7 (Spitzer 2006) -------------------------------------------------------------


def test_gad7_total_15_is_severe_and_positive():
    answers = {f"gad7-{n}": v for n, v in enumerate([3, 3, 3, 2, 2, 1, 1], 1)}
    result = score("gad7", answers)
    assert (result.total, result.band, result.is_positive) == (15, "severe", True)


# --- AUDIT-C (Bradley 2003: >=4 men, >=3 women) --------------------------------------

AUDIT_C_3 = {"audit-1": 1, "audit-2": 1, "audit-3": 1}
AUDIT_C_4 = {"audit-1": 2, "audit-2": 1, "audit-3": 1}


def test_audit_c_4_is_positive_for_a_man():
    assert score("audit_c", AUDIT_C_4, sex="male").is_positive is True


def test_audit_c_3_is_negative_for_a_man():
    assert score("audit_c", AUDIT_C_3, sex="male").is_positive is False


def test_audit_c_3_is_positive_for_a_woman():
    assert score("audit_c", AUDIT_C_3, sex="female").is_positive is True


def test_audit_c_unknown_sex_uses_the_lower_threshold_and_says_so():
    result = score("audit_c", AUDIT_C_3, sex=None)
    assert result.is_positive is True
    assert "review" in result.notes[0]


# --- AUDIT (WHO manual zones) ---------------------------------------------------------


def test_audit_8_is_zone_2_and_positive():
    answers = {f"audit-{n}": 0 for n in range(1, 11)} | {"audit-1": 4, "audit-2": 2, "audit-9": 2}
    result = score("audit", answers)
    assert (result.total, result.band, result.is_positive) == (8, "zone_2", True)
    assert result.subscales == {"consumption": 6, "dependence": 0, "harm": 2}


def test_audit_item_9_only_takes_0_2_or_4():
    answers = {f"audit-{n}": 0 for n in range(1, 11)} | {"audit-9": 1}
    with pytest.raises(InvalidAnswer, match="audit-9"):
        score("audit", answers)


# --- ASRS v1.1 (Kessler 2005 shaded boxes) --------------------------------------------


def test_asrs_screener_four_shaded_answers_is_positive():
    answers = {"asrs-1": "sometimes", "asrs-2": "sometimes", "asrs-3": "sometimes"}
    answers |= {"asrs-4": "often", "asrs-5": "rarely", "asrs-6": "never"}
    result = score("asrs_screener", answers)
    assert (result.total, result.is_positive, result.band) == (4, True, "positive")
    assert result.subscales == {"part_a_positive": 4, "frequency_sum": 2 + 2 + 2 + 3 + 1}


def test_asrs_items_4_to_6_need_often_to_count():
    answers = {f"asrs-{n}": "sometimes" for n in range(1, 7)}
    result = score("asrs_screener", answers)
    assert (result.total, result.is_positive) == (3, False)


def test_asrs_18_screen_uses_the_part_a_positive_count():
    answers = {f"asrs-{n}": 4 for n in range(1, 19)} | {"asrs-5": 0, "asrs-6": 0, "asrs-4": 0}
    result = score("asrs_18", answers)
    assert result.subscales["part_a_positive"] == 3
    assert result.is_positive is False
    assert result.subscales["part_b_positive"] == 12


# --- DAST-10 (Skinner 1982; item 3 reversed) ------------------------------------------


def test_dast10_item_3_no_scores_one():
    answers = {f"dast-{n}": "no" for n in range(1, 11)}
    result = score("dast10", answers)
    assert (result.total, result.band) == (1, "low")


def test_dast10_item_3_yes_scores_zero():
    answers = {f"dast-{n}": "no" for n in range(1, 11)} | {"dast-3": "yes"}
    assert score("dast10", answers).total == 0


def test_dast10_does_not_accept_numbers_for_yes_no():
    answers = {f"dast-{n}": "no" for n in range(1, 11)} | {"dast-3": 1}
    with pytest.raises(InvalidAnswer, match="dast-3"):
        score("dast10", answers)


# --- CIWA-Ar (ASAM 2020 example bands) ------------------------------------------------


def test_ciwa_19_is_severe_and_critical():
    answers = {f"ciwa-{n}": 2 for n in range(1, 11)} | {"ciwa-1": 3}
    result = score("ciwa_ar", answers)
    assert (result.total, result.band) == (21, "severe")
    assert "ciwa-total-severe" in [f.rule_id for f in result.critical]


def test_ciwa_visual_hallucinations_flag_the_item():
    answers = {f"ciwa-{n}": 0 for n in range(1, 11)} | {"ciwa-8": 4}
    result = score("ciwa_ar", answers)
    assert result.band == "mild"
    assert result.critical_items == ("ciwa-8",)


def test_ciwa_orientation_above_4_is_out_of_range():
    answers = {f"ciwa-{n}": 0 for n in range(1, 11)} | {"ciwa-10": 5}
    with pytest.raises(InvalidAnswer, match="ciwa-10"):
        score("ciwa_ar", answers)


# --- C-SSRS screener (Lighthouse triage) ----------------------------------------------


def cssrs(**yes: bool) -> dict:
    base = {"cssrs-1": "no", "cssrs-2": "no", "cssrs-6": "no"}
    return base | {k.replace("_", "-"): ("yes" if v else "no") for k, v in yes.items()}


def test_cssrs_wish_to_be_dead_only_is_low_risk():
    result = score("cssrs", cssrs(cssrs_1=True))
    assert (result.band, result.total, result.is_critical) == ("low", 1, False)


def test_cssrs_method_is_moderate_and_critical():
    answers = cssrs(cssrs_1=True, cssrs_2=True, cssrs_3=True, cssrs_4=False, cssrs_5=False)
    result = score("cssrs", answers)
    assert (result.band, result.total) == ("moderate", 3)
    assert result.critical_items == ("cssrs-3",)


def test_cssrs_intent_is_high_risk():
    answers = cssrs(cssrs_2=True, cssrs_3=False, cssrs_4=True, cssrs_5=False)
    assert score("cssrs", answers).band == "high"


def test_cssrs_old_behaviour_is_moderate_recent_is_high():
    old = score("cssrs", cssrs(cssrs_6=True, cssrs_6a=False))
    recent = score("cssrs", cssrs(cssrs_6=True, cssrs_6a=True))
    assert (old.band, recent.band) == ("moderate", "high")
    assert "cssrs-6a" in recent.critical_items


def test_cssrs_no_endorsement_is_no_risk():
    result = score("cssrs", cssrs())
    assert (result.band, result.total, result.is_positive) == ("none", 0, False)


def test_cssrs_item_3_is_not_asked_when_item_2_is_no():
    with pytest.raises(InvalidAnswer) as exc:
        score("cssrs", cssrs(cssrs_3=True))
    assert exc.value.item_id == "cssrs-3"


def test_cssrs_item_3_is_required_when_item_2_is_yes():
    with pytest.raises(InvalidAnswer) as exc:
        score("cssrs", cssrs(cssrs_2=True))
    assert exc.value.item_id == "cssrs-3"


def test_cssrs_accepts_booleans_for_yes_no():
    answers = {"cssrs-1": True, "cssrs-2": False, "cssrs-6": False}
    assert score("cssrs", answers).band == "low"


# --- craving NRS, SOWS, LDQ, KDS ------------------------------------------------------


def test_craving_nrs_scores_the_rating():
    result = score("craving_nrs", {"craving-1": 7, "craving-substance": "kratom"})
    assert (result.total, result.band) == (7, None)


def test_craving_nrs_rejects_11():
    with pytest.raises(InvalidAnswer, match="0 to 10"):
        score("craving_nrs", {"craving-1": 11})


def test_sows_urge_to_use_is_reported_separately():
    answers = {f"sows-{n}": 1 for n in range(1, 17)} | {"sows-16": 4}
    result = score("sows", answers)
    assert (result.total, result.critical_items) == (19, ("sows-16",))


def test_ldq_sums_ten_items_to_30():
    answers = {f"ldq-{n}": "nearly-always" for n in range(1, 11)}
    assert score("ldq_kratom", answers).total == 30


def test_kds_cannot_be_scored_until_a_program_supplies_it():
    with pytest.raises(InvalidInput, match="draft"):
        score("kds", {})


# --- missing-item rule (only where published) -----------------------------------------


def _prorating_phq9():
    inst = get_instrument("phq9")
    raw = inst.scoring.model_dump()
    raw["missing_items"] = {
        "rule": "prorate",
        "max_missing": 1,
        "citation": raw["citations"][0],
    }
    return build_instrument(inst.questionnaire, InstrumentScoring.model_validate(raw))


def test_published_prorating_scales_the_mean_and_reports_it():
    answers = phq9(2, 2, 2, 2, 2, 2, 2, 1, 0)
    del answers["phq9-9"]
    result = score(_prorating_phq9(), answers)
    assert result.total == 17  # 15 / 8 x 9 = 16.9 -> 17
    assert result.completeness == pytest.approx(8 / 9)
    assert "prorated" in result.notes[0]


def test_prorating_stops_at_the_published_maximum():
    answers = phq9(2, 2, 2, 2, 2, 2, 2, 1, 0)
    del answers["phq9-9"], answers["phq9-8"]
    with pytest.raises(InvalidAnswer, match="2 required items"):
        score(_prorating_phq9(), answers)


# --- reliable and clinically significant change ---------------------------------------


def test_phq9_drop_of_7_is_reliable_but_not_recovery_when_still_above_10():
    change = reliable_change("phq9", 18, 11)
    assert change.method == "published_threshold"
    assert change.is_reliable_improvement
    assert not change.crossed_cutoff
    assert not change.is_clinically_significant_improvement
    assert change.meets_mcid is True


def test_phq9_18_to_8_is_clinically_significant_improvement():
    change = reliable_change("phq9", 18, 8)
    assert change.is_clinically_significant_improvement


def test_phq9_rise_of_4_is_not_reliable_deterioration():
    change = reliable_change("phq9", 10, 14)
    assert not change.is_reliable_deterioration
    assert change.meets_mcid is False


def test_gad7_rise_of_4_is_reliable_deterioration():
    assert reliable_change("gad7", 6, 10).is_reliable_deterioration


def test_ldq_jacobson_truax_with_a_reference_sd():
    change = reliable_change("ldq_kratom", 20, 15, sd=6.0)
    # S_diff = sqrt(2) * 6 * sqrt(1 - 0.95) = 1.897; RCI = -5 / 1.897 = -2.64
    assert change.method == "jacobson_truax"
    assert change.rci == pytest.approx(-2.635, abs=0.01)
    assert change.is_reliable_improvement


def test_ldq_without_an_sd_has_no_reliable_change():
    change = reliable_change("ldq_kratom", 20, 10)
    assert change.method == "unavailable"
    assert not change.is_reliable_improvement


def test_reliable_change_accepts_scores():
    before = score("phq9", phq9(3, 3, 3, 3, 2, 2, 2, 2, 0))
    after = score("phq9", phq9(1, 1, 1, 1, 0, 0, 0, 0, 0))
    assert reliable_change("phq9", before, after).change == -16


def test_reference_path_agrees_on_a_worked_example():
    inst = get_instrument("asrs_18")
    answers = {f"asrs-{n}": n % 5 for n in range(1, 19)}
    assert score(inst, answers) == score_reference(inst, answers)
