"""Study stopping/safety rules: evaluated over per-arm SAE counts and subjects' labs.

Rules are data configured per study (``StoppingRule``); firing rules come back with a
reason and whether the study says to pause enrolment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from speciosa.clinical.facts import LabFact
from speciosa.clinical.research.safety_data import liver_thresholds


class SaeCountRule(BaseModel):
    """Fires when any arm has ``at_least`` serious adverse events."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["sae_count_in_arm"] = "sae_count_in_arm"
    id: str
    at_least: int = Field(ge=1)
    pause_enrolment: bool = True


class LiverInjuryRule(BaseModel):
    """Fires when any subject meets a liver-injury threshold (data/safety_reporting.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["liver_injury"] = "liver_injury"
    id: str
    pause_enrolment: bool = True


StoppingRule = Annotated[SaeCountRule | LiverInjuryRule, Field(discriminator="type")]


class _RuleList(BaseModel):
    rules: list[StoppingRule]


def parse_stopping_rules(raw: list[dict[str, object]]) -> list[SaeCountRule | LiverInjuryRule]:
    return list(_RuleList.model_validate({"rules": raw}).rules)


@dataclass(frozen=True, slots=True)
class SubjectLabs:
    subject_id: str  # study subject id (never the patient's name or MRN)
    arm: str
    labs: tuple[LabFact, ...]


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule_id: str
    reason: str
    pause_enrolment: bool
    arm: str | None = None
    subject_id: str | None = None
    citation: str = ""


def _ratio(labs: Sequence[LabFact], analyte: str) -> float | None:
    """Highest times-ULN of ``analyte`` among the labs (peak during the study)."""
    ratios = [r for lab in labs if lab.analyte == analyte and (r := lab.times_uln) is not None]
    return max(ratios) if ratios else None


def liver_signal(labs: Sequence[LabFact]) -> str | None:
    """The first liver-injury threshold met by the labs' peak values, or None.

    Simplification: peaks are compared, not same-draw values, so the check errs towards
    firing (a safety rule should).
    """
    transaminase = max(
        (r for r in (_ratio(labs, "ALT"), _ratio(labs, "AST")) if r is not None), default=None
    )
    if transaminase is None:
        return None
    bilirubin = _ratio(labs, "BILIRUBIN_TOTAL")
    for threshold in liver_thresholds():
        if transaminase <= threshold.aminotransferase_times_uln:
            continue
        if threshold.bilirubin_times_uln is None:
            return f"{threshold.text} (peak {transaminase:.1f}x ULN)"
        if bilirubin is not None and bilirubin > threshold.bilirubin_times_uln:
            return f"{threshold.text} (ALT/AST {transaminase:.1f}x, bilirubin {bilirubin:.1f}x)"
    return None


def evaluate_stopping_rules(
    rules: Sequence[SaeCountRule | LiverInjuryRule],
    *,
    sae_counts: Mapping[str, int],
    subjects: Sequence[SubjectLabs] = (),
) -> list[FiredRule]:
    fired: list[FiredRule] = []
    for rule in rules:
        if isinstance(rule, SaeCountRule):
            for arm, count in sorted(sae_counts.items()):
                if count >= rule.at_least:
                    fired.append(
                        FiredRule(
                            rule.id,
                            f"{count} serious adverse events in arm {arm} "
                            f"(rule: >= {rule.at_least})",
                            rule.pause_enrolment,
                            arm=arm,
                        )
                    )
        else:
            cite = liver_thresholds()[0].citation.short()
            for subject in subjects:
                signal = liver_signal(subject.labs)
                if signal:
                    fired.append(
                        FiredRule(
                            rule.id,
                            f"liver-injury signal in subject {subject.subject_id}: {signal}",
                            rule.pause_enrolment,
                            arm=subject.arm,
                            subject_id=subject.subject_id,
                            citation=cite,
                        )
                    )
    return fired
