"""Build ``PatientFacts`` (the core's input) from the database, for one or many patients.

A fixed number of queries per call, whatever the number of patients (no N+1). Other apps
add their own facts (scores, plan events, study arms) by registering a provider.
"""

from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from speciosa.clinical.facts import (
    DiagnosisFact,
    KratomForm,
    LabFact,
    LabMethod,
    MedicationFact,
    MedicationStatus,
    PatientFacts,
    Route,
    Sex,
    Substance,
    SubstanceUseFact,
)
from speciosa.clinical.safety.incremental import FIELD_INPUTS, FactNeeds
from speciosa.core.compiled import CompiledQuery
from speciosa.patients.models import Diagnosis, LabResult, Medication, Patient, SubstanceUse

# name -> fn(patient_ids) -> {patient_id: tuple of facts}; name is a PatientFacts field.
FactProvider = Callable[[list[int]], dict[int, tuple]]
# several apps may provide the same field (e.g. "events" from plans and research): their
# facts are concatenated and, when they carry a time ("at"), sorted oldest first.
_providers: dict[str, list[FactProvider]] = {}


def register_fact_provider(field: str, provider: FactProvider) -> None:
    if field not in PatientFacts.__dataclass_fields__:
        raise ValueError(f"PatientFacts has no field {field!r}")
    registered = _providers.setdefault(field, [])
    if provider not in registered:
        registered.append(provider)


def _provided(field: str, ids: list[int]) -> dict[int, tuple]:
    providers = _providers[field]
    if len(providers) == 1:
        return providers[0](ids)
    merged: dict[int, list] = defaultdict(list)
    for provider in providers:
        for patient_id, facts in provider(ids).items():
            merged[patient_id].extend(facts)
    return {
        patient_id: tuple(sorted(facts, key=lambda f: getattr(f, "at", 0)))
        if all(hasattr(f, "at") for f in facts)
        else tuple(facts)
        for patient_id, facts in merged.items()
    }


def _route(value: str) -> Route | None:
    return Route(value) if value else None


# An incremental re-check reads substances and medications as rows of just the columns
# their facts use (the same column conversions as the models), named like the model
# fields so that _substance_fact and _medication_fact build the facts from either.
_SubstanceRow = namedtuple(
    "_SubstanceRow",
    "substance last_use_at kratom_form grams_per_day doses_per_day years_of_use amount unit"
    " route frequency is_current",
)
_MedicationRow = namedtuple(
    "_MedicationRow", "name rxnorm_code dose unit route frequency status start_at stop_at"
)


def _substance_fact(u: SubstanceUse | _SubstanceRow) -> SubstanceUseFact:
    return SubstanceUseFact(
        substance=Substance(u.substance),
        last_use=u.last_use_at,
        kratom_form=KratomForm(u.kratom_form) if u.kratom_form else None,
        grams_per_day=u.grams_per_day,
        doses_per_day=u.doses_per_day,
        years_of_use=u.years_of_use,
        amount=u.amount,
        unit=u.unit,
        route=_route(u.route),
        frequency=u.frequency,
        is_current=u.is_current,
    )


def _medication_fact(m: Medication | _MedicationRow) -> MedicationFact:
    return MedicationFact(
        name=m.name,
        rxnorm=m.rxnorm_code or None,
        dose=Decimal(m.dose) if m.dose is not None else None,
        unit=m.unit,
        route=_route(m.route),
        frequency=m.frequency,
        status=MedicationStatus(m.status),
        start=m.start_at,
        stop=m.stop_at,
    )


def _lab_fact(lab: LabResult) -> LabFact:
    return LabFact(
        analyte=lab.analyte,
        collected_at=lab.collected_at,
        value=lab.value,
        result=lab.result_text.lower(),
        unit=lab.unit,
        ref_low=lab.ref_low,
        ref_high=lab.ref_high,
        method=LabMethod(lab.method),
        loinc=lab.loinc or None,
    )


def _group(rows: Iterable, convert) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row.patient_id].append(convert(row))
    return grouped


def build_facts_for_patients(
    patients: list[Patient], as_of: datetime | None = None, needs: FactNeeds | None = None
) -> dict[int, PatientFacts]:
    """Facts for many patients in a fixed number of queries (one per record kind).

    ``needs`` (optional) limits the load to what a set of rules reads, as
    ``build_needed_facts`` does for one patient: a whole-program safety re-check reads
    the first and latest score per instrument, not ~50 rows of history per patient.
    """
    as_of = as_of or timezone.now()
    ids = [p.pk for p in patients]
    wanted = needs.fields if needs is not None else FIELD_INPUTS

    def load(field: str, model, order: tuple[str, ...], convert) -> dict[int, list]:
        if field not in wanted:
            return {}
        return _group(model.objects.filter(patient_id__in=ids).order_by(*order), convert)

    substances = load("substances", SubstanceUse, ("id",), _substance_fact)
    medications = load("medications", Medication, ("id",), _medication_fact)
    diagnoses = load(
        "diagnoses",
        Diagnosis,
        ("id",),
        lambda d: DiagnosisFact(icd10=d.icd10_code, text=d.text, is_active=d.is_active),
    )
    labs = load("labs", LabResult, ("collected_at", "id"), _lab_fact)
    if needs is None:
        extra = {field: _provided(field, ids) for field in _providers}
    else:
        # only registered fields: "events" has no provider until plans/research load
        extra = {f: _provided(f, ids) for f in ("events",) if f in wanted and f in _providers}
        if needs.score_instruments:
            extra["scores"] = _needed_scores(ids, needs)
    result = {}
    for p in patients:
        result[p.pk] = PatientFacts(
            patient_key=str(p.uid),
            as_of=as_of,
            birth_date=p.birth_date,
            sex_at_birth=Sex(p.sex_at_birth),
            is_pregnant=p.is_pregnant,
            substances=tuple(substances.get(p.pk, ())),
            medications=tuple(medications.get(p.pk, ())),
            diagnoses=tuple(diagnoses.get(p.pk, ())),
            labs=tuple(labs.get(p.pk, ())),
            **{field: tuple(values.get(p.pk, ())) for field, values in extra.items()},
        )
    return result


def _needed_scores(ids: list[int], needs: FactNeeds) -> dict[int, tuple]:
    """Scores of ``needs``' instruments from every ``scores`` provider, oldest first."""
    merged: dict[int, list] = defaultdict(list)
    for provider in _providers.get("scores", ()):
        found = provider(  # type: ignore[call-arg]
            ids, instruments=needs.score_instruments, ends_only=needs.score_ends_only
        )
        for patient_id, facts in found.items():
            merged[patient_id].extend(facts)
    return {pid: tuple(sorted(facts, key=lambda f: f.at)) for pid, facts in merged.items()}


def build_patient_facts(patient: Patient, as_of: datetime | None = None) -> PatientFacts:
    return build_facts_for_patients([patient], as_of)[patient.pk]


# one patient's records, in the same order as build_facts_for_patients (SQL built once)
_SUBSTANCES = CompiledQuery(
    lambda pk: (
        SubstanceUse.objects.filter(patient_id=pk)
        .order_by("id")
        .values_list(*_SubstanceRow._fields)
    )
)
_MEDICATIONS = CompiledQuery(
    lambda pk: (
        Medication.objects.filter(patient_id=pk).order_by("id").values_list(*_MedicationRow._fields)
    )
)
_DIAGNOSES = CompiledQuery(lambda pk: Diagnosis.objects.filter(patient_id=pk).order_by("id"))
_LABS = CompiledQuery(
    lambda pk: LabResult.objects.filter(patient_id=pk).order_by("collected_at", "id")
)


def build_needed_facts(
    patient: Patient, needs: FactNeeds, as_of: datetime | None = None
) -> PatientFacts:
    """Only the facts ``needs`` names (an incremental safety re-check), same conversions.

    One query per needed record kind. Scores come from the ``scores`` providers called with
    ``instruments=`` and ``ends_only=`` (first and latest row per instrument), so the cost
    does not grow with the patient's score history when the rules read only those rows.
    """
    ids = [patient.pk]
    loaded: dict[str, tuple] = {}
    if "substances" in needs.fields:
        loaded["substances"] = tuple(
            _substance_fact(_SubstanceRow._make(row)) for row in _SUBSTANCES.values(patient.pk)
        )
    if "medications" in needs.fields:
        loaded["medications"] = tuple(
            _medication_fact(_MedicationRow._make(row)) for row in _MEDICATIONS.values(patient.pk)
        )
    if "diagnoses" in needs.fields:
        loaded["diagnoses"] = tuple(
            DiagnosisFact(icd10=d.icd10_code, text=d.text, is_active=d.is_active)
            for d in _DIAGNOSES.models(patient.pk)
        )
    if "labs" in needs.fields:
        loaded["labs"] = tuple(map(_lab_fact, _LABS.models(patient.pk)))
    if "events" in needs.fields and "events" in _providers:
        loaded["events"] = _provided("events", ids).get(patient.pk, ())
    if needs.score_instruments:
        loaded["scores"] = _needed_scores(ids, needs).get(patient.pk, ())
    return PatientFacts(
        patient_key=str(patient.uid),
        as_of=as_of or timezone.now(),
        birth_date=patient.birth_date,
        sex_at_birth=Sex(patient.sex_at_birth),
        is_pregnant=patient.is_pregnant,
        **loaded,
    )
