"""The inputs a rule may read, declared with a type and the facts they need.

Like venmo/business-rules' typed rule variables: a rule naming an unknown variable, a
missing parameter or an operator its type does not have fails when the rules load, not
when a patient is evaluated. Each variable also names the *index key* of the facts it
reads (``"kratom"``, ``"medications"``, ``"score:phq9"``...); the engine skips a rule when
the patient has no facts under a key the rule requires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from speciosa.clinical.facts import (
    LabMethod,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    ScoreFact,
    Substance,
)
from speciosa.clinical.safety.drug_classes import load_drug_classes

Params = Mapping[str, Any]
Value = float | bool | str | frozenset[str] | None

CONFIRMATORY_METHODS = frozenset({LabMethod.LCMS.value, LabMethod.GCMS.value})
# Events that mean something is planned or done (not missed or cancelled).
LIVE_EVENT_STATUSES = frozenset({"scheduled", "attended", "completed", "booked"})


class ValueType(StrEnum):
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    SET = "set"


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: ValueType
    description: str
    key: Callable[[Params], str]
    read: Callable[[PatientFacts, Params], Value]
    required_params: frozenset[str] = frozenset()
    # Finer index keys, one per operand value (e.g. "med_class:benzodiazepine"), for
    # operators that can only hold when the patient has that value; see present_keys().
    value_key: Callable[[str], str] | None = None


def present_keys(facts: PatientFacts) -> frozenset[str]:
    """Index keys under which this patient has facts (what rules may need).

    Each key here must be present whenever a variable that names it could satisfy a
    fact-requiring operator: e.g. ``medication_classes includes_any [benzodiazepine]``
    can only hold if ``med_class:benzodiazepine`` is present.
    """
    return frozenset(snapshot(facts)[0])


_keys: dict[tuple[str, str], str] = {}


def _key(prefix: str, value: str) -> str:
    """Interned ``prefix:value`` strings (built once, not per patient)."""
    try:
        return _keys[(prefix, value)]
    except KeyError:
        key = _keys[(prefix, value)] = f"{prefix}:{value}"
        return key


class _Keys(dict[str, str]):
    """``value -> "prefix:value"``, each built once (a dict lookup per fact, no call)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, value: str) -> str:
        key = self[value] = _key(self.prefix, str(value))
        return key


class _ValueAndKey(dict[Any, tuple[frozenset[str], str]]):
    """enum member -> (``{its value}``, ``"prefix:value"``): no ``.value`` property per fact,
    and a set value of one member is built once (most patients have one of each)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, member: Any) -> tuple[frozenset[str], str]:
        value = member.value
        found = self[member] = (frozenset({value}), _key(self.prefix, value))
        return found


_SUBSTANCES = _ValueAndKey("substance")
_LAB_METHODS = _ValueAndKey("lab_method")
_KRATOM_FORMS = _ValueAndKey("kratom_form")
_MED_CLASS_KEYS = _Keys("med_class")
_ORDERED_CLASS_KEYS = _Keys("ordered_class")
_DX_KEYS = _Keys("dx")
_LAB_KEYS = _Keys("lab")
_SCORE_KEYS = _Keys("score")
_NONE: frozenset[str] = frozenset()
# the variables snapshot() always computes (their values are never missing from it)
SNAPSHOT_VARIABLES = frozenset(
    {
        "kratom_current",
        "substances_current",
        "medication_classes",
        "ordered_medication_classes",
        "diagnosis_codes",
        "lab_methods",
    }
)


class _MedicationClasses(dict[Any, tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]]):
    """medication (name, or (name, rxnorm) when coded) -> (its classes, their ``med_class:``
    keys, their ``ordered_class:`` keys): classified once per drug, not once per patient."""

    def __missing__(self, key: Any) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
        name, rxnorm = (key, None) if isinstance(key, str) else key
        classes = load_drug_classes().classes_of(MedicationFact(name=name, rxnorm=rxnorm))
        if len(self) >= 4096:  # free-text names: keep the memo bounded
            self.clear()
        found = self[key] = (
            classes,
            tuple(_MED_CLASS_KEYS[c] for c in sorted(classes)),
            tuple(_ORDERED_CLASS_KEYS[c] for c in sorted(classes)),
        )
        return found


class _DiagnosisKeys(dict[str, tuple[frozenset[str], str]]):
    """ICD-10 code -> (``{code}``, the ``dx:`` key of its 3-character category), built
    once per code."""

    def __missing__(self, code: str) -> tuple[frozenset[str], str]:
        if len(self) >= 4096:
            self.clear()
        found = self[code] = (frozenset({code}), _DX_KEYS[code[:3]])
        return found


_MEDICATION_CLASSES = _MedicationClasses()
_DIAGNOSIS_KEYS = _DiagnosisKeys()
_ACTIVE, _ORDERED, _KRATOM = MedicationStatus.ACTIVE, MedicationStatus.ORDERED, Substance.KRATOM


def snapshot(facts: PatientFacts) -> tuple[set[str], dict[str, Value]]:
    """One pass over the facts: the index keys, plus the values of the parameter-less
    set variables computed on the way (so the engine does not compute them twice).

    Plain loops, ``set.add`` and prebuilt key tables: this runs once per patient on every
    re-check. Set values start from prebuilt frozensets (one drug's classes, one
    substance...): a new one is only made for a patient with two or more.
    """
    keys: set[str] = set()
    add = keys.add
    kratom = None  # facts.kratom_use(), found on the way: the first current kratom use
    current_substances = current_classes = ordered_classes = codes = methods = _NONE
    if facts.substances:
        add("substances")
        for use in facts.substances:
            if use.is_current:
                if kratom is None and use.substance is _KRATOM:
                    kratom = use
                value, key = _SUBSTANCES[use.substance]
                current_substances = current_substances | value if current_substances else value
                add(key)
    if kratom is not None:
        add("kratom")
        if kratom.kratom_form is not None:
            add(_KRATOM_FORMS[kratom.kratom_form][1])
    if facts.medications:
        for med in facts.medications:
            status = med.status
            if status is _ACTIVE or status is _ORDERED:  # MedicationFact.is_current
                add("medications")
                classes, class_keys, ordered_keys = _MEDICATION_CLASSES[
                    med.name if med.rxnorm is None else (med.name, med.rxnorm)
                ]
                if classes:
                    current_classes = current_classes | classes if current_classes else classes
                    keys.update(class_keys)
                    if status is _ORDERED:
                        ordered_classes = ordered_classes | classes if ordered_classes else classes
                        keys.update(ordered_keys)
    if facts.diagnoses:
        for diagnosis in facts.diagnoses:
            if diagnosis.is_active:
                code, key = _DIAGNOSIS_KEYS[diagnosis.icd10]
                codes = codes | code if codes else code
                add(key)
        if codes:
            add("diagnoses")
    if facts.labs:
        add("labs")
        for lab in facts.labs:
            add(_LAB_KEYS[lab.analyte])
            method, key = _LAB_METHODS[lab.method]
            if methods.isdisjoint(method):  # labs mostly share a method: no union then
                methods = methods | method if methods else method
                add(key)
    if facts.scores:
        add("scores")
        for score in facts.scores:
            add(_SCORE_KEYS[score.instrument_id])
    if facts.events:
        add("events")
    if facts.is_pregnant:
        add("pregnancy")
    values: dict[str, Value] = {
        "kratom_current": kratom is not None,
        "substances_current": current_substances,
        "medication_classes": current_classes,
        "ordered_medication_classes": ordered_classes,
        "diagnosis_codes": codes,
        "lab_methods": methods,
    }
    return keys, values


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda value: f"{prefix}:{value}"


def _dx_key(prefix: str) -> str:
    # ICD-10 categories are 3 characters; shorter prefixes fall back to "diagnoses".
    return f"dx:{prefix[:3]}" if len(prefix) >= 3 else "diagnoses"


def _hours_since(facts: PatientFacts, when: Any) -> float | None:
    if when is None:
        return None
    return float((facts.as_of - when).total_seconds() / 3600)


# --- readers --------------------------------------------------------------------------


def _kratom_current(facts: PatientFacts, _: Params) -> Value:
    return facts.kratom_use() is not None


def _kratom_grams(facts: PatientFacts, _: Params) -> Value:
    use = facts.kratom_use()
    return float(use.grams_per_day) if use and use.grams_per_day is not None else None


def _kratom_form(facts: PatientFacts, _: Params) -> Value:
    use = facts.kratom_use()
    return use.kratom_form.value if use and use.kratom_form else None


def _hours_since_kratom(facts: PatientFacts, _: Params) -> Value:
    use = facts.kratom_use()
    return _hours_since(facts, use.last_use) if use else None


def _hours_since_opioid_or_kratom(facts: PatientFacts, _: Params) -> Value:
    hours = [
        _hours_since(facts, use.last_use)
        for use in facts.substances
        if use.last_use is not None
        and (use.substance is Substance.KRATOM or use.substance.is_opioid)
    ]
    known = [h for h in hours if h is not None]
    return min(known) if known else None


def _substances_current(facts: PatientFacts, _: Params) -> Value:
    return frozenset(u.substance.value for u in facts.substances if u.is_current)


def _medication_classes(facts: PatientFacts, _: Params) -> Value:
    book = load_drug_classes()
    found: set[str] = set()
    for med in facts.medications:
        if med.is_current:
            found |= book.classes_of(med)
    return frozenset(found)


def _ordered_medication_classes(facts: PatientFacts, _: Params) -> Value:
    book = load_drug_classes()
    found: set[str] = set()
    for med in facts.medications:
        if med.status is MedicationStatus.ORDERED:
            found |= book.classes_of(med)
    return frozenset(found)


def _medication_names(facts: PatientFacts, _: Params) -> Value:
    return frozenset(m.name for m in facts.medications if m.is_current)


def _diagnosis_codes(facts: PatientFacts, _: Params) -> Value:
    return frozenset(d.icd10 for d in facts.diagnoses if d.is_active)


def _lab_times_uln(facts: PatientFacts, params: Params) -> Value:
    analyte = params["analyte"]
    for lab in reversed(facts.labs):  # labs arrive oldest first: the last one measured
        if lab.analyte == analyte:
            times_uln = lab.times_uln
            if times_uln is not None:
                return times_uln
    return None


def _lab_methods(facts: PatientFacts, _: Params) -> Value:
    return frozenset(lab.method.value for lab in facts.labs)


def _lab_confirmed_analytes(facts: PatientFacts, _: Params) -> Value:
    return frozenset(lab.analyte for lab in facts.labs if lab.method.value in CONFIRMATORY_METHODS)


def _latest(facts: PatientFacts, params: Params) -> ScoreFact | None:
    """``facts.latest_score``, without building the instrument's list of scores."""
    instrument = str(params["instrument"])
    for score in reversed(facts.scores):  # scores arrive oldest first
        if score.instrument_id == instrument:
            return score
    return None


def _score_total(facts: PatientFacts, params: Params) -> Value:
    score = _latest(facts, params)
    return float(score.total) if score else None


def _score_item(facts: PatientFacts, params: Params) -> Value:
    instrument = str(params["instrument"])
    for score in reversed(facts.scores):  # _latest, inline: the commonest score rule
        if score.instrument_id == instrument:
            items = score.items
            values = [items[i] for i in params["items"] if i in items]
            return float(max(values)) if values else None
    return None


def _score_band(facts: PatientFacts, params: Params) -> Value:
    score = _latest(facts, params)
    return score.band.strip().lower() if score and score.band else None


def _score_positive(facts: PatientFacts, params: Params) -> Value:
    score = _latest(facts, params)
    return score.is_positive if score else None


def _instruments_reliably_worse(facts: PatientFacts, params: Params) -> Value:
    """Instruments whose latest total exceeds the baseline (first) total by at least the
    instrument's reliable-change threshold (higher = worse for every listed instrument)."""
    thresholds = params["thresholds"]
    first: dict[str, float] = {}
    change: dict[str, float] = {}  # latest - first, for instruments scored twice or more
    for score in facts.scores:  # one pass, oldest first
        instrument = score.instrument_id
        if instrument in thresholds:
            if instrument in first:
                change[instrument] = score.total - first[instrument]
            else:
                first[instrument] = score.total
    worse = [i for i, delta in change.items() if delta >= float(thresholds[i])]
    return frozenset(worse) if worse else _NONE


def _event_kinds(facts: PatientFacts, _: Params) -> Value:
    return frozenset(e.kind for e in facts.events if e.status in LIVE_EVENT_STATUSES)


def _is_pregnant(facts: PatientFacts, _: Params) -> Value:
    return facts.is_pregnant


def _fixed(key: str) -> Callable[[Params], str]:
    return lambda _params: key


def _per_score(params: Params) -> str:
    return f"score:{params['instrument']}"


def _per_lab(params: Params) -> str:
    return f"lab:{params['analyte']}"


_N, _B, _T, _S = ValueType.NUMBER, ValueType.BOOLEAN, ValueType.TEXT, ValueType.SET
_INSTRUMENT = frozenset({"instrument"})

VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable(
            "kratom_current", _B, "Current kratom use recorded", _fixed("kratom"), _kratom_current
        ),
        Variable(
            "kratom_grams_per_day",
            _N,
            "Kratom grams per day (current use)",
            _fixed("kratom"),
            _kratom_grams,
        ),
        Variable(
            "kratom_form",
            _T,
            "Kratom product form (leaf_powder, capsules, extract_shot, seven_oh, other)",
            _fixed("kratom"),
            _kratom_form,
            value_key=_prefixed("kratom_form"),
        ),
        Variable(
            "hours_since_kratom",
            _N,
            "Hours since the last kratom dose",
            _fixed("kratom"),
            _hours_since_kratom,
        ),
        Variable(
            "hours_since_opioid_or_kratom_use",
            _N,
            "Hours since the last recorded opioid or kratom use (any record)",
            _fixed("substances"),
            _hours_since_opioid_or_kratom,
        ),
        Variable(
            "substances_current",
            _S,
            "Substances in current use",
            _fixed("substances"),
            _substances_current,
            value_key=_prefixed("substance"),
        ),
        Variable(
            "medication_classes",
            _S,
            "Drug classes of active or ordered medications",
            _fixed("medications"),
            _medication_classes,
            value_key=_prefixed("med_class"),
        ),
        Variable(
            "ordered_medication_classes",
            _S,
            "Drug classes of medications ordered but not yet started",
            _fixed("medications"),
            _ordered_medication_classes,
            value_key=_prefixed("ordered_class"),
        ),
        Variable(
            "medication_names",
            _S,
            "Generic names of active or ordered medications",
            _fixed("medications"),
            _medication_names,
        ),
        Variable(
            "diagnosis_codes",
            _S,
            "Active ICD-10 codes",
            _fixed("diagnoses"),
            _diagnosis_codes,
            value_key=_dx_key,
        ),
        Variable(
            "lab_times_uln",
            _N,
            "Latest result of an analyte as a multiple of its upper limit of normal",
            _per_lab,
            _lab_times_uln,
            frozenset({"analyte"}),
        ),
        Variable(
            "lab_methods",
            _S,
            "Laboratory methods used in any result",
            _fixed("labs"),
            _lab_methods,
            value_key=_prefixed("lab_method"),
        ),
        Variable(
            "lab_confirmed_analytes",
            _S,
            "Analytes with a confirmatory (LC-MS/MS or GC-MS) result",
            _fixed("labs"),
            _lab_confirmed_analytes,
        ),
        Variable(
            "score_total",
            _N,
            "Latest total score of an instrument",
            _per_score,
            _score_total,
            _INSTRUMENT,
        ),
        Variable(
            "score_item",
            _N,
            "Latest value of one item (any of the listed linkIds)",
            _per_score,
            _score_item,
            frozenset({"instrument", "items"}),
        ),
        Variable(
            "score_band",
            _T,
            "Latest severity band / risk level (lower case)",
            _per_score,
            _score_band,
            _INSTRUMENT,
        ),
        Variable(
            "score_positive",
            _B,
            "Latest screen result is positive",
            _per_score,
            _score_positive,
            _INSTRUMENT,
        ),
        Variable(
            "instruments_reliably_worse",
            _S,
            "Instruments whose latest total rose from baseline by the reliable-change threshold",
            _fixed("scores"),
            _instruments_reliably_worse,
            frozenset({"thresholds"}),
        ),
        Variable(
            "event_kinds",
            _S,
            "Kinds of scheduled or attended events",
            _fixed("events"),
            _event_kinds,
        ),
        Variable("is_pregnant", _B, "Patient is pregnant", _fixed("pregnancy"), _is_pregnant),
    ]
}
