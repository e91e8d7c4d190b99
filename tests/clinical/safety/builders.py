"""Plain builders for PatientFacts in pure safety tests (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from speciosa.clinical.facts import (
    DiagnosisFact,
    EventFact,
    KratomForm,
    LabFact,
    LabMethod,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    ScoreFact,
    Substance,
    SubstanceUseFact,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def patient(**fields) -> PatientFacts:
    return PatientFacts(patient_key=fields.pop("key", "p1"), as_of=NOW, **fields)


def kratom(
    grams: str = "20", form: KratomForm = KratomForm.LEAF_POWDER, hours_ago: float | None = 12
) -> SubstanceUseFact:
    return SubstanceUseFact(
        substance=Substance.KRATOM,
        kratom_form=form,
        grams_per_day=Decimal(grams),
        last_use=NOW - timedelta(hours=hours_ago) if hours_ago is not None else None,
    )


def uses(substance: Substance, hours_ago: float | None = 24) -> SubstanceUseFact:
    return SubstanceUseFact(
        substance=substance,
        last_use=NOW - timedelta(hours=hours_ago) if hours_ago is not None else None,
    )


def med(
    name: str, status: MedicationStatus = MedicationStatus.ACTIVE, rxnorm: str | None = None
) -> MedicationFact:
    return MedicationFact(name=name, status=status, rxnorm=rxnorm)


def lab(analyte: str, value: float, uln: float, days_ago: int = 1) -> LabFact:
    return LabFact(
        analyte=analyte, value=value, ref_high=uln, collected_at=NOW - timedelta(days=days_ago)
    )


def uds(result: str = "negative", analyte: str = "OPIATES") -> LabFact:
    return LabFact(
        analyte=analyte,
        result=result,
        method=LabMethod.IMMUNOASSAY,
        collected_at=NOW - timedelta(days=1),
    )


def mitragynine_confirmed() -> LabFact:
    return LabFact(
        analyte="MITRAGYNINE",
        result="positive",
        method=LabMethod.LCMS,
        collected_at=NOW - timedelta(days=1),
    )


def score(
    instrument: str,
    total: float = 0,
    *,
    items: dict[str, int] | None = None,
    band: str = "",
    positive: bool | None = None,
    days_ago: int = 0,
) -> ScoreFact:
    return ScoreFact(
        instrument_id=instrument,
        at=NOW - timedelta(days=days_ago),
        total=total,
        items=items or {},
        band=band,
        is_positive=positive,
    )


def dx(code: str, active: bool = True) -> DiagnosisFact:
    return DiagnosisFact(icd10=code, is_active=active)


def event(kind: str, status: str = "scheduled") -> EventFact:
    return EventFact(kind=kind, at=NOW + timedelta(days=3), status=status)


def with_(facts: PatientFacts, **changes) -> PatientFacts:
    return replace(facts, **changes)


# hypothesis strategy: medications of every class the rules know, plus an unknown one
medication_facts = st.builds(
    med,
    st.sampled_from(
        [
            "alprazolam",
            "atomoxetine",
            "naltrexone",
            "buprenorphine",
            "methadone",
            "adderall",
            "gabapentin",
            "oxycodone",
            "sertraline",
            "unknownium",
        ]
    ),
    st.sampled_from(list(MedicationStatus)),
)
