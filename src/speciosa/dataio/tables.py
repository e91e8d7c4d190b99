"""The tables Speciosa imports and exports, their columns and how text becomes values.

Columns are the patient services' field sets (``PATIENT_FIELDS`` ...), so an import
accepts exactly what the create_* services accept, plus ``mrn`` (the link to the
patient) and the optional identity columns ``uid``, ``created_at`` and ``updated_at``
that a Speciosa export writes (a round trip keeps record identities).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone

from speciosa.accounts.permissions import Action
from speciosa.clinical.errors import InvalidInput
from speciosa.patients import services
from speciosa.patients.models import (
    Diagnosis,
    Episode,
    LabResult,
    Medication,
    Patient,
    SubstanceUse,
)

IDENTITY_COLUMNS = ("uid", "created_at", "updated_at")


@dataclass(frozen=True)
class Table:
    name: str
    model: type[models.Model]
    fields: tuple[str, ...]  # data columns, in export order
    required: tuple[str, ...]
    action: Action  # what the importing user must be allowed to do

    @property
    def links_patient(self) -> bool:
        return self.model is not Patient

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column an import accepts / an export writes, in order."""
        link = ("mrn",) if self.links_patient else ()
        return ("uid", *link, *self.fields, "created_at", "updated_at")


def _ordered(model: type[models.Model], names: set[str]) -> tuple[str, ...]:
    """Model declaration order, so exported columns read naturally."""
    return tuple(f.name for f in model._meta.concrete_fields if f.name in names)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "patients",
            Patient,
            _ordered(Patient, services.PATIENT_FIELDS),
            ("mrn", "given_name", "family_name", "birth_date"),
            Action.EDIT_DEMOGRAPHICS,
        ),
        Table(
            "episodes",
            Episode,
            _ordered(Episode, services.EPISODE_FIELDS),
            ("mrn", "asam_level", "admitted_on"),
            Action.RECORD_EPISODE,
        ),
        Table(
            "substance_uses",
            SubstanceUse,
            _ordered(SubstanceUse, services.SUBSTANCE_FIELDS),
            ("mrn", "substance"),
            Action.RECORD_SUBSTANCE_USE,
        ),
        Table(
            "diagnoses",
            Diagnosis,
            _ordered(Diagnosis, services.DIAGNOSIS_FIELDS),
            ("mrn", "icd10_code", "text"),
            Action.RECORD_DIAGNOSIS,
        ),
        Table(
            "medications",
            Medication,
            _ordered(Medication, services.MEDICATION_FIELDS),
            ("mrn", "name"),
            Action.ORDER_MEDICATION,
        ),
        Table(
            "lab_results",
            LabResult,
            _ordered(LabResult, services.LAB_FIELDS),
            ("mrn", "analyte"),
            Action.RECORD_LAB,
        ),
    )
}
# Patients first: every other table links to a patient by MRN.
IMPORT_ORDER = tuple(TABLES)

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def parse_value(model: type[models.Model], name: str, raw: Any) -> Any:
    """Text (CSV/REDCap) or JSON value -> the model field's Python value.

    Empty text is "not given": NULL for nullable fields, "" for text fields, the model
    default otherwise. Raises InvalidInput naming the column.
    """
    field = model._meta.get_field(name)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if field.null:
            return None
        if isinstance(field, models.CharField | models.TextField):
            return ""
        if field.has_default():
            return field.get_default()
        raise InvalidInput(name, "is required")
    try:
        return _convert(field, raw)
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise InvalidInput(name, f"{raw!r} is not a valid {_kind(field)}") from exc


def _convert(field: models.Field, raw: Any) -> Any:
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(field, models.UUIDField):
        return uuid.UUID(str(text))
    if isinstance(field, models.DateTimeField):
        value = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value
    if isinstance(field, models.DateField):
        if isinstance(text, date):
            return text
        return date.fromisoformat(str(text)[:10])
    if isinstance(field, models.BooleanField):
        lowered = str(text).lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(text)
    if isinstance(field, models.DecimalField):
        value = Decimal(str(text))
        if not value.is_finite():
            raise ValueError(text)
        return value
    if isinstance(field, models.FloatField):
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(text)
        return number
    if isinstance(field, models.IntegerField):
        return int(str(text))
    return str(text)


def _kind(field: models.Field) -> str:
    if isinstance(field, models.DateTimeField):
        return "date-time (ISO 8601, e.g. 2026-01-31T08:00:00+00:00)"
    if isinstance(field, models.DateField):
        return "date (YYYY-MM-DD)"
    if isinstance(field, models.BooleanField):
        return "yes/no value (true/false, 1/0)"
    if isinstance(field, models.DecimalField | models.FloatField | models.IntegerField):
        return "number"
    if isinstance(field, models.UUIDField):
        return "UUID"
    return "value"


class BuildContext:
    """What stays the same across the rows of one import: today's date (the birth-date
    rule) and the memo of field validation (``services.FieldCleanCache``)."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.cache = services.FieldCleanCache()
        self._plans: dict[type[models.Model], list[tuple[str, Any, bool]]] = {}

    def new(self, model: type[models.Model], kwargs: dict[str, Any]) -> tuple[Any, list[str]]:
        """``model(**kwargs)`` by the positional fast path (what ``Model.from_db`` uses):
        each field not given takes its default as the keyword path would, without the
        keyword path's per-field lookups. Also returns the fields whose value came from
        a per-row default factory (uuid4, now): generated here, they need no validation.
        """
        plan = self._plans.get(model)
        if plan is None:
            plan = []
            for f in model._meta.concrete_fields:
                if f.has_default() and callable(f.default):
                    plan.append((f.name, f.default, True))
                else:
                    plan.append((f.name, f.get_default(), False))
            self._plans[model] = plan
        args, generated = [], []
        for name, default, factory in plan:
            if name in kwargs:
                args.append(kwargs[name])
            elif factory:
                args.append(default())
                generated.append(name)
            else:
                args.append(default)
        return model(*args), generated


def build_record(table: Table, values: dict[str, Any], context: BuildContext | None = None) -> Any:
    """Unsaved model instance from a row of raw values, validated by the services' rules.

    ``values`` holds the table's columns (missing ones take defaults); ``mrn`` is not
    set here for linked tables: the importer resolves it to a patient in bulk.
    ``context``: shared per import (same checks, computed once).
    """
    for column in table.required:
        raw = values.get(column)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise InvalidInput(column, "is required")
    kwargs: dict[str, Any] = {}
    for name in (*table.fields, *IDENTITY_COLUMNS):
        if name in values:
            parsed = parse_value(table.model, name, values[name])
            if parsed is not None or name not in IDENTITY_COLUMNS:
                kwargs[name] = parsed
    if table.model is Patient:
        kwargs["mrn"] = str(values["mrn"]).strip()
    if context is None:
        obj = table.model(**kwargs)
        services.check_new_record(obj)
    else:
        obj, generated = context.new(table.model, kwargs)
        services.check_new_record(obj, today=context.today, cache=context.cache, trusted=generated)
    return obj


# Questionnaire responses are not bulk-inserted: each goes through
# ``measures.services.record_response`` (validate answers, score, safety, audit).
RESPONSES = "responses"
# ``uid`` (optional) keeps a response's identity through export -> import
RESPONSE_COLUMNS = ("uid", "mrn", "instrument_id", "answers", "taken_at", "source")
RESPONSE_REQUIRED = ("mrn", "instrument_id", "answers")
