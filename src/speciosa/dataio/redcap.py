"""A REDCap project (data dictionary CSV + records export, CSV or JSON, "flat" format) as
an import source.

Fields are matched onto Speciosa tables by name (docs/import.md, "REDCap"): patient
demographics on the record's non-repeating row, kratom use from ``kratom_*`` fields, and
repeating instruments named like a table (``medications``, ``lab_results``...) with
fields named like the table's columns, optionally prefixed (``med_dose`` -> ``dose``).
Coded choices (radio, dropdown) are turned into their labels (``2`` -> ``Male`` ->
``male``). Idempotency key: record id, event, instrument and instance.

Questionnaire forms (PHQ-9, COWS...) are matched onto Speciosa instruments
(``match_form``): by form name and by item variables (``phq9_1`` or the Questionnaire
linkId ``phq9-1``); each dictionary choice is mapped onto an instrument answer (by label,
else by code when the codes are the instrument's codes or item scores), and a choice
that maps to no answer is reported and rejects the rows that use it. Each record with
data in a matched form becomes a ``responses`` row, imported like ``responses.csv``:
through ``measures.services.record_response`` (validated, scored by the engine, safety
re-run). A form that matches an instrument only in part is reported with the missing
fields, and its records are rejected; a form that matches nothing is reported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from speciosa.clinical.errors import InvalidInput
from speciosa.dataio.sources import SourceRow, hash_files
from speciosa.dataio.tables import RESPONSES, TABLES

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
    "validation": (
        "Text Validation Type OR Show Slider Number",
        "text_validation_type_or_show_slider_number",
    ),
}
# REDCap field types that hold no answer (computed, display-only, uploads)
NO_ANSWER_TYPES = {"calc", "descriptive", "file", "sql", "checkbox"}
IMPLIED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def parse_choice_labels(text: str) -> dict[str, str]:
    """``"1, Female | 2, Male"`` -> ``{"1": "Female", "2": "Male"}``."""
    choices = {}
    for part in (text or "").split("|"):
        code, sep, label = part.partition(",")
        if sep:
            choices[code.strip()] = label.strip()
    return choices


def parse_choices(text: str) -> dict[str, str]:
    """``"1, Female | 2, Male"`` -> ``{"1": "female", "2": "male"}`` (labels as codes)."""
    return {code: _slug(label) for code, label in parse_choice_labels(text).items()}


def _norm(text: str) -> str:
    """Letters and digits only: ``"PHQ-9"``, ``"phq_9"`` and ``"phq9"`` compare equal."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


# --- questionnaire forms -> instruments ---------------------------------------------------


@dataclass
class FormMatch:
    """How one REDCap form maps onto Speciosa (reported by ``speciosa import redcap``)."""

    form: str
    status: str  # "table", "instrument", "partial" or "unmatched"
    target: str = ""  # table or instrument id
    fields: dict[str, str] = field(default_factory=dict)  # linkId -> REDCap variable
    missing: list[str] = field(default_factory=list)  # "phq9-2 (phq9_2)" for partial
    # variable -> {dictionary code: instrument answer code, or None when it has none}
    choices: dict[str, dict[str, str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # dictionary choices with no answer
    date_field: str = ""
    records: int = 0  # records with data in this form (counted while reading)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "status": self.status}
        if self.target:
            out["target"] = self.target
        if self.status in ("instrument", "partial"):
            out["fields"] = self.fields
        if self.status == "instrument":
            out["date_field"] = self.date_field  # "": dated at import time
        for name in ("missing", "problems"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.status != "table":
            out["records"] = self.records  # records with data in the form
        return out

    def describe(self) -> str:
        if self.status == "instrument":
            text = f"{self.form} -> instrument {self.target} ({len(self.fields)} items)"
            if self.problems:
                text += "; choices with no answer: " + "; ".join(self.problems)
            return text
        if self.status == "partial":
            return (
                f"form {self.form} matches instrument {self.target} only in part, not "
                f"imported: no field for {', '.join(self.missing)}"
            )
        if self.status == "table":
            return f"{self.form} -> {self.target}"
        return (
            f"{self.form} matches no Speciosa table or instrument, not imported "
            f"({self.records} record(s) with data)"
        )


def _item_candidates(link_id: str, instrument_id: str, form: str = "") -> list[str]:
    """REDCap variable names an item may have: ``phq9-1`` -> phq9_1, phq9_q1, phq91...
    ``form`` (a form named after the instrument) adds ``<form>_1``..."""
    head, _, suffix = link_id.lower().partition("-")
    if not suffix:
        head, suffix = "", link_id.lower()
    out = [link_id.lower().replace("-", "_")]
    for prefix in dict.fromkeys(p for p in (head, instrument_id.lower(), form.lower()) if p):
        out += [f"{prefix}_{suffix}", f"{prefix}_q{suffix}", f"{prefix}_item{suffix}"]
        if prefix[-1].isalpha():
            out += [f"{prefix}{suffix}", f"{prefix}q{suffix}"]
    return out


def _needed(instrument) -> list[str]:
    return [i.link_id for i in instrument.items.values() if i.required]


def _map_items(instrument, form: str, variables: list[str]) -> dict[str, str]:
    lowered = {v.lower(): v for v in variables}
    mapped: dict[str, str] = {}
    for item in instrument.items.values():
        for candidate in _item_candidates(item.link_id, instrument.id, form):
            if candidate in lowered:
                mapped[item.link_id] = lowered[candidate]
                break
    return mapped


def map_choices(item, labels: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """Dictionary choices of one variable -> the item's answer codes.

    A choice maps by its label (the option's display, case and punctuation aside; Yes/No
    for yes/no items). Choices whose label matches no option map by code only if every
    one of them is an option code (COWS: the code is the score) or, when the item's
    scores are distinct, every one is an item score (``0, Never`` -> the 0-point answer);
    otherwise they are mismatches (None), reported with the reason.
    """
    by_display = {_norm(o.display): o.code for o in item.options if o.display}
    if item.is_yes_no:
        yes = next(o.code for o in item.options if o.code == "LA33-6")
        no = next(o.code for o in item.options if o.code == "LA32-8")
        by_display.update({"yes": yes, "true": yes, "no": no, "false": no})
    out: dict[str, str | None] = {}
    rest = []
    for code, label in labels.items():
        answer = by_display.get(_norm(label))
        out[code] = answer
        if answer is None:
            rest.append(code)
    if rest and not item.is_yes_no:
        option_codes = {o.code for o in item.options}
        scores = {str(w): c for w, c in item.codes.items() if isinstance(w, int)}
        for table in ({c: c for c in option_codes}, scores):
            if all(code in table for code in rest):
                for code in rest:
                    out[code] = table[code]
                rest = []
                break
    answers = ", ".join(f"{o.display or o.code}" for o in item.options)
    problems = [
        f"{code}, {labels[code]!r} matches no {item.link_id} answer ({answers})" for code in rest
    ]
    return out, problems


def match_form(
    form: str, variables: list[str], meta: dict[str, dict[str, str]], catalog: dict[str, Any]
) -> FormMatch:
    """Match one form onto an instrument (see the module docstring)."""
    answer_vars = [v for v in variables if meta[v]["type"] not in NO_ANSWER_TYPES]
    by_name = {_norm(i): i for i in catalog}
    name = by_name.get(_norm(form)) or next(
        (by_name[n] for n in sorted(by_name, key=len, reverse=True) if _norm(form).startswith(n)),
        None,
    )
    # the form's own name is an item prefix only for the instrument it is named after
    mapped = {
        iid: _map_items(ins, form if iid == name else "", answer_vars)
        for iid, ins in catalog.items()
    }
    full = [
        iid
        for iid, ins in catalog.items()
        if _needed(ins) and all(link in mapped[iid] for link in _needed(ins))
    ]
    if name is not None:  # named after an instrument: that one, whole or in part
        chosen, status = name, "instrument" if name in full else "partial"
    elif full:
        chosen = max(full, key=lambda iid: (len(mapped[iid]), -len(catalog[iid].items)))
        status = "instrument"
    else:
        near = [
            iid
            for iid, ins in catalog.items()
            if _needed(ins) and len(mapped[iid]) >= max(2, len(_needed(ins)) / 2)
        ]
        chosen = max(near, key=lambda iid: len(mapped[iid])) if near else None
        status = "partial" if chosen else "unmatched"
    if chosen is None:
        return FormMatch(form, "unmatched")
    instrument = catalog[chosen]
    match = FormMatch(form, status, chosen, mapped[chosen])
    if status == "partial":
        match.missing = [
            f"{link} ({_item_candidates(link, chosen)[0]})"
            for link in _needed(instrument)
            if link not in match.fields
        ]
        return match
    for link, variable in match.fields.items():
        item = instrument.items[link]
        labels = dict(IMPLIED_CHOICES.get(meta[variable]["type"], {}))
        labels.update(parse_choice_labels(meta[variable]["choices"]))
        if item.kind == "choice" and labels:
            match.choices[variable], problems = map_choices(item, labels)
            match.problems += [f"{variable}: {p}" for p in problems]
    dates = [
        v
        for v in variables
        if meta[v]["validation"].startswith("date")
        or re.search(r"(^|_)(date|datetime|timestamp)$", v)
    ]
    match.date_field = dates[0] if dates else ""
    return match


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
        self.forms = self._match_forms()
        self._instrument_forms = [m for m in self.forms.values() if m.status == "instrument"]
        self._partial_forms = [m for m in self.forms.values() if m.status == "partial"]
        self._unmatched = [
            (m, [v for v, meta in self.fields.items() if meta["form"] == m.form])
            for m in self.forms.values()
            if m.status == "unmatched"
        ]
        self.unmapped_forms = sorted(
            name for name, m in self.forms.items() if m.status not in ("table", "instrument")
        )

    def _match_forms(self) -> dict[str, FormMatch]:
        from speciosa.clinical.instruments import load_catalog

        catalog = {iid: ins for iid, ins in load_catalog().items() if ins.is_scorable}
        variables: dict[str, list[str]] = {}
        for name, meta in self.fields.items():
            if name != self.record_id:
                variables.setdefault(meta["form"], []).append(name)
        forms = {}
        for form, names in variables.items():
            targets = {t[0] for t in map(self._target, names) if t}
            if form in INSTRUMENT_TABLES:
                forms[form] = FormMatch(form, "table", INSTRUMENT_TABLES[form])
            elif targets:
                forms[form] = FormMatch(form, "table", ", ".join(sorted(targets)))
            else:
                forms[form] = match_form(form, names, self.fields, catalog)
        return forms

    def form_report(self) -> list[dict[str, Any]]:
        return [m.as_dict() for m in self.forms.values()]

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
                    "validation": (row.get(cols["validation"] or "") or "").strip(),
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
        return list(TABLES) + ([RESPONSES] if self._instrument_forms else [])

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
            for match, names in self._unmatched:
                if any(str(record.get(v) or "").strip() for v in names):
                    match.records += 1
            instance = record.get("redcap_repeat_instance", "") or "1"
            for match in self._instrument_forms + self._partial_forms:
                row = self._response_row(line, record, f"{base}:{match.form}:{instance}", match)
                if row is not None:
                    row.values.setdefault("mrn", mrn)
                    yield row

    def _response_row(
        self, line: int, record: dict[str, Any], key: str, match: FormMatch
    ) -> SourceRow | None:
        """One record's answers on an instrument form as a ``responses`` row (None when
        the form is empty in this record); choice codes become the instrument's answer
        codes, a value outside the dictionary's choices or a choice with no instrument
        answer is an error naming the variable."""
        from speciosa.clinical.instruments import get_instrument

        given = {
            link: str(record.get(var) or "").strip()
            for link, var in match.fields.items()
            if str(record.get(var) or "").strip()
        }
        if not given:
            return None
        match.records += 1
        row = SourceRow(key, self.name, line, RESPONSES, {})
        if match.status == "partial":
            row.error = match.describe()
            row.error_field = match.form
            return row
        instrument = get_instrument(match.target)
        answers: dict[str, Any] = {}
        for link, raw in given.items():
            variable = match.fields[link]
            item = instrument.items[link]
            if variable in match.choices:
                choices = match.choices[variable]
                if raw not in choices:
                    row.error = (
                        f"{raw!r} is not one of the data dictionary's choices for {variable} "
                        f"({', '.join(choices)})"
                    )
                elif choices[raw] is None:
                    problem = next(p for p in match.problems if p.startswith(f"{variable}: {raw},"))
                    row.error = f"data dictionary choice {problem.split(': ', 1)[1]}"
                if row.error:
                    row.error_field = variable
                    return row
                answers[link] = choices[raw]
            elif item.kind == "integer" or (item.kind == "choice" and raw not in item.codes):
                try:
                    answers[link] = int(raw)
                except ValueError:
                    row.error, row.error_field = f"{raw!r} is not a whole number", variable
                    return row
            else:
                answers[link] = raw
        taken = str(record.get(match.date_field) or "").strip() if match.date_field else ""
        if not taken:
            stamp = str(record.get(f"{match.form}_timestamp") or "").strip()
            taken = "" if stamp.startswith("[") else stamp  # "[not completed]"
        row.values = {
            "instrument_id": match.target,
            "answers": answers,
            "taken_at": taken,
            "source": "clinician",
            "field_names": dict(match.fields),
        }
        return row

    def _repeating_row(self, line, record, rid, base, instrument, mrns) -> SourceRow:
        instance = record.get("redcap_repeat_instance", "") or "1"
        key = f"{base}:{instrument}:{instance}"
        table = INSTRUMENT_TABLES.get(instrument)
        match = self.forms.get(instrument)
        if table is None and match is not None and match.status in ("instrument", "partial"):
            row = self._response_row(line, record, key, match)
            if row is None:
                return SourceRow(key, self.name, line, RESPONSES, error="no answers")
            row.values.setdefault("mrn", mrns.get(rid, rid))
            return row
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
