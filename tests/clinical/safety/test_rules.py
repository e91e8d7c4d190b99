"""Each rule fires for its positive case and stays silent for its near-miss."""

import pytest

from speciosa.clinical.safety.engine import evaluate, evaluate_each_rule
from speciosa.clinical.safety.rules import load_rules
from tests.clinical.safety.cases import CASES


def _ids(findings) -> set[str]:
    return {f.rule_id for f in findings}


def test_every_rule_has_cases():
    assert {r.id for r in load_rules()} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_positive_case(rule_id):
    positive, _ = CASES[rule_id]
    assert rule_id in _ids(evaluate(positive))


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_silent_on_negative_case(rule_id):
    _, negative = CASES[rule_id]
    assert rule_id not in _ids(evaluate(negative))


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_naive_baseline_agrees_on_cases(rule_id):
    for facts in CASES[rule_id]:
        assert evaluate(facts) == evaluate_each_rule(facts)
