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


# the answer value key of each item kind (choice answers are valueCoding, read by code)
_VALUE_KEYS = {"choice": "valueCoding", "integer": "valueInteger", "string": "valueString"}


def stored_answers(
    resource: Mapping[str, Any], instrument: Instrument | None = None
) -> dict[str, Any]:
    """linkId -> answer of a stored QuestionnaireResponse: the inverse of
    ``build_questionnaire_response``, in the form ``score`` accepts back (option code,
    integer or text), so re-scoring the answers gives the stored score.

    With ``instrument``, each item's kind decides what is read: a choice item gives its
    option code (never the item score: yes/no weights can be reversed), an integer item
    its number. An item the instrument no longer has (or an answer of another shape) is
    read by the answer's own shape, so nothing is dropped: scoring then names the item.
    """
    out: dict[str, Any] = {}
    for entry in resource.get("item", ()):
        answer = entry["answer"][0]
        item = instrument.items.get(entry["linkId"]) if instrument else None
        key = _VALUE_KEYS.get(item.kind, "") if item else ""
        if key not in answer:
            key = "valueCoding" if "valueCoding" in answer else next(iter(answer))
        value = answer[key]
        out[entry["linkId"]] = value["code"] if key == "valueCoding" else value
    return out
