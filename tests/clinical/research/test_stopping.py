from datetime import UTC, datetime

from speciosa.clinical.facts import LabFact
from speciosa.clinical.research.stopping import (
    SubjectLabs,
    evaluate_stopping_rules,
    liver_signal,
    parse_stopping_rules,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
RULES = parse_stopping_rules(
    [
        {"type": "sae_count_in_arm", "id": "sae3", "at_least": 3},
        {"type": "liver_injury", "id": "dili", "pause_enrolment": True},
    ]
)


def lab(analyte, times_uln):
    return LabFact(analyte=analyte, collected_at=NOW, value=40 * times_uln, ref_high=40)


def test_sae_rule_fires_at_threshold_in_that_arm():
    fired = evaluate_stopping_rules(RULES, sae_counts={"bup": 3, "taper": 2})
    assert [(f.rule_id, f.arm) for f in fired] == [("sae3", "bup")]
    assert fired[0].pause_enrolment is True


def test_sae_rule_quiet_below_threshold():
    assert evaluate_stopping_rules(RULES, sae_counts={"bup": 2, "taper": 2}) == []


def test_hys_law_signal_needs_bilirubin():
    assert liver_signal([lab("ALT", 4), lab("BILIRUBIN_TOTAL", 1.0)]) is None
    assert "bilirubin" in liver_signal([lab("ALT", 4), lab("BILIRUBIN_TOTAL", 2.5)])


def test_alt_above_8x_fires_alone():
    assert "8x" in liver_signal([lab("AST", 9)])


def test_liver_rule_names_the_subject_not_the_patient():
    subjects = [
        SubjectLabs("BVT-004", "bup", (lab("ALT", 9),)),
        SubjectLabs("BVT-005", "taper", (lab("ALT", 1),)),
    ]
    fired = evaluate_stopping_rules(RULES, sae_counts={}, subjects=subjects)
    assert [(f.rule_id, f.subject_id) for f in fired] == [("dili", "BVT-004")]
    assert "fda.gov" in fired[0].citation
