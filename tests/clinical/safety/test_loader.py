"""Knowledge files load, are cited, and reject conditions outside the language."""

import pytest

from speciosa.clinical.evidence.cards import Grade, load_cards
from speciosa.clinical.safety.conditions import InvalidCondition, parse_condition
from speciosa.clinical.safety.drug_classes import load_drug_classes
from speciosa.clinical.safety.rules import load_rules


def _has_locator(citation) -> bool:
    return bool(citation.doi or citation.pmid or citation.url)


def test_every_rule_has_a_citation_with_a_locator():
    for rule in load_rules():
        assert rule.citations, rule.id
        assert all(_has_locator(c) for c in rule.citations), rule.id


def test_every_card_has_a_citation_with_a_locator():
    cards = load_cards()
    assert sorted(cards) == ["C1", "C2", "C3", "C4", "C5", "C6"]
    for card in cards.values():
        assert card.citations and all(_has_locator(c) for c in card.citations), card.id


def test_rules_link_only_existing_cards():
    cards = load_cards()
    for rule in load_rules():
        assert set(rule.evidence_cards) <= set(cards), rule.id


def test_article_efficacy_claims_are_not_graded_supported():
    cards = load_cards()
    assert cards["C2"].grade is not Grade.SUPPORTED  # ADHD efficacy
    assert cards["C6"].grade is not Grade.SUPPORTED  # integration into rehab


def test_every_drug_class_has_a_citation():
    book = load_drug_classes()
    assert all(cls.citations for cls in book.classes.values())


def test_unknown_fact_is_rejected():
    with pytest.raises(InvalidCondition, match="unknown fact"):
        parse_condition({"fact": "kratom_vibes", "op": "is_true"}, where="t")


def test_operator_must_fit_the_type():
    with pytest.raises(InvalidCondition, match="has no operator"):
        parse_condition(
            {"fact": "kratom_grams_per_day", "op": "includes_any", "value": [1]}, where="t"
        )


def test_missing_params_are_rejected():
    with pytest.raises(InvalidCondition, match="needs params"):
        parse_condition({"fact": "score_total", "op": "gt", "value": 3}, where="t")


def test_numeric_operator_needs_a_number():
    with pytest.raises(InvalidCondition, match="needs a number"):
        parse_condition({"fact": "kratom_grams_per_day", "op": "gt", "value": "40"}, where="t")


def test_python_expressions_are_not_conditions():
    with pytest.raises(InvalidCondition):
        parse_condition({"eval": "__import__('os')"}, where="t")  # type: ignore[dict-item]
