"""Builders for synthetic patient trajectories (pure; no database)."""

from datetime import UTC, date, datetime, timedelta

from speciosa.clinical.facts import EventFact, LabFact, LabMethod, PatientFacts, ScoreFact

START = date(2026, 1, 5)


def at(day: int, hour: int = 10) -> datetime:
    """``day`` days after START, at ``hour``:00 UTC."""
    return datetime(START.year, START.month, START.day, hour, tzinfo=UTC) + timedelta(days=day)


def scores(instrument_id: str, values: list[float], every_days: int = 1, first_day: int = 0):
    return tuple(
        ScoreFact(instrument_id=instrument_id, at=at(first_day + i * every_days), total=v)
        for i, v in enumerate(values)
    )


def urine(analyte: str, results: list[str], method: LabMethod = LabMethod.IMMUNOASSAY):
    return tuple(
        LabFact(analyte=analyte, collected_at=at(7 * i + 1), result=r, method=method)
        for i, r in enumerate(results)
    )


def sessions(statuses: list[str], kind: str = "session:cbt"):
    return tuple(EventFact(kind=kind, at=at(7 * i + 2), status=s) for i, s in enumerate(statuses))


def facts(as_of_day: int = 30, **fields) -> PatientFacts:
    return PatientFacts(patient_key="p1", as_of=at(as_of_day, 23), **fields)
