"""FHIR R4 QuestionnaireResponse for a scored set of answers (what ``measures`` stores)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from speciosa.clinical.instruments.catalog import Instrument


def _answer(instrument: Instrument, link_id: str, value: object) -> dict[str, Any]:
    item = instrument.items[link_id]
    if item.kind == "integer":
        return {"valueInteger": value}
    if item.kind == "string":
        return {"valueString": value}
    code = item.codes[value]
    option = next(o for o in item.options if o.code == code)
    return {"valueCoding": {"system": option.system, "code": code, "display": option.display}}


def build_questionnaire_response(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    patient_ref: str,
    authored: datetime,
    author_ref: str | None = None,
    response_id: str | None = None,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse. Precondition: ``answers`` were scored (valid)."""
    q = instrument.questionnaire
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{q['url']}|{q.get('version', '1')}",
        "status": "completed",
        "subject": {"reference": patient_ref},
        "authored": authored.isoformat(),
        "item": [
            {"linkId": link, "answer": [_answer(instrument, link, answers[link])]}
            for link in instrument.items
            if answers.get(link) is not None
        ],
    }
    if response_id:
        resource["id"] = response_id
    if author_ref:
        resource["author"] = {"reference": author_ref}
    return resource
