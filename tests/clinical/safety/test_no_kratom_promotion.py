"""No rule, card or message recommends starting or using kratom (DESIGN.md)."""

import re

from speciosa.clinical.evidence.cards import load_cards
from speciosa.clinical.safety.rules import load_rules

# verbs that would turn a sentence into advice to take kratom, up to two words before it
PROMOTION = re.compile(
    r"\b(start|starting|begin|take|taking|try|trying|use|using|recommend(?:ed|s)?|prescribe|"
    r"switch(?:ing)? to|add|adding|integrate|continue)\s+"
    r"(?:\w+\s+){0,2}(kratom|7-oh|mitragynine)\b",
    re.IGNORECASE,
)


def _knowledge_texts() -> list[tuple[str, str]]:
    texts = [(rule.id, text) for rule in load_rules() for text in rule.texts()]
    # The card's claim field quotes the article on purpose; the scan covers what Speciosa says.
    texts += [
        (card.id, text)
        for card in load_cards().values()
        for text in (card.grade_text, card.clinician_summary, card.patient_summary)
    ]
    return texts


def test_no_knowledge_text_recommends_kratom():
    offenders = [
        (owner, m.group(0))
        for owner, text in _knowledge_texts()
        for m in [PROMOTION.search(text)]
        if m
    ]
    assert offenders == []


def test_scan_catches_a_promotional_sentence():
    assert PROMOTION.search("Consider starting kratom 2 g daily for ADHD symptoms")
    assert PROMOTION.search("Patients may use kratom to ease withdrawal")
