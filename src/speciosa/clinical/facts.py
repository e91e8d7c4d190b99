"""The typed facts about one patient that every clinical decision reads.

The Django layer builds a ``PatientFacts`` from the database (one query per kind, no
N+1); the safety engine, objective evaluation, study eligibility and outcome measures
all read it. Facts are plain frozen dataclasses: cheap to build in bulk, easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    INTERSEX = "intersex"
    UNKNOWN = "unknown"


class Substance(StrEnum):
    KRATOM = "kratom"
    FENTANYL = "fentanyl"
    HEROIN = "heroin"
    PRESCRIPTION_OPIOID = "prescription_opioid"
    ALCOHOL = "alcohol"
    METHAMPHETAMINE = "methamphetamine"
    COCAINE = "cocaine"
    PRESCRIPTION_STIMULANT = "prescription_stimulant"
    BENZODIAZEPINE = "benzodiazepine"
    GABAPENTINOID = "gabapentinoid"
    CANNABIS = "cannabis"
    NICOTINE = "nicotine"
    OTHER = "other"

    @property
    def is_opioid(self) -> bool:
        return self in {Substance.FENTANYL, Substance.HEROIN, Substance.PRESCRIPTION_OPIOID}

    @property
    def is_stimulant(self) -> bool:
        return self in {
            Substance.METHAMPHETAMINE,
            Substance.COCAINE,
            Substance.PRESCRIPTION_STIMULANT,
        }


class KratomForm(StrEnum):
    LEAF_POWDER = "leaf_powder"
    CAPSULES = "capsules"
    EXTRACT_SHOT = "extract_shot"  # liquid extract or "kratom shot"
    SEVEN_OH = "seven_oh"  # 7-hydroxymitragynine product
    OTHER = "other"


class Route(StrEnum):
    ORAL = "oral"
    SMOKED = "smoked"
    INHALED = "inhaled"
    INTRANASAL = "intranasal"
    INJECTED = "injected"
    SUBLINGUAL = "sublingual"
    TRANSDERMAL = "transdermal"
    INTRAMUSCULAR = "intramuscular"
    OTHER = "other"


class LabMethod(StrEnum):
    IMMUNOASSAY = "immunoassay"
    LCMS = "lc_ms_ms"  # confirmatory: the only routine way to detect mitragynine
    GCMS = "gc_ms"
    POINT_OF_CARE = "point_of_care"
    CHEMISTRY = "chemistry"  # serum chemistry (liver panel)


class MedicationStatus(StrEnum):
    ORDERED = "ordered"  # ordered, not yet started (e.g. XR-naltrexone scheduled)
    ACTIVE = "active"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SubstanceUseFact:
    substance: Substance
    last_use: datetime | None = None
    # kratom-specific
    kratom_form: KratomForm | None = None
    grams_per_day: Decimal | None = None
    doses_per_day: int | None = None
    years_of_use: Decimal | None = None
    # other substances
    amount: Decimal | None = None
    unit: str = ""
    route: Route | None = None
    frequency: str = ""
    is_current: bool = True


@dataclass(frozen=True, slots=True)
class MedicationFact:
    name: str  # generic name, lower case (e.g. "atomoxetine")
    rxnorm: str | None = None
    dose: Decimal | None = None
    unit: str = ""
    route: Route | None = None
    frequency: str = ""
    status: MedicationStatus = MedicationStatus.ACTIVE
    start: datetime | None = None
    stop: datetime | None = None

    @property
    def is_current(self) -> bool:
        return self.status in {MedicationStatus.ACTIVE, MedicationStatus.ORDERED}


@dataclass(frozen=True, slots=True)
class DiagnosisFact:
    icd10: str  # e.g. "F11.20"
    text: str = ""
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class LabFact:
    analyte: str  # stable code, e.g. "ALT", "AST", "BILIRUBIN_TOTAL", "MITRAGYNINE"
    collected_at: datetime
    value: float | None = None  # numeric result
    result: str = ""  # qualitative: "positive" / "negative" / "" when numeric
    unit: str = ""
    ref_low: float | None = None
    ref_high: float | None = None  # upper limit of normal (ULN) for liver tests
    method: LabMethod = LabMethod.CHEMISTRY
    loinc: str | None = None

    @property
    def times_uln(self) -> float | None:
        if self.value is None or not self.ref_high:
            return None
        return self.value / self.ref_high


@dataclass(frozen=True, slots=True)
class ScoreFact:
    instrument_id: str  # e.g. "phq9", "cows"
    at: datetime
    total: float
    band: str = ""
    items: dict[str, int] = field(default_factory=dict)  # item linkId -> value
    critical_items: tuple[str, ...] = ()  # linkIds that triggered a critical flag
    is_positive: bool | None = None  # screens: positive / negative
    subscales: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventFact:
    """Something that happened or was scheduled: a CBT session, a visit, a plan review."""

    kind: str  # e.g. "session:cbt"
    at: datetime
    status: str  # "attended" / "missed" / "cancelled" / "scheduled"


@dataclass(frozen=True, slots=True)
class PatientFacts:
    patient_key: str
    as_of: datetime
    birth_date: date | None = None
    sex_at_birth: Sex = Sex.UNKNOWN
    is_pregnant: bool | None = None
    substances: tuple[SubstanceUseFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    diagnoses: tuple[DiagnosisFact, ...] = ()
    labs: tuple[LabFact, ...] = ()
    scores: tuple[ScoreFact, ...] = ()  # oldest first
    events: tuple[EventFact, ...] = ()
    study_arms: tuple[str, ...] = ()  # research arms the patient is allocated to

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = self.as_of.date()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday

    def kratom_use(self) -> SubstanceUseFact | None:
        for use in self.substances:
            if use.substance is Substance.KRATOM and use.is_current:
                return use
        return None

    def scores_for(self, instrument_id: str) -> list[ScoreFact]:
        return [s for s in self.scores if s.instrument_id == instrument_id]

    def latest_score(self, instrument_id: str) -> ScoreFact | None:
        matching = self.scores_for(instrument_id)
        return matching[-1] if matching else None

    def has_diagnosis(self, prefix: str) -> bool:
        return any(d.is_active and d.icd10.startswith(prefix) for d in self.diagnoses)
