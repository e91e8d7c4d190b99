"""Evidence cards: one per claim (C1-C6) of the kratom/ADHD article, graded and cited."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.citations import Citation
from speciosa.clinical.evidence.sources import DATA_DIR, resolve_sources
from speciosa.clinical.knowledge import load_data_file


class Grade(StrEnum):
    """How far human clinical evidence supports the claim (reference notes, section 1)."""

    SUPPORTED = "supported"
    PARTLY_SUPPORTED = "partly_supported"
    UNSUPPORTED = "unsupported"
    CONTRADICTED = "contradicted"


class CardEntry(BaseModel):
    """One card as written in ``data/cards.yaml`` (sources by id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^C[0-9]+$")
    version: int = Field(ge=1)
    claim: str
    grade: Grade
    grade_text: str
    clinician_summary: str
    patient_summary: str
    sources: list[str] = Field(min_length=1)


class EvidenceCard(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int
    claim: str
    grade: Grade
    grade_text: str
    clinician_summary: str
    patient_summary: str
    citations: tuple[Citation, ...]

    def texts(self) -> list[str]:
        """Every human-readable string on the card (for the no-promotion scan)."""
        return [self.claim, self.grade_text, self.clinician_summary, self.patient_summary]


@cache
def load_cards(path: Path = DATA_DIR / "cards.yaml") -> dict[str, EvidenceCard]:
    raw = load_data_file(path)
    cards: dict[str, EvidenceCard] = {}
    for item in raw["cards"]:
        entry = CardEntry.model_validate(item)
        if entry.id in cards:
            raise ValueError(f"duplicate evidence card id {entry.id}")
        cards[entry.id] = EvidenceCard(
            **entry.model_dump(exclude={"sources"}),
            citations=resolve_sources(entry.sources, owner=entry.id),
        )
    return cards


def get_card(card_id: str) -> EvidenceCard:
    return load_cards()[card_id]
