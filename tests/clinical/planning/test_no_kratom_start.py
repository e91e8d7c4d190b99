"""No template or intervention text recommends starting or using kratom.

Kratom may appear only as the patient's existing use going down (taper, abstinence
checks, psychoeducation). The scan covers every string in the planning data files and
every plan a pathway produces.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import yaml

from speciosa.clinical.facts import PatientFacts, Substance, SubstanceUseFact
from speciosa.clinical.planning.library import DATA, load_library
from speciosa.clinical.planning.objectives import KratomDoseAtMost
from speciosa.clinical.planning.templates import apply_pathway

VERBS = r"(start|starting|begin|initiate|initiating|take|taking|use|using|try|add|adding|"
VERBS += r"recommend|prescribe|switch to|increase|resume|continue|substitute)"
PROMOTING = [
    re.compile(VERBS + r"\s+(\w+\s+){0,2}kratom", re.IGNORECASE),
    re.compile(r"kratom\s+(is|as)\s+(a\s+)?(safe|treatment|therapy|medication|remedy)", re.I),
    re.compile(
        r"kratom\s+(for|to treat)\s+(adhd|withdrawal|craving|pain|anxiety|depression)", re.I
    ),
]
# allowed: "reduce existing kratom use", "stop kratom", "any kratom use continues"
ALLOWED_CONTEXT = re.compile(
    r"(never|not|no|don't|do not|avoid|stop|without)\s+(\w+\s+){0,3}$", re.IGNORECASE
)


def strings_in(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from strings_in(value)


def promoting_phrases(text: str) -> list[str]:
    found = []
    for pattern in PROMOTING:
        for match in pattern.finditer(text):
            before = text[: match.start()]
            if ALLOWED_CONTEXT.search(before[-40:]):
                continue
            # "while any kratom use continues" describes the patient, it does not advise
            if re.match(r"(continue|continues)\b", match.group(0), re.I):
                continue
            found.append(match.group(0))
    return found


def test_scanner_catches_a_promoting_sentence():
    assert promoting_phrases("Consider starting kratom for ADHD symptoms.")
    assert promoting_phrases("Kratom as treatment for withdrawal")
    assert not promoting_phrases("Never start kratom. Reduce existing use.")


def test_no_data_file_recommends_kratom():
    offending = []
    for path in sorted(Path(DATA).glob("*.yaml")):
        for text in strings_in(yaml.safe_load(path.read_text())):
            offending += [(path.name, phrase) for phrase in promoting_phrases(text)]
    assert offending == []


def test_no_applied_pathway_text_recommends_kratom_or_raises_a_kratom_target():
    facts = PatientFacts(
        patient_key="scan",
        as_of=datetime(2026, 3, 1, tzinfo=UTC),
        substances=(SubstanceUseFact(substance=Substance.KRATOM, grams_per_day=Decimal("30")),),
    )
    for pathway_id in load_library().pathways:
        document = apply_pathway(pathway_id, facts=facts, start=date(2026, 3, 1))
        texts = list(strings_in(document.model_dump(mode="json")))
        assert [p for t in texts for p in promoting_phrases(t)] == [], pathway_id
        for objective in document.objectives():
            if isinstance(objective.condition, KratomDoseAtMost):
                assert objective.condition.max_grams_per_day <= 30
        doses = [s.grams_per_day for s in document.taper]
        assert doses == sorted(doses, reverse=True)
