"""A REDCap project (data dictionary CSV + records export, CSV or JSON, "flat" format) as
an import source.

Fields are matched onto Speciosa tables by name (docs/import.md, "REDCap"): patient
demographics on the record's non-repeating row, kratom use from ``kratom_*`` fields, and
repeating instruments named like a table (``medications``, ``lab_results``...) with
fields named like the table's columns, optionally prefixed (``med_dose`` -> ``dose``).
Coded choices (radio, dropdown) are turned into their labels (``2`` -> ``Male`` ->
``male``). Idempotency key: record id, event, instrument and instance.

Forms that are questionnaires (PHQ-9, COWS...) are reported as not imported: responses
must go through ``measures.services.record_response``, which is not on main yet.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from speciosa.clinical.errors import InvalidInput
from speciosa.dataio.sources import SourceRow, hash_files
from speciosa.dataio.tables import TABLES

# REDCap variable -> patients column (first match wins)
PATIENT_ALIASES: dict[str, tuple[str, ...]] = {
    "mrn": ("mrn", "medical_record_number"),
    "given_name": ("given_name", "first_name", "fname"),
    "family_name": ("family_name", "last_name", "lname"),
    "birth_date": ("birth_date", "dob", "date_of_birth"),
    "sex_at_birth": ("sex_at_birth", "sex"),
    "gender_identity": ("gender_identity",),
    "phone": ("phone",),
    "email": ("email",),
    "preferred_language": ("preferred_language", "language"),
}
# repeating instrument name -> table
INSTRUMENT_TABLES: dict[str, str] = {
    "medications": "medications",
    "medication": "medications",
    "lab_results": "lab_results",
    "labs": "lab_results",
    "lab": "lab_results",
    "diagnoses": "diagnoses",
    "diagnosis": "diagnoses",
    "episodes": "episodes",
    "episode": "episodes",
    "admissions": "episodes",
    "substance_use": "substance_uses",
    "substance_uses": "substance_uses",
}
KRATOM_PREFIX = "kratom_"
REDCAP_COLUMNS = {"redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"}
_DICT_HEADERS = {
    "field": ("Variable / Field Name", "field_name"),
    "form": ("Form Name", "form_name"),
    "type": ("Field Type", "field_type"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
}


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def parse_choices(text: str) -> dict[str, str]:
    """``"1, Female | 2, Male"`` -> ``{"1": "female", "2": "male"}`` (labels as codes)."""
    choices = {}
    for part in (text or "").split("|"):
        code, sep, label = part.partition(",")
        if sep:
            choices[code.strip()] = _slug(label)
    return choices


class RedcapSource:
    kind = "redcap"

    def __init__(self, dictionary: Path, records: Path) -> None:
        for path in (dictionary, records):
            if not path.exists():
                raise InvalidInput("path", f"{path} does not exist")
        self.dictionary, self.records = dictionary, records
        self.paths = [dictionary, records]
        self.name = records.name
        self.fields: dict[str, dict[str, str]] = {}  # variable -> {form, type, choices}
        self.record_id = ""
        self._read_dictionary()
        self.unmapped_forms = sorted(
            {
                meta["form"]
                for name, meta in self.fields.items()
                if meta["form"] not in INSTRUMENT_TABLES
                and self._target(name) is None
                and name != self.record_id
            }
        )

    def _read_dictionary(self) -> None:
        with self.dictionary.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            cols = {}
            for key, names in _DICT_HEADERS.items():
                cols[key] = next((n for n in names if n in header), None)
            if not cols["field"] or not cols["form"]:
                raise InvalidInput(
                    "dictionary", f"{self.dictionary.name} is not a REDCap data dictionary"
                )
            for row in reader:
                name = row[cols["field"]].strip()
                self.fields[name] = {
                    "form": row[cols["form"]].strip(),
                    "type": (row.get(cols["type"] or "") or "").strip(),
                    "choices": row.get(cols["choices"] or "") or "",
                }
                self.record_id = self.record_id or name
        self._choices = {
            name: parse_choices(meta["choices"])
            for name, meta in self.fields.items()
            if meta["type"] in ("radio", "dropdown")
        }

    def _target(self, variable: str) -> tuple[str, str] | None:
        for column, aliases in PATIENT_ALIASES.items():
            if variable in aliases:
                return ("patients", column)
        if variable.startswith(KRATOM_PREFIX):
            column = variable.removeprefix(KRATOM_PREFIX)
            column = {
                "g_day": "grams_per_day",
                "grams": "grams_per_day",
                "form": "kratom_form",
                "years": "years_of_use",
                "last_use": "last_use_at",
            }.get(column, column)
            if column in TABLES["substance_uses"].fields:
                return ("substance_uses", column)
        return None

    def tables(self) -> list[str]:
        return list(TABLES)

    def content_hash(self) -> str:
        return hash_files(self.paths)

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.records.suffix.lower() == ".json":
            data = orjson.loads(self.records.read_bytes())
            for number, record in enumerate(data, start=1):
                yield number, {k: ("" if v is None else str(v)) for k, v in record.items()}
            return
        with self.records.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for record in reader:
                yield reader.line_num, record

    def _value(self, variable: str, raw: str) -> str:
        choices = self._choices.get(variable)
        return choices.get(raw.strip(), raw) if choices and raw.strip() else raw

    def rows(self) -> Iterator[SourceRow]:
        mrns: dict[str, str] = {}
        for line, record in self._records():
            rid = str(record.get(self.record_id, "")).strip()
            event = record.get("redcap_event_name", "") or ""
            instrument = record.get("redcap_repeat_instrument", "") or ""
            base = f"{rid}:{event}"
            if not rid:
                yield SourceRow(
                    f"L{line}",
                    self.name,
                    line,
                    "patients",
                    error=f"no record id ({self.record_id})",
                )
                continue
            if instrument:
                yield self._repeating_row(line, record, rid, base, instrument, mrns)
                continue
            patient: dict[str, Any] = {}
            kratom: dict[str, Any] = {}
            for variable, raw in record.items():
                target = self._target(variable)
                if target is None or raw in (None, ""):
                    continue
                table, column = target
                (patient if table == "patients" else kratom)[column] = self._value(variable, raw)
            mrn = str(patient.get("mrn") or mrns.get(rid) or rid)
            mrns[rid] = mrn
            if len(patient) > ("mrn" in patient):
                yield SourceRow(
                    f"{base}:patient", self.name, line, "patients", {**patient, "mrn": mrn}
                )
            if kratom:
                yield SourceRow(
                    f"{base}:kratom",
                    self.name,
                    line,
                    "substance_uses",
                    {**kratom, "substance": "kratom", "mrn": mrn},
                )

    def _repeating_row(self, line, record, rid, base, instrument, mrns) -> SourceRow:
        instance = record.get("redcap_repeat_instance", "") or "1"
        key = f"{base}:{instrument}:{instance}"
        table = INSTRUMENT_TABLES.get(instrument)
        if table is None:
            return SourceRow(
                key,
                self.name,
                line,
                "patients",
                error=f"repeating instrument {instrument!r} has no Speciosa table",
            )
        columns = set(TABLES[table].fields)
        values: dict[str, Any] = {}
        for variable, raw in record.items():
            if raw in (None, "") or variable in REDCAP_COLUMNS or variable == self.record_id:
                continue
            if self.fields.get(variable, {}).get("form") not in (instrument, None):
                continue
            column = variable if variable in columns else variable.partition("_")[2]
            if column in columns:
                values[column] = self._value(variable, raw)
        values["mrn"] = mrns.get(rid, rid)
        return SourceRow(key, self.name, line, table, values)
