"""Observation <-> lab results (LOINC) and substance use (social history, kratom detail).

Substance-use observations and drug-test results carry the 42 CFR Part 2 security label.
Scores join as a third source when the measures app registers them (see add_source).
"""

from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Q

from speciosa.clinical.facts import Substance
from speciosa.clinical.knowledge import load_data_file
from speciosa.fhir.codesystems import (
    KRATOM_FORM,
    LAB_ANALYTE,
    LAB_METHOD,
    ROUTE,
    SUBSTANCE_USE,
    USE_STATUS,
)
from speciosa.fhir.http import FhirContext
from speciosa.fhir.mapping.common import (
    LOINC,
    OBSERVATION_CATEGORY,
    PART2_LABELS,
    UCUM,
    codes_in,
    concept,
    ext,
    first_code,
    instant,
    invalid,
    meta,
    number,
    patient_ref,
    prune,
    read_datetime,
    read_decimal,
)
from speciosa.fhir.mapping.subject import patient_for_write
from speciosa.fhir.outcome import FhirError
from speciosa.fhir.registry import NOTHING, ParamDoc, ResourceType, Source, register
from speciosa.fhir.search import date_filter, token_parts
from speciosa.patients import services
from speciosa.patients.models import LabResult, SubstanceUse

SCREENING_CUTOFF_URL = ext("screening-cutoff")
SPECIMEN_URL = ext("specimen")
DRUG_TEST_METHODS = {"immunoassay", "lc_ms_ms", "gc_ms", "point_of_care"}


def category(code: str, display: str) -> list[dict[str, Any]]:
    return [concept(OBSERVATION_CATEGORY, code, display)]


LABORATORY = category("laboratory", "Laboratory")
SOCIAL_HISTORY = category("social-history", "Social History")


@cache
def loinc_for_analyte() -> dict[str, tuple[str, str]]:
    data = load_data_file(Path(__file__).resolve().parent.parent / "data" / "lab_loinc.yaml")
    return {e["id"]: (str(e["loinc"]), e["display"]) for e in data["entries"]}


def analyte_for_loinc(code: str) -> str | None:
    return next((a for a, (c, _) in loinc_for_analyte().items() if c == code), None)


# --- labs -----------------------------------------------------------------------------


LAB_EXPORT_FIELDS = (
    "uid",
    "version",
    "updated_at",
    "patient__uid",
    "analyte",
    "loinc",
    "specimen",
    "value",
    "result_text",
    "unit",
    "ref_low",
    "ref_high",
    "cutoff",
    "method",
    "collected_at",
)


def lab_to_fhir(lab: Any) -> dict[str, Any]:
    """Reads only LAB_EXPORT_FIELDS (export rows and model instances both work)."""
    codings = []
    loinc = lab.loinc or loinc_for_analyte().get(lab.analyte, ("", ""))[0]
    if loinc:
        display = loinc_for_analyte().get(lab.analyte, ("", ""))[1]
        codings.append(prune({"system": LOINC, "code": loinc, "display": display}))
    codings.append({"system": LAB_ANALYTE.url, "code": lab.analyte})
    value: dict[str, Any] = {}
    if lab.value is not None:
        value["valueQuantity"] = prune({"value": lab.value, "unit": lab.unit})
    elif lab.result_text:
        value["valueString"] = lab.result_text
    ranges = prune(
        {
            "low": prune({"value": lab.ref_low, "unit": lab.unit})
            if lab.ref_low is not None
            else None,
            "high": prune({"value": lab.ref_high, "unit": lab.unit})
            if lab.ref_high is not None
            else None,
        }
    )
    extension = [{"url": SPECIMEN_URL, "valueString": lab.specimen}] if lab.specimen else []
    if lab.cutoff is not None:
        extension.append(
            {"url": SCREENING_CUTOFF_URL, "valueQuantity": {"value": lab.cutoff, "unit": "ng/mL"}}
        )
    return prune(
        {
            "resourceType": "Observation",
            "id": str(lab.uid),
            "meta": meta(lab, part2=lab.method in DRUG_TEST_METHODS),
            "extension": extension,
            "status": "final",
            "category": LABORATORY,
            "code": {"coding": codings, "text": lab.analyte},
            "subject": patient_ref(lab),
            "effectiveDateTime": instant(lab.collected_at),
            "issued": instant(lab.updated_at),
            **value,
            "method": concept(LAB_METHOD.url, lab.method, LAB_METHOD.display(lab.method)),
            "referenceRange": [ranges] if ranges else [],
        }
    )


def lab_fields(resource: dict[str, Any]) -> dict[str, Any]:
    code_value = resource.get("code") or {}
    loinc = first_code(code_value, LOINC) or ""
    analyte = first_code(code_value, LAB_ANALYTE.url) or (loinc and analyte_for_loinc(loinc))
    analyte = analyte or code_value.get("text") or ""
    if not analyte:
        raise invalid("Observation.code", "name the analyte (LOINC, lab-analyte code or text)")
    fields: dict[str, Any] = {"loinc": loinc}
    quantity = resource.get("valueQuantity")
    if quantity is not None:
        fields["value"] = float(read_decimal(quantity.get("value"), "Observation.valueQuantity"))
        fields["unit"] = quantity.get("unit") or quantity.get("code") or ""
    elif resource.get("valueString"):
        fields["result_text"] = resource["valueString"][:40]
    else:
        raise invalid("Observation.value[x]", "valueQuantity or valueString is required")
    ranges = (resource.get("referenceRange") or [{}])[0]
    if "low" in ranges:
        fields["ref_low"] = ranges["low"].get("value")
    if "high" in ranges:
        fields["ref_high"] = ranges["high"].get("value")
    method = first_code(resource.get("method"), LAB_METHOD.url)
    if method:
        if method not in LAB_METHOD.codes():
            raise invalid("Observation.method", f"unknown lab method {method!r}")
        fields["method"] = method
    for e in resource.get("extension") or []:
        if e.get("url") == SCREENING_CUTOFF_URL:
            fields["cutoff"] = (e.get("valueQuantity") or {}).get("value")
        if e.get("url") == SPECIMEN_URL and e.get("valueString"):
            fields["specimen"] = e["valueString"][:20]
    collected = read_datetime(resource.get("effectiveDateTime"), "Observation.effectiveDateTime")
    if collected is not None:
        fields["collected_at"] = collected
    return {"analyte": analyte, **fields}


def lab_code_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system == LOINC:
        analyte = analyte_for_loinc(code)
        return Q(loinc=code) | (Q(loinc="", analyte=analyte) if analyte else NOTHING)
    if system == LAB_ANALYTE.url:
        return Q(analyte__iexact=code)
    if system is None:
        return Q(loinc=code) | Q(analyte__iexact=code)
    return NOTHING


# --- substance use --------------------------------------------------------------------


def _component_code(code: str) -> dict[str, Any]:
    return concept(SUBSTANCE_USE.url, code, SUBSTANCE_USE.display(code))


# Built once: every substance-use observation shares these codes (export hot path).
COMPONENT_CODE = {
    name: _component_code(name)
    for name in (
        "kratom-form",
        "grams-per-day",
        "doses-per-day",
        "years-of-use",
        "amount",
        "route",
        "frequency",
        "last-use",
        "source-vendor",
    )
}
OBSERVATION_CODE = {f"{s.value}-use": _component_code(f"{s.value}-use") for s in Substance}
STATUS_VALUE = {
    True: concept(USE_STATUS.url, "current", USE_STATUS.display("current")),
    False: concept(USE_STATUS.url, "former", USE_STATUS.display("former")),
}
KRATOM_FORM_VALUE = {
    c.code: concept(KRATOM_FORM.url, c.code, c.display) for c in KRATOM_FORM.concepts
}
ROUTE_VALUE = {c.code: concept(ROUTE.url, c.code, c.display) for c in ROUTE.concepts}
UCUM_UNITS = {"g/d": "g/d", "doses/d": "{#}/d", "a": "a"}


def _quantity(value: Any, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": number(value)}
    if unit:
        out["unit"] = unit
    ucum = UCUM_UNITS.get(unit)
    if ucum:
        out["system"] = UCUM
        out["code"] = ucum
    return out


SUBSTANCE_EXPORT_FIELDS = (
    "uid",
    "version",
    "created_at",
    "updated_at",
    "patient__uid",
    "substance",
    "is_current",
    "last_use_at",
    "kratom_form",
    "grams_per_day",
    "doses_per_day",
    "years_of_use",
    "source_vendor",
    "amount",
    "unit",
    "route",
    "frequency",
    "notes",
)


def substance_to_fhir(use: Any) -> dict[str, Any]:
    """Reads only SUBSTANCE_EXPORT_FIELDS, so export rows and model instances both work."""
    code = COMPONENT_CODE
    components = []
    if use.kratom_form:
        components.append(
            {
                "code": code["kratom-form"],
                "valueCodeableConcept": KRATOM_FORM_VALUE[use.kratom_form],
            }
        )
    if use.grams_per_day is not None:
        components.append(
            {"code": code["grams-per-day"], "valueQuantity": _quantity(use.grams_per_day, "g/d")}
        )
    if use.doses_per_day is not None:
        components.append(
            {
                "code": code["doses-per-day"],
                "valueQuantity": _quantity(use.doses_per_day, "doses/d"),
            }
        )
    if use.years_of_use is not None:
        components.append(
            {"code": code["years-of-use"], "valueQuantity": _quantity(use.years_of_use, "a")}
        )
    if use.amount is not None:
        components.append(
            {"code": code["amount"], "valueQuantity": _quantity(use.amount, use.unit)}
        )
    if use.route:
        components.append({"code": code["route"], "valueCodeableConcept": ROUTE_VALUE[use.route]})
    if use.frequency:
        components.append({"code": code["frequency"], "valueString": use.frequency})
    if use.last_use_at:
        components.append({"code": code["last-use"], "valueDateTime": instant(use.last_use_at)})
    if use.source_vendor:
        components.append({"code": code["source-vendor"], "valueString": use.source_vendor})
    updated = instant(use.updated_at)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(use.uid),
        "meta": {"versionId": str(use.version), "lastUpdated": updated, "security": PART2_LABELS},
        "status": "final",
        "category": SOCIAL_HISTORY,
        "code": OBSERVATION_CODE[f"{use.substance}-use"],
        "subject": patient_ref(use),
        "effectiveDateTime": instant(use.created_at),
        "issued": updated,
        "valueCodeableConcept": STATUS_VALUE[bool(use.is_current)],
    }
    if use.notes:
        resource["note"] = [{"text": use.notes}]
    if components:
        resource["component"] = components
    return resource


def substance_fields(resource: dict[str, Any]) -> dict[str, Any]:
    code = first_code(resource.get("code"), SUBSTANCE_USE.url) or ""
    substance = code.removesuffix("-use")
    if not code.endswith("-use") or substance not in {s.value for s in Substance}:
        raise invalid("Observation.code", f"{code!r} is not a substance-use code")
    status = first_code(resource.get("valueCodeableConcept"), USE_STATUS.url) or "current"
    if status not in USE_STATUS.codes():
        raise invalid("Observation.valueCodeableConcept", f"unknown use status {status!r}")
    fields: dict[str, Any] = {"substance": substance, "is_current": status == "current"}
    for i, comp in enumerate(resource.get("component") or []):
        path = f"Observation.component[{i}]"
        name = first_code(comp.get("code"), SUBSTANCE_USE.url)
        quantity = comp.get("valueQuantity") or {}
        if name == "kratom-form":
            form = first_code(comp.get("valueCodeableConcept"), KRATOM_FORM.url)
            if form not in KRATOM_FORM.codes():
                raise invalid(path, f"unknown kratom form {form!r}")
            fields["kratom_form"] = form
        elif name == "grams-per-day":
            if quantity.get("code", "g/d") != "g/d":
                raise invalid(path, "grams per day must be in g/d")
            fields["grams_per_day"] = read_decimal(quantity.get("value"), path)
        elif name == "doses-per-day":
            fields["doses_per_day"] = quantity.get("value")
        elif name == "years-of-use":
            fields["years_of_use"] = read_decimal(quantity.get("value"), path)
        elif name == "amount":
            fields["amount"] = read_decimal(quantity.get("value"), path)
            fields["unit"] = quantity.get("unit", "")
        elif name == "route":
            route = first_code(comp.get("valueCodeableConcept"), ROUTE.url)
            if route not in ROUTE.codes():
                raise invalid(path, f"unknown route {route!r}")
            fields["route"] = route
        elif name == "frequency":
            fields["frequency"] = comp.get("valueString", "")
        elif name == "last-use":
            fields["last_use_at"] = read_datetime(comp.get("valueDateTime"), path)
        elif name == "source-vendor":
            fields["source_vendor"] = comp.get("valueString", "")
        else:
            raise invalid(path, f"unknown substance-use component {name!r}")
    notes = resource.get("note") or []
    if notes:
        fields["notes"] = notes[0].get("text", "")
    return fields


def substance_code_filter(value: str) -> Q:
    system, code = token_parts(value)
    if system not in (None, SUBSTANCE_USE.url) or not code.endswith("-use"):
        return NOTHING
    return Q(substance=code.removesuffix("-use"))


# --- resource type --------------------------------------------------------------------


def is_substance_use(resource: dict[str, Any]) -> bool:
    return first_code(resource.get("code"), SUBSTANCE_USE.url) is not None


def create_observation(ctx: FhirContext, resource: dict[str, Any]):
    patient = patient_for_write(ctx, resource.get("subject"), "Observation.subject")
    if resource.get("status") not in ("final", "amended", "corrected", "preliminary"):
        raise invalid("Observation.status", "only final, amended, corrected or preliminary")
    categories = {
        c for cat in resource.get("category") or [] for c in codes_in(cat, OBSERVATION_CATEGORY)
    }
    if "survey" in categories or any(
        str(c.get("system", "")).endswith("/CodeSystem/instrument-score")
        for c in (resource.get("code") or {}).get("coding") or []
    ):
        raise invalid(
            "Observation.category",
            "scores are derived: POST the QuestionnaireResponse and the score is computed",
        )
    if is_substance_use(resource):
        return services.record_substance_use(
            actor=ctx.user, patient=patient, **substance_fields(resource)
        )
    fields = lab_fields(resource)
    return services.record_lab_result(actor=ctx.user, patient=patient, **fields)


def update_observation(ctx: FhirContext, obj: Any, resource: dict[str, Any], version: int):
    if not isinstance(obj, SubstanceUse):
        raise FhirError(
            405,
            "Lab results are not updated in place; record a corrected result as a new Observation",
            code="not-supported",
        )
    fields = substance_fields(resource)
    if fields.pop("substance") != obj.substance:
        raise invalid("Observation.code", "the substance of a record cannot change")
    changes = {k: v for k, v in fields.items() if getattr(obj, k) != v}
    return services.update_substance_use(
        actor=ctx.user, use=obj, expected_version=version, **changes
    )


def category_filter(accepted: str):
    def build(value: str) -> Q:
        system, code = token_parts(value)
        if system not in (None, OBSERVATION_CATEGORY) or code != accepted:
            return NOTHING
        return ~Q(pk__in=[])

    return build


def status_filter(value: str) -> Q:
    return ~Q(pk__in=[]) if token_parts(value)[1] == "final" else NOTHING


LAB_SOURCE = Source(
    key="lab",
    model=LabResult,
    to_fhir=lab_to_fhir,
    select_related=("patient",),
    export_fields=LAB_EXPORT_FIELDS,
    filters={
        "code": lab_code_filter,
        "category": category_filter("laboratory"),
        "date": date_filter("collected_at"),
        "status": status_filter,
    },
)
SUBSTANCE_SOURCE = Source(
    key="substance",
    model=SubstanceUse,
    to_fhir=substance_to_fhir,
    select_related=("patient",),
    export_fields=SUBSTANCE_EXPORT_FIELDS,
    filters={
        "code": substance_code_filter,
        "category": category_filter("social-history"),
        "date": date_filter("created_at"),
        "status": status_filter,
    },
)

OBSERVATION = register(
    ResourceType(
        name="Observation",
        sources=[LAB_SOURCE, SUBSTANCE_SOURCE],
        params={
            "code": ParamDoc("token", "LOINC, lab-analyte or substance-use code"),
            "category": ParamDoc("token", "laboratory, social-history, survey"),
            "date": ParamDoc("date", "Effective time (prefixes ge, le, gt, lt, eq)"),
            "status": ParamDoc("token", "final"),
        },
        includes={"patient": ("Patient", "patient_id"), "subject": ("Patient", "patient_id")},
        create=create_observation,
        update=update_observation,
        documentation=(
            "Labs (category laboratory, LOINC), substance use incl. kratom (category "
            "social-history, CodeSystem substance-use)."
        ),
    )
)
