"""Speciosa's own CodeSystems, published at /fhir/CodeSystem.

Standard terminologies are used wherever one has a code: LOINC for labs (and scores,
where LOINC has a panel), ICD-10-CM for diagnoses, RxNorm for medications, UCUM for
units. Kratom has no LOINC or SNOMED CT concept for product form or grams per day, so
those, and Speciosa's fixed value lists (ASAM level, route, lab method), live here.
Concepts come from the same enums and choices the models use, so they cannot drift.
"""

from dataclasses import dataclass
from typing import Any

from speciosa.clinical.facts import KratomForm, LabMethod, Route, Substance
from speciosa.fhir.mapping.common import CANONICAL, cs
from speciosa.patients.models import (
    KRATOM_FORM_CHOICES,
    LAB_METHOD_CHOICES,
    ROUTE_CHOICES,
    SUBSTANCE_CHOICES,
    AsamLevel,
    DischargeReason,
)

VERSION = "1.0.0"
DATE = "2026-11-26"


@dataclass(frozen=True)
class Concept:
    code: str
    display: str
    definition: str = ""


@dataclass(frozen=True)
class CodeSystemDef:
    name: str  # url tail and id
    title: str
    description: str
    concepts: tuple[Concept, ...]

    @property
    def url(self) -> str:
        return cs(self.name)

    def codes(self) -> set[str]:
        return {c.code for c in self.concepts}

    def display(self, code: str) -> str:
        for c in self.concepts:
            if c.code == code:
                return c.display
        return ""


def _from_choices(choices: list[tuple[str, str]]) -> tuple[Concept, ...]:
    return tuple(Concept(code, str(label)) for code, label in choices)


SUBSTANCE_LABELS = dict(SUBSTANCE_CHOICES)

SUBSTANCE_USE = CodeSystemDef(
    name="substance-use",
    title="Speciosa substance-use observation codes",
    description=(
        "Observation.code values for a patient's use of one substance (social history) "
        "and the Observation.component codes that describe it. Kratom (Mitragyna speciosa) "
        "use is described by product form (kratom-form), grams per day and doses per day."
    ),
    concepts=tuple(
        Concept(f"{s.value}-use", f"{SUBSTANCE_LABELS[s.value]} use", f"Use of {s.value}")
        for s in Substance
    )
    + (
        Concept("kratom-form", "Kratom product form", "Value from CodeSystem kratom-form"),
        Concept(
            "grams-per-day",
            "Kratom grams per day",
            "Self-reported kratom plant material (or equivalent) per day, in g/d (UCUM)",
        ),
        Concept("doses-per-day", "Doses per day", "Number of doses per day ({#}/d)"),
        Concept("years-of-use", "Years of use", "Duration of use in years (a)"),
        Concept("amount", "Amount", "Amount per day of a non-kratom substance, with its unit"),
        Concept("route", "Route", "Value from CodeSystem route"),
        Concept("frequency", "Frequency", "Free-text pattern of use (e.g. 'daily')"),
        Concept("last-use", "Last use", "Date and time of last use"),
        Concept("source-vendor", "Source or vendor", "Where the product was bought"),
    ),
)

USE_STATUS = CodeSystemDef(
    name="substance-use-status",
    title="Speciosa substance-use status",
    description="Observation.valueCodeableConcept of a substance-use observation.",
    concepts=(
        Concept("current", "Current use", "The patient uses the substance now"),
        Concept("former", "Former use", "The patient used the substance and has stopped"),
    ),
)

KRATOM_FORM = CodeSystemDef(
    name="kratom-form",
    title="Kratom product form",
    description=(
        "The form of kratom product a patient uses. 7-hydroxymitragynine (7-OH) products "
        "are listed apart because they are concentrated, semi-synthetic and more potent "
        "at the mu-opioid receptor than leaf."
    ),
    concepts=_from_choices(KRATOM_FORM_CHOICES),
)
assert {c.code for c in KRATOM_FORM.concepts} == {k.value for k in KratomForm}

ROUTE = CodeSystemDef(
    name="route",
    title="Speciosa route of use or administration",
    description="Route of substance use or medication administration.",
    concepts=_from_choices(ROUTE_CHOICES),
)
assert {c.code for c in ROUTE.concepts} == {r.value for r in Route}

LAB_METHOD = CodeSystemDef(
    name="lab-method",
    title="Speciosa laboratory method",
    description=(
        "Analytical method of a result. Mitragynine is detected only by confirmatory "
        "methods (LC-MS/MS, GC-MS); routine immunoassay drug screens miss it."
    ),
    concepts=_from_choices(LAB_METHOD_CHOICES),
)
assert {c.code for c in LAB_METHOD.concepts} == {m.value for m in LabMethod}

LAB_ANALYTE = CodeSystemDef(
    name="lab-analyte",
    title="Speciosa laboratory analyte",
    description=(
        "Analyte codes as recorded by programs (e.g. ALT, MITRAGYNINE). Used as "
        "Observation.code when no LOINC code is recorded; the code is the analyte "
        "name in upper case. This CodeSystem is not closed (content: fragment)."
    ),
    concepts=(
        Concept("ALT", "Alanine aminotransferase"),
        Concept("AST", "Aspartate aminotransferase"),
        Concept("ALP", "Alkaline phosphatase"),
        Concept("BILIRUBIN_TOTAL", "Bilirubin, total"),
        Concept("MITRAGYNINE", "Mitragynine"),
        Concept("SEVEN_OH_MITRAGYNINE", "7-hydroxymitragynine"),
        Concept("FENTANYL", "Fentanyl"),
    ),
)

ASAM_LEVEL = CodeSystemDef(
    name="asam-level",
    title="ASAM level of care",
    description="ASAM Criteria (3rd ed., Mee-Lee et al. 2013) levels of care.",
    concepts=_from_choices(AsamLevel.choices),
)

DISCHARGE_REASON = CodeSystemDef(
    name="discharge-reason",
    title="Speciosa discharge reason",
    description="Why an episode of care ended.",
    concepts=_from_choices(DischargeReason.choices),
)

CODE_SYSTEMS: dict[str, CodeSystemDef] = {
    d.name: d
    for d in (
        SUBSTANCE_USE,
        USE_STATUS,
        KRATOM_FORM,
        ROUTE,
        LAB_METHOD,
        LAB_ANALYTE,
        ASAM_LEVEL,
        DISCHARGE_REASON,
    )
}


def register_code_system(definition: CodeSystemDef) -> None:
    """Apps that add coded values (e.g. instruments without LOINC codes) publish here."""
    CODE_SYSTEMS[definition.name] = definition


def code_system_resource(definition: CodeSystemDef) -> dict[str, Any]:
    fragment = definition is LAB_ANALYTE or not definition.concepts
    resource = {
        "resourceType": "CodeSystem",
        "id": definition.name,
        "meta": {"versionId": "1", "lastUpdated": f"{DATE}T00:00:00Z"},
        "url": definition.url,
        "version": VERSION,
        "name": "".join(part.capitalize() for part in definition.name.split("-")),
        "title": definition.title,
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": "Speciosa",
        "description": definition.description,
        "caseSensitive": True,
        "content": "fragment" if fragment else "complete",
        "count": len(definition.concepts),
        "concept": [  # omitted below when empty (FHIR forbids empty arrays)
            {
                k: v
                for k, v in (("code", c.code), ("display", c.display), ("definition", c.definition))
                if v
            }
            for c in definition.concepts
        ],
    }
    if not resource["concept"]:
        del resource["concept"]
    return resource


def all_code_systems() -> list[dict[str, Any]]:
    return [code_system_resource(d) for d in CODE_SYSTEMS.values()]


__all__ = ["CANONICAL", "CODE_SYSTEMS", "code_system_resource", "register_code_system"]
