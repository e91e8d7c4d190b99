"""Validated instruments as FHIR Questionnaires with cited scoring blocks (see catalog.py)."""

from speciosa.clinical.instruments.catalog import (
    Instrument,
    get_instrument,
    load_catalog,
    questionnaire_for_display,
)
from speciosa.clinical.instruments.scoring import (
    ChangeAssessment,
    CriticalFlag,
    Score,
    reliable_change,
    score,
)

__all__ = [
    "ChangeAssessment",
    "CriticalFlag",
    "Instrument",
    "Score",
    "get_instrument",
    "load_catalog",
    "questionnaire_for_display",
    "reliable_change",
    "score",
]
