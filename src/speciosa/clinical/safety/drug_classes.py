"""Drug-class knowledge (``data/drug_classes.yaml``): which classes a medication belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from speciosa.clinical.citations import Citation
from speciosa.clinical.evidence.sources import resolve_sources
from speciosa.clinical.facts import MedicationFact
from speciosa.clinical.knowledge import load_data_file

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class DrugClass:
    id: str
    label: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class DrugClassBook:
    classes: dict[str, DrugClass]
    by_name: dict[str, frozenset[str]]  # generic name or alias -> class ids
    by_rxnorm: dict[str, frozenset[str]]

    def classes_of(self, medication: MedicationFact) -> frozenset[str]:
        """Class ids of one medication; unknown drugs belong to no class."""
        found = self.by_name.get(medication.name.strip().lower())
        if found is None and medication.rxnorm:
            found = self.by_rxnorm.get(medication.rxnorm)
        return found or frozenset()


@cache
def load_drug_classes(path: Path = DATA_DIR / "drug_classes.yaml") -> DrugClassBook:
    raw: dict[str, Any] = load_data_file(path)
    classes = {
        key: DrugClass(
            id=key,
            label=str(value["label"]),
            citations=resolve_sources(list(value["sources"]), owner=f"class {key}"),
        )
        for key, value in raw["classes"].items()
    }
    by_name: dict[str, frozenset[str]] = {}
    by_rxnorm: dict[str, frozenset[str]] = {}
    for name, entry in raw["drugs"].items():
        member_of = frozenset(entry.get("classes", []))
        unknown = member_of - classes.keys()
        if unknown:
            raise ValueError(f"drug {name}: unknown class(es) {sorted(unknown)}")
        for alias in [name, *entry.get("aliases", [])]:
            by_name[str(alias).lower()] = member_of
        if entry.get("rxnorm"):
            by_rxnorm[str(entry["rxnorm"])] = member_of
    return DrugClassBook(classes=classes, by_name=by_name, by_rxnorm=by_rxnorm)
