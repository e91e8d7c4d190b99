"""Safety rules as cited data (``data/rules/*.yaml``), validated when they load."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.citations import Citation
from speciosa.clinical.evidence.cards import load_cards
from speciosa.clinical.evidence.sources import resolve_sources
from speciosa.clinical.knowledge import data_files, load_data_file
from speciosa.clinical.safety.conditions import Clauses, Condition, parse_condition

RULES_DIR = Path(__file__).parent / "data" / "rules"


class Severity(StrEnum):
    """critical = death/emergency risk, escalate; high = prescriber review first;
    moderate = monitor/adjust; info = document/educate (reference notes, section 2)."""

    CRITICAL = "critical"
    HIGH = "high"
    MODERATE = "moderate"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe, so sorting by rank puts critical first."""
        return _RANK[self]


_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MODERATE: 2, Severity.INFO: 3}


class RuleEntry(BaseModel):
    """One rule as written in the YAML (sources and cards by id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    version: int = Field(ge=1)
    severity: Severity
    title: str
    when: dict[str, Any]
    message: str
    rationale: str
    action: str
    citations: list[str] = Field(min_length=1)
    evidence_cards: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    version: int
    severity: Severity
    title: str
    condition: Condition
    message: str
    rationale: str
    action: str
    citations: tuple[Citation, ...]
    evidence_cards: tuple[str, ...]
    required: Clauses  # index clauses: each needs one of its keys present (engine.py)

    def texts(self) -> list[str]:
        """Every human-readable string of the rule (for the no-promotion scan)."""
        return [self.title, self.message, self.rationale, self.action]


def build_rule(entry: RuleEntry) -> Rule:
    cards = load_cards()
    unknown_cards = [c for c in entry.evidence_cards if c not in cards]
    if unknown_cards:
        raise ValueError(f"{entry.id}: unknown evidence card(s) {unknown_cards}")
    condition = parse_condition(entry.when, where=entry.id)
    return Rule(
        id=entry.id,
        version=entry.version,
        severity=entry.severity,
        title=entry.title,
        condition=condition,
        message=entry.message.strip(),
        rationale=entry.rationale.strip(),
        action=entry.action.strip(),
        citations=resolve_sources(entry.citations, owner=entry.id),
        evidence_cards=tuple(entry.evidence_cards),
        required=condition.required_clauses(),
    )


def load_rule_entries(folder: Path = RULES_DIR) -> list[RuleEntry]:
    entries: list[RuleEntry] = []
    for path in data_files(folder):
        raw = load_data_file(path)
        entries.extend(RuleEntry.model_validate(item) for item in raw["rules"])
    return entries


@cache
def load_rules(folder: Path = RULES_DIR) -> tuple[Rule, ...]:
    """All rules, sorted by id; duplicate ids are an error."""
    rules = [build_rule(entry) for entry in load_rule_entries(folder)]
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
    return tuple(sorted(rules, key=lambda r: r.id))


def get_rule(rule_id: str) -> Rule:
    for rule in load_rules():
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)
