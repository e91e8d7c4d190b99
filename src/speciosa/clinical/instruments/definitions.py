"""The scoring block of an instrument: the typed model of ``data/<id>.scoring.yaml``.

The FHIR ``Questionnaire`` (``data/<id>.json``) says *what is asked* and the weight of each
answer (``ordinalValue``/``itemWeight`` extensions). The sibling scoring file says *how the
answers become a result*: total rule, bands, screen cut-off, critical items, subscales,
missing-item rule, reliable change, licence and citations. Every cut-off carries a
citation; the validators below refuse a file where one is missing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from speciosa.clinical.citations import Citation


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TotalRule(StrEnum):
    SUM = "sum"  # sum of answer weights
    COUNT_AT_LEAST = "count_at_least"  # number of items at/above a per-item threshold
    HIGHEST_ENDORSED = "highest_endorsed"  # position (1-based) of the last item answered > 0
    NONE = "none"  # not scorable (draft instrument)


class LicenceStatus(StrEnum):
    OPEN = "open"
    OPEN_WITH_NOTICE = "open_with_notice"
    NON_COMMERCIAL = "non_commercial"
    RESTRICTED = "restricted"
    UNKNOWN = "unknown"


class AdministeredBy(StrEnum):
    CLINICIAN = "clinician"
    SELF_REPORT = "self_report"
    EITHER = "either"


class Total(_Frozen):
    rule: TotalRule
    items: list[str] | None = None  # default: every required item with weights
    thresholds: dict[str, float] | None = None  # count_at_least: item -> minimum weight
    min: float
    max: float

    @model_validator(mode="after")
    def _check(self) -> Total:
        if self.rule is TotalRule.COUNT_AT_LEAST and not self.thresholds:
            raise ValueError("count_at_least needs thresholds")
        if self.min > self.max:
            raise ValueError("total min is above max")
        return self


class Subscale(_Frozen):
    id: str
    label: str
    rule: TotalRule
    items: list[str] | None = None
    thresholds: dict[str, float] | None = None

    @model_validator(mode="after")
    def _check(self) -> Subscale:
        if self.rule is TotalRule.COUNT_AT_LEAST and not self.thresholds:
            raise ValueError(f"subscale {self.id}: count_at_least needs thresholds")
        if self.rule is TotalRule.SUM and not self.items:
            raise ValueError(f"subscale {self.id}: sum needs items")
        return self


class Band(_Frozen):
    id: str
    label: str
    min: float
    max: float


class Bands(_Frozen):
    citation: Citation
    items: list[Band] = Field(min_length=1)


class RiskLevel(_Frozen):
    id: str
    label: str
    any_of: list[str]  # items; the level applies when any of them is answered > 0


class RiskDefault(_Frozen):
    id: str
    label: str


class RiskLevels(_Frozen):
    """Bands decided by which items were endorsed (first matching level wins)."""

    citation: Citation
    levels: list[RiskLevel] = Field(min_length=1)
    default: RiskDefault


class Screen(_Frozen):
    score: str = "total"  # what the cut-off applies to: "total" or a subscale id
    at_least: float | None = None
    by_sex: dict[Literal["male", "female"], float] | None = None
    default: float | None = None  # sex unknown/other: this threshold, plus a review note
    citation: Citation

    @model_validator(mode="after")
    def _check(self) -> Screen:
        if self.at_least is None and self.by_sex is None:
            raise ValueError("screen needs at_least or by_sex")
        if self.by_sex is not None and self.default is None:
            raise ValueError("a sex-specific screen needs a default threshold")
        return self


class Basis(StrEnum):
    PUBLISHED = "published"  # stated by the source
    CONVENTION = "convention"  # clinical convention; the citation is context


class CriticalRule(_Frozen):
    id: str
    message: str
    item: str | None = None
    at_least: float | None = None  # item weight at or above which the flag is raised
    total_at_least: float | None = None
    basis: Basis
    citation: Citation

    @model_validator(mode="after")
    def _check(self) -> CriticalRule:
        by_item = self.item is not None and self.at_least is not None
        by_total = self.total_at_least is not None
        if by_item == by_total:
            raise ValueError(f"critical rule {self.id}: give item+at_least or total_at_least")
        return self


class MissingItems(_Frozen):
    rule: Literal["none", "prorate"]
    max_missing: int = 0
    citation: Citation | None = None

    @model_validator(mode="after")
    def _check(self) -> MissingItems:
        # Prorating changes the result, so it is only allowed where a source publishes it.
        if self.rule == "prorate" and (self.citation is None or self.max_missing < 1):
            raise ValueError("prorating needs a published source (citation) and max_missing >= 1")
        return self


class ReliableChange(_Frozen):
    """Either a published threshold (points) or the inputs of the Jacobson-Truax RCI."""

    threshold: float | None = None
    sd: float | None = None
    reliability: float | None = Field(None, gt=0, lt=1)
    reliability_kind: Literal["alpha", "test_retest"] | None = None
    citation: Citation

    @model_validator(mode="after")
    def _check(self) -> ReliableChange:
        if self.threshold is None and self.reliability is None:
            raise ValueError("reliable_change needs a threshold or a reliability")
        return self


class ClinicalChange(_Frozen):
    cutoff: float | None = None  # caseness cut-off: recovery = moving from >= cutoff to below
    mcid: float | None = None  # minimal clinically important difference, in points
    citation: Citation


class Licence(_Frozen):
    status: LicenceStatus
    wording_bundled: bool
    notice: str
    url: str | None = None


class Loinc(_Frozen):
    panel: str | None = None
    total: str | None = None
    note: str = ""


class InstrumentScoring(_Frozen):
    id: str
    version: int
    title: str
    short_name: str
    status: Literal["active", "draft"]
    recall_period: str
    administered_by: AdministeredBy
    direction: Literal["higher_is_worse"]
    loinc: Loinc
    total: Total
    subscales: list[Subscale] = []
    missing_items: MissingItems
    bands: Bands | None = None
    risk_levels: RiskLevels | None = None
    screen: Screen | None = None
    critical: list[CriticalRule] = []
    reliable_change: ReliableChange | None = None
    clinical_change: ClinicalChange | None = None
    licence: Licence
    citations: list[Citation] = Field(min_length=1)
    unverified: list[str] = []

    @model_validator(mode="after")
    def _check(self) -> InstrumentScoring:
        if self.bands is not None:
            check_bands_partition(self.bands.items, self.total.min, self.total.max)
        if self.bands is not None and self.risk_levels is not None:
            raise ValueError("use bands or risk_levels, not both")
        subscale_ids = {s.id for s in self.subscales}
        if self.screen is not None and self.screen.score not in subscale_ids | {"total"}:
            raise ValueError(
                f"screen.score {self.screen.score!r} is neither 'total' nor a subscale"
            )
        return self


def check_bands_partition(bands: list[Band], low: float, high: float) -> None:
    """Bands must cover [low, high] on whole points, in order, with no gap or overlap."""
    expected = low
    for band in bands:
        if band.min != expected:
            raise ValueError(f"band {band.id} starts at {band.min}, expected {expected}")
        if band.max < band.min:
            raise ValueError(f"band {band.id} ends before it starts")
        expected = band.max + 1
    if expected - 1 != high:
        raise ValueError(f"bands end at {expected - 1}, the total range ends at {high}")
