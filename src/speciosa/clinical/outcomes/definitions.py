"""Typed, validated view of ``data/measures.yaml`` (the measure definitions).

Identifiers that end up inlined in SQL (ICD-10 prefixes, instrument ids, medication names,
discharge reasons) are checked against a strict pattern here, so the SQL builder only
ever inlines vetted literals; user-supplied filter values are always bound parameters.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file

DATA_FILE = Path(__file__).parent / "data" / "measures.yaml"
_SAFE = re.compile(r"^[A-Za-z0-9_.: -]+$")


def _safe_literal(value: str) -> str:
    if not _SAFE.match(value):
        raise ValueError(f"unsafe identifier in measure definitions: {value!r}")
    return value


SafeStr = Annotated[str, AfterValidator(_safe_literal)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiagnosisGroup(_Frozen):
    label: str
    icd10_prefixes: tuple[SafeStr, ...]
    requires_kratom_use: bool


class AgeBand(_Frozen):
    id: str
    low: int
    high: int


class CohortDefinition(_Frozen):
    id: str
    version: int
    description: str
    diagnosis_groups: dict[SafeStr, DiagnosisGroup]
    age_bands: tuple[AgeBand, ...]
    age_band_citation: Citation


class RetentionDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    event_discharge_reasons: tuple[SafeStr, ...]
    horizons_days: tuple[int, ...]
    citation: Citation
    rationale_citation: Citation


class WithdrawalDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    instrument: SafeStr
    no_withdrawal_below: float
    citation: Citation


class ChangeInstrument(_Frozen):
    id: SafeStr
    label: str
    reliable_change: float | None
    citation: Citation


class SymptomChangeDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    baseline_before_days: int
    baseline_after_days: int
    min_followup_gap_days: int
    instruments: tuple[ChangeInstrument, ...]
    method_citation: Citation


class KratomDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    baseline_after_days: int
    horizons_days: tuple[int, ...]
    window_days: int
    confirm_analytes: tuple[SafeStr, ...]
    confirm_methods: tuple[SafeStr, ...]
    citation: Citation
    missing_citation: Citation


class AdhdCareDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    instrument: SafeStr
    screen_before_days: int
    assessment_icd10_prefixes: tuple[SafeStr, ...]
    assessment_event_kinds: tuple[SafeStr, ...]
    completed_event_statuses: tuple[SafeStr, ...]
    plan_event_kinds: tuple[SafeStr, ...]
    plan_event_statuses: tuple[SafeStr, ...]
    plan_medications: tuple[SafeStr, ...]
    citation: Citation
    medication_citation: Citation


class MoudDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    icd10_prefixes: tuple[SafeStr, ...]
    medications: tuple[SafeStr, ...]
    statuses: tuple[SafeStr, ...]
    citation: Citation


class AlertsDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    severities: tuple[SafeStr, ...]
    citation: Citation


class MbcDefinition(_Frozen):
    id: str
    version: int
    label: str
    description: str
    citation: Citation
    schedule_citation: Citation


class MeasureSet(_Frozen):
    retention: RetentionDefinition
    withdrawal: WithdrawalDefinition
    symptom_change: SymptomChangeDefinition
    kratom: KratomDefinition
    adhd_care: AdhdCareDefinition
    moud: MoudDefinition
    alerts: AlertsDefinition
    mbc_fidelity: MbcDefinition


class StatisticsDefinition(_Frozen):
    confidence: float
    proportion_ci: Citation
    difference_ci: Citation
    small_cell_threshold: int
    small_cell_citation: Citation


class OutcomeDefinitions(_Frozen):
    version: int
    cohort: CohortDefinition
    measures: MeasureSet
    statistics: StatisticsDefinition

    def citations(self) -> list[tuple[str, Citation]]:
        """Every citation in the file, labelled by where it is used (for docs and PDF)."""
        found: list[tuple[str, Citation]] = [("age bands", self.cohort.age_band_citation)]
        for name, measure in self.measures:
            for field_name, value in measure:
                if isinstance(value, Citation):
                    found.append((f"{name}.{field_name}", value))
            if isinstance(measure, SymptomChangeDefinition):
                found.extend((f"{name}.{i.id}", i.citation) for i in measure.instruments)
        stats = self.statistics
        found += [
            ("proportion CI", stats.proportion_ci),
            ("difference CI", stats.difference_ci),
            ("small cells", stats.small_cell_citation),
        ]
        return found


@cache
def load_definitions(path: Path = DATA_FILE) -> OutcomeDefinitions:
    return OutcomeDefinitions.model_validate(load_data_file(path))
