"""Write actions on patient records: one function per action.

Each runs in one transaction: authorise, validate, save, audit, and notify the safety
engine (``patient_facts_changed``) so alerts change with the data or not at all.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical import records
from speciosa.clinical.errors import Conflict, InvalidInput
from speciosa.clinical.facts import Substance
from speciosa.core.locking import save_new_version
from speciosa.core.signals import patient_facts_changed
from speciosa.patients.models import (
    Diagnosis,
    Episode,
    LabResult,
    Medication,
    Patient,
    SubstanceUse,
)

PATIENT_FIELDS = {
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex_at_birth",
    "gender_identity",
    "phone",
    "email",
    "address",
    "preferred_language",
    "allergies",
    "is_pregnant",
    "is_active",
}
SUBSTANCE_FIELDS = {
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
}
DIAGNOSIS_FIELDS = {"icd10_code", "text", "onset_on", "is_active"}
MEDICATION_FIELDS = {
    "name",
    "rxnorm_code",
    "dose",
    "unit",
    "route",
    "frequency",
    "status",
    "start_at",
    "stop_at",
    "indication",
}
LAB_FIELDS = {
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
}
EPISODE_FIELDS = {"asam_level", "admitted_on", "discharged_on", "discharge_reason"}


def _reject_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a field of this record")


def _full_clean(obj, exclude: list[str] | None = None) -> None:
    """Model validation (choices, lengths, types) reported as a domain error."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(field, "; ".join(messages)) from exc


def _save_new(obj, *, actor) -> None:
    obj.created_by = actor if getattr(actor, "pk", None) else None
    _full_clean(obj, exclude=["program", "patient"])
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise Conflict(
            f"{obj._meta.verbose_name.capitalize()} conflicts with an existing record"
        ) from exc
    write_audit(actor=actor, action=AuditAction.CREATE, obj=obj)


def _save_changes(obj, *, actor, expected_version: int, changes: dict[str, Any]) -> None:
    before = {name: getattr(obj, name) for name in changes}
    for name, value in changes.items():
        setattr(obj, name, value)
    _full_clean(obj, exclude=["program", "patient"])
    try:
        with transaction.atomic():
            save_new_version(obj, expected_version=expected_version, fields=list(changes))
    except IntegrityError as exc:
        raise Conflict(
            f"{obj._meta.verbose_name.capitalize()} conflicts with an existing record"
        ) from exc
    diff = {k: [str(before[k]), str(changes[k])] for k in changes if before[k] != changes[k]}
    write_audit(actor=actor, action=AuditAction.UPDATE, obj=obj, detail={"changed": diff})


def _facts_changed(patient: Patient, actor, reason: str) -> None:
    patient_facts_changed.send(sender=Patient, patient=patient, actor=actor, reason=reason)


def _check_substance(fields: dict[str, Any]) -> None:
    records.check_grams_per_day(_dec(fields.get("grams_per_day")))
    for name in ("amount", "years_of_use", "doses_per_day"):
        records.check_non_negative(name, _dec(fields.get(name)))
    if fields.get("substance") not in (None, Substance.KRATOM) and fields.get("kratom_form"):
        raise InvalidInput("kratom_form", "only applies to kratom")
    if fields.get("substance") not in (None, Substance.KRATOM) and fields.get("grams_per_day"):
        raise InvalidInput("grams_per_day", "only applies to kratom (use amount and unit)")


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise InvalidInput("value", f"{value!r} is not a number") from exc


# --- patients -------------------------------------------------------------------------


@transaction.atomic
def create_patient(*, actor, program, **fields) -> Patient:
    require(actor, Action.EDIT_DEMOGRAPHICS, program.pk)
    _reject_unknown(fields, PATIENT_FIELDS)
    if "birth_date" in fields:
        records.check_birth_date(fields["birth_date"], timezone.localdate())
    if Patient.objects.filter(program=program, mrn=fields.get("mrn")).exists():
        raise InvalidInput("mrn", f"MRN {fields.get('mrn')} already exists in this program")
    patient = Patient(program=program, **fields)
    _save_new(patient, actor=actor)
    return patient


@transaction.atomic
def update_patient(*, actor, patient: Patient, expected_version: int, **changes) -> Patient:
    require(actor, Action.EDIT_DEMOGRAPHICS, patient.program_id)
    _reject_unknown(changes, PATIENT_FIELDS)
    if changes.get("birth_date") is not None:  # an explicit null fails full_clean instead
        records.check_birth_date(changes["birth_date"], timezone.localdate())
    _save_changes(patient, actor=actor, expected_version=expected_version, changes=changes)
    if "is_pregnant" in changes or "birth_date" in changes:
        _facts_changed(patient, actor, "demographics")
    return patient


# --- episodes -------------------------------------------------------------------------


@transaction.atomic
def admit_patient(*, actor, patient: Patient, asam_level: str, admitted_on: date) -> Episode:
    require(actor, Action.RECORD_EPISODE, patient.program_id)
    if patient.episodes.filter(discharged_on__isnull=True).exists():
        raise InvalidInput(
            "admitted_on", "the patient already has an open episode; discharge it first"
        )
    episode = Episode(
        program_id=patient.program_id,
        patient=patient,
        asam_level=asam_level,
        admitted_on=admitted_on,
    )
    _save_new(episode, actor=actor)
    return episode


@transaction.atomic
def discharge_episode(
    *, actor, episode: Episode, expected_version: int, discharged_on: date, discharge_reason: str
) -> Episode:
    require(actor, Action.RECORD_EPISODE, episode.program_id)
    records.check_episode_dates(episode.admitted_on, discharged_on)
    if not discharge_reason:
        raise InvalidInput("discharge_reason", "is required at discharge")
    _save_changes(
        episode,
        actor=actor,
        expected_version=expected_version,
        changes={"discharged_on": discharged_on, "discharge_reason": discharge_reason},
    )
    return episode


@transaction.atomic
def update_episode(*, actor, episode: Episode, expected_version: int, **changes) -> Episode:
    require(actor, Action.RECORD_EPISODE, episode.program_id)
    _reject_unknown(changes, EPISODE_FIELDS)
    records.check_episode_dates(
        changes.get("admitted_on", episode.admitted_on),
        changes.get("discharged_on", episode.discharged_on),
    )
    _save_changes(episode, actor=actor, expected_version=expected_version, changes=changes)
    return episode


# --- substance use --------------------------------------------------------------------


@transaction.atomic
def record_substance_use(*, actor, patient: Patient, **fields) -> SubstanceUse:
    require(actor, Action.RECORD_SUBSTANCE_USE, patient.program_id)
    _reject_unknown(fields, SUBSTANCE_FIELDS)
    _check_substance(fields)
    use = SubstanceUse(program_id=patient.program_id, patient=patient, **fields)
    _save_new(use, actor=actor)
    _facts_changed(patient, actor, "substance_use")
    return use


@transaction.atomic
def update_substance_use(
    *, actor, use: SubstanceUse, expected_version: int, **changes
) -> SubstanceUse:
    require(actor, Action.RECORD_SUBSTANCE_USE, use.program_id)
    _reject_unknown(changes, SUBSTANCE_FIELDS)
    _check_substance({"substance": use.substance, **changes})
    _save_changes(use, actor=actor, expected_version=expected_version, changes=changes)
    _facts_changed(use.patient, actor, "substance_use")
    return use


# --- diagnoses ------------------------------------------------------------------------


@transaction.atomic
def record_diagnosis(*, actor, patient: Patient, icd10_code: str, text: str, **fields) -> Diagnosis:
    require(actor, Action.RECORD_DIAGNOSIS, patient.program_id)
    _reject_unknown(fields, DIAGNOSIS_FIELDS)
    code = records.normalise_icd10(icd10_code)
    diagnosis = Diagnosis(
        program_id=patient.program_id, patient=patient, icd10_code=code, text=text, **fields
    )
    _save_new(diagnosis, actor=actor)
    _facts_changed(patient, actor, "diagnosis")
    return diagnosis


@transaction.atomic
def update_diagnosis(*, actor, diagnosis: Diagnosis, expected_version: int, **changes) -> Diagnosis:
    require(actor, Action.RECORD_DIAGNOSIS, diagnosis.program_id)
    _reject_unknown(changes, DIAGNOSIS_FIELDS)
    if "icd10_code" in changes:
        changes["icd10_code"] = records.normalise_icd10(changes["icd10_code"])
    _save_changes(diagnosis, actor=actor, expected_version=expected_version, changes=changes)
    _facts_changed(diagnosis.patient, actor, "diagnosis")
    return diagnosis


# --- medications ----------------------------------------------------------------------


def _check_medication(fields: dict[str, Any], current: Medication | None = None) -> None:
    records.check_non_negative("dose", _dec(fields.get("dose")))
    start = fields.get("start_at", current.start_at if current else None)
    stop = fields.get("stop_at", current.stop_at if current else None)
    if start and stop and stop < start:
        raise InvalidInput("stop_at", "is before start_at")


@transaction.atomic
def record_medication(*, actor, patient: Patient, name: str, **fields) -> Medication:
    require(actor, Action.ORDER_MEDICATION, patient.program_id)
    _reject_unknown(fields, MEDICATION_FIELDS)
    if not name.strip():
        raise InvalidInput("name", "is required")
    _check_medication(fields)
    medication = Medication(
        program_id=patient.program_id,
        patient=patient,
        name=name.strip().lower(),
        prescriber=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    _save_new(medication, actor=actor)
    _facts_changed(patient, actor, "medication")
    return medication


@transaction.atomic
def update_medication(
    *, actor, medication: Medication, expected_version: int, **changes
) -> Medication:
    require(actor, Action.ORDER_MEDICATION, medication.program_id)
    _reject_unknown(changes, MEDICATION_FIELDS)
    if "name" in changes:
        changes["name"] = changes["name"].strip().lower()
    _check_medication(changes, medication)
    _save_changes(medication, actor=actor, expected_version=expected_version, changes=changes)
    _facts_changed(medication.patient, actor, "medication")
    return medication


# --- labs -----------------------------------------------------------------------------


def _check_lab(fields: dict[str, Any]) -> None:
    if fields.get("value") is None and not fields.get("result_text"):
        raise InvalidInput("value", "a numeric value or a result (positive/negative) is required")
    low, high = fields.get("ref_low"), fields.get("ref_high")
    if low is not None and high is not None and low > high:
        raise InvalidInput("ref_low", "is above ref_high")
    if fields.get("collected_at") and fields["collected_at"] > timezone.now():
        raise InvalidInput("collected_at", "is in the future")


@transaction.atomic
def record_lab_result(*, actor, patient: Patient, analyte: str, **fields) -> LabResult:
    require(actor, Action.RECORD_LAB, patient.program_id)
    _reject_unknown(fields, LAB_FIELDS)
    _check_lab(fields)
    lab = LabResult(
        program_id=patient.program_id, patient=patient, analyte=analyte.strip().upper(), **fields
    )
    _save_new(lab, actor=actor)
    _facts_changed(patient, actor, "lab")
    return lab


# --- bulk paths (imports) -------------------------------------------------------------

_FK_FIELDS = ["program", "patient", "created_by", "primary_clinician", "prescriber"]


_UNSEEN = object()


class FieldCleanCache:
    """Memo of ``Field.clean`` results for bulk validation: ``clean`` of a non-relational
    field is a pure function of the value (to_python, choices, blank/null, validators),
    so a value seen before in the same column needs no second run. Repeated values are
    the norm in imports (sex, language, defaults, flags). Bounded: cleared when full."""

    MAX = 200_000

    def __init__(self) -> None:
        self._ok: dict[tuple[str, str, type, Any], Any] = {}

    def clean_fields(self, obj, exclude: set[str]) -> None:
        """``Model.clean_fields`` + ``Model.clean`` as ``full_clean`` runs them (same
        skips, same cleaned values set back, the first failing field in field order)."""
        label = obj._meta.label
        for f in obj._meta.fields:
            if f.name in exclude or f.generated:
                continue
            raw = getattr(obj, f.attname)
            if f.blank and raw in f.empty_values:
                continue
            try:
                key = (label, f.attname, type(raw), raw)
                cleaned = self._ok.get(key, _UNSEEN)
            except TypeError:  # an unhashable value: no memo
                key, cleaned = None, _UNSEEN
            if cleaned is _UNSEEN:
                try:
                    cleaned = f.clean(raw, obj)
                except ValidationError as exc:
                    raise InvalidInput(f.name, "; ".join(exc.messages)) from exc
                if key is not None and not f.is_relation:
                    if len(self._ok) >= self.MAX:
                        self._ok.clear()
                    self._ok[key] = cleaned
            setattr(obj, f.attname, cleaned)
        try:
            obj.clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise InvalidInput(field, "; ".join(messages)) from exc


def check_new_record(
    obj, *, today=None, cache: FieldCleanCache | None = None, trusted: Iterable[str] = ()
) -> None:
    """Run the create_* services' validation on an unsaved record, without saving it.

    For bulk paths (``speciosa.dataio`` imports) that insert many rows at once instead of
    calling one service per row: same rules, same ``InvalidInput`` errors. Normalises
    like the services do (ICD-10 code, medication name, lab analyte). Does not check
    permissions, uniqueness or foreign keys: the caller does those once per batch.
    ``today`` (the local date) and ``cache`` let a bulk caller compute once per batch;
    ``trusted`` names fields the caller generated itself (a fresh uuid4 or timestamp
    from the field's own default), which the cache path does not re-validate.
    """
    if isinstance(obj, Patient):
        records.check_birth_date(obj.birth_date, today or timezone.localdate())
    elif isinstance(obj, Episode):
        records.check_episode_dates(obj.admitted_on, obj.discharged_on)
    elif isinstance(obj, SubstanceUse):
        _check_substance({name: getattr(obj, name) for name in SUBSTANCE_FIELDS})
    elif isinstance(obj, Diagnosis):
        obj.icd10_code = records.normalise_icd10(obj.icd10_code)
    elif isinstance(obj, Medication):
        obj.name = (obj.name or "").strip().lower()
        if not obj.name:
            raise InvalidInput("name", "is required")
        _check_medication({"dose": obj.dose, "start_at": obj.start_at, "stop_at": obj.stop_at})
    elif isinstance(obj, LabResult):
        obj.analyte = (obj.analyte or "").strip().upper()
        _check_lab({name: getattr(obj, name) for name in LAB_FIELDS})
    exclude = [f for f in _FK_FIELDS if hasattr(obj, f + "_id")]
    if cache is None:
        _full_clean(obj, exclude=exclude)
    else:
        cache.clean_fields(obj, {*exclude, *trusted})
