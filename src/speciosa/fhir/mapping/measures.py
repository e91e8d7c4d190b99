"""Questionnaire (instrument catalog), QuestionnaireResponse <-> measures.QuestionnaireResponse,
and score Observations <-> measures.Score.

POST QuestionnaireResponse goes through ``measures.services.record_response``: the answers
are validated and scored there, the Score is stored with it, and the safety engine runs
on ``patient_facts_changed`` in the same transaction.
"""

from typing import Any

from django.conf import settings
from django.db.models import Q

from speciosa.clinical.instruments import get_instrument
from speciosa.clinical.instruments.catalog import fhir_id, load_catalog, questionnaire_for_display
from speciosa.fhir.codesystems import CodeSystemDef, Concept, register_code_system
from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    LOINC,
    OBSERVATION_CATEGORY,
    concept,
    instant,
    invalid,
    meta,
    prune,
    read_datetime,
    ref,
)
from speciosa.fhir.mapping.subject import patient_for_write
from speciosa.fhir.registry import (
    NOTHING,
    ParamDoc,
    ResourceType,
    Source,
    add_source,
    register,
    register_catalog,
)
from speciosa.fhir.search import date_filter, token_parts
from speciosa.measures import services
from speciosa.measures.models import QuestionnaireResponse, Score

# Instruments about substance use or withdrawal: their answers and scores are Part 2 data.
SUBSTANCE_INSTRUMENTS = {
    "cows",
    "sows",
    "ciwa_ar",
    "audit",
    "audit_c",
    "dast10",
    "kds",
    "ldq_kratom",
    "craving_nrs",
}
SURVEY = [concept(OBSERVATION_CATEGORY, "survey", "Survey")]


def instrument_dir() -> str:
    return getattr(settings, "SPECIOSA_INSTRUMENT_DIR", "") or ""


def catalog() -> dict[str, Any]:
    return load_catalog(instrument_dir())


def instrument_scores() -> CodeSystemDef:
    return CodeSystemDef(
        name="instrument-score",
        title="Speciosa instrument total scores",
        description=(
            "Observation.code of an instrument's total score when LOINC has no code for "
            "it (e.g. COWS); the code is the instrument id. Scores with a LOINC total "
            "code carry that code first."
        ),
        concepts=tuple(Concept(i.id, i.title) for i in catalog().values()),
    )


register_code_system(instrument_scores())


def all_questionnaires() -> list[dict[str, Any]]:
    return [questionnaire_for_display(i, instrument_dir()) for i in catalog().values()]


register_catalog("Questionnaire", all_questionnaires)


def instrument_for_canonical(canonical: str) -> Any:
    url = canonical.split("|")[0]
    for instrument in catalog().values():
        if instrument.questionnaire.get("url") == url or url.endswith(
            f"Questionnaire/{fhir_id(instrument.id)}"
        ):
            return instrument
    raise invalid("QuestionnaireResponse.questionnaire", f"unknown Questionnaire {canonical!r}")


# --- QuestionnaireResponse -------------------------------------------------------------


def response_to_fhir(qr: QuestionnaireResponse) -> dict[str, Any]:
    resource = dict(qr.resource)
    resource["id"] = str(qr.uid)
    resource["meta"] = meta(qr, part2=qr.instrument_id in SUBSTANCE_INSTRUMENTS)
    resource["subject"] = ref("Patient", qr.patient.uid)
    resource["authored"] = instant(qr.authored_at)
    return resource


def answers_from(resource: dict[str, Any], instrument: Any) -> dict[str, Any]:
    """linkId -> answer value as ``score()`` accepts it (option code, integer, text)."""
    answers: dict[str, Any] = {}
    for i, item in enumerate(resource.get("item") or []):
        link = item.get("linkId")
        given = item.get("answer") or []
        if not given:
            continue
        if len(given) > 1:
            raise invalid(f"QuestionnaireResponse.item[{i}].answer", "one answer per item")
        answer = given[0]
        if "valueCoding" in answer:
            answers[link] = answer["valueCoding"].get("code")
        elif "valueInteger" in answer:
            answers[link] = answer["valueInteger"]
        elif "valueString" in answer:
            answers[link] = answer["valueString"]
        elif "valueBoolean" in answer:
            answers[link] = "yes" if answer["valueBoolean"] else "no"
        elif "valueDecimal" in answer and float(answer["valueDecimal"]).is_integer():
            answers[link] = int(answer["valueDecimal"])
        else:
            raise invalid(
                f"QuestionnaireResponse.item[{i}].answer",
                "use valueCoding, valueInteger, valueString or valueBoolean",
            )
    return answers


def create_response(ctx: FhirContext, resource: dict[str, Any]) -> QuestionnaireResponse:
    if resource.get("status") != "completed":
        raise invalid("QuestionnaireResponse.status", "only completed responses are scored")
    patient = patient_for_write(ctx, resource.get("subject"), "QuestionnaireResponse.subject")
    instrument = instrument_for_canonical(str(resource.get("questionnaire") or ""))
    taken_at = read_datetime(resource.get("authored"), "QuestionnaireResponse.authored")
    score = services.record_response(
        actor=ctx.user,
        patient=patient,
        instrument_id=instrument.id,
        answers=answers_from(resource, instrument),
        taken_at=taken_at,
    )
    return score.response


def questionnaire_filter(value: str) -> Q:
    url = value.split("|")[0]
    ids = [
        i.id
        for i in catalog().values()
        if i.questionnaire.get("url") == url or url.endswith(f"/{fhir_id(i.id)}") or url == i.id
    ]
    return Q(instrument_id__in=ids) if ids else NOTHING


QUESTIONNAIRE_RESPONSE = register(
    ResourceType(
        name="QuestionnaireResponse",
        sources=[
            Source(
                key="response",
                model=QuestionnaireResponse,
                to_fhir=response_to_fhir,
                select_related=("patient",),
                filters={
                    "questionnaire": questionnaire_filter,
                    "authored": date_filter("authored_at"),
                    "date": date_filter("authored_at"),
                    "status": lambda v: Q() if token_parts(v)[1] == "completed" else NOTHING,
                },
            )
        ],
        params={
            "questionnaire": ParamDoc("reference", "Questionnaire canonical URL or id"),
            "authored": ParamDoc("date", "When answered"),
            "date": ParamDoc("date", "When answered (alias)"),
            "status": ParamDoc("token", "completed"),
        },
        includes={"patient": ("Patient", "patient_id"), "subject": ("Patient", "patient_id")},
        create=create_response,
        documentation=(
            "POST scores the answers (measures.record_response); the score is an Observation "
            "(category survey, derivedFrom this response) and safety rules run on it."
        ),
    )
)


# --- score Observations ---------------------------------------------------------------


def score_code(instrument_id: str) -> dict[str, Any]:
    codings = []
    try:
        instrument = get_instrument(instrument_id, instrument_dir())
        title = instrument.title
        total = instrument.scoring.loinc.total
    except Exception:  # an instrument dropped from the catalog keeps its stored scores
        title, total = instrument_id, None
    if total:
        codings.append({"system": LOINC, "code": total, "display": f"{title} total score"})
    codings.append({"system": instrument_scores().url, "code": instrument_id, "display": title})
    return {"coding": codings, "text": f"{title} total score"}


def score_to_fhir(s: Score) -> dict[str, Any]:
    components = [
        {
            "code": {"text": f"subscale {name}"},
            "valueQuantity": {"value": value, "unit": "{score}"},
        }
        for name, value in sorted((s.subscales or {}).items())
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    notes = [{"text": f["message"]} for f in s.critical_flags or [] if f.get("message")]
    return prune(
        {
            "resourceType": "Observation",
            "id": str(s.uid),
            "meta": meta(s, part2=s.instrument_id in SUBSTANCE_INSTRUMENTS),
            "status": "final",
            "category": SURVEY,
            "code": score_code(s.instrument_id),
            "subject": ref("Patient", s.patient.uid),
            "effectiveDateTime": instant(s.taken_at),
            "issued": instant(s.created_at),
            "valueQuantity": {"value": s.total, "unit": "{score}"},
            "interpretation": [{"text": s.band}] if s.band else [],
            "derivedFrom": [ref("QuestionnaireResponse", s.response.uid)],
            "note": notes,
            "component": components,
        }
    )


def score_code_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system == LOINC:
        ids = [i.id for i in catalog().values() if i.scoring.loinc.total == code]
        return Q(instrument_id__in=ids) if ids else NOTHING
    if system in (None, instrument_scores().url):
        return Q(instrument_id=code)
    return NOTHING


def category_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system not in (None, OBSERVATION_CATEGORY) or code != "survey":
        return NOTHING
    return ~Q(pk__in=[])


add_source(
    "Observation",
    Source(
        key="score",
        model=Score,
        to_fhir=score_to_fhir,
        select_related=("patient", "response"),
        filters={
            "code": score_code_filter,
            "category": category_filter,
            "date": date_filter("taken_at"),
            "status": lambda v: Q() if token_parts(v)[1] == "final" else NOTHING,
        },
    ),
)
