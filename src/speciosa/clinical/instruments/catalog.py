"""The instrument library: FHIR Questionnaires plus their scoring blocks, loaded once.

Each instrument is two files under ``data/``: ``<id>.json`` (FHIR R4 Questionnaire with
answer weights) and ``<id>.scoring.yaml`` (rules, bands, citations). A program may supply
a folder (``settings.SPECIOSA_INSTRUMENT_DIR``) with:

- ``<id>.json`` + ``<id>.scoring.yaml``: an instrument we cannot ship (e.g. the KDS), or a
  local replacement of a bundled one;
- ``<id>.wording.json``: ``{"items": {"<linkId>": "<text>"}}`` with licensed item wording
  that is merged into the Questionnaire for display (ASRS, C-SSRS, SOWS, LDQ).

Wording never changes scoring: weights come only from the Questionnaire's answer options.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from speciosa.clinical.errors import InvalidInput, NotFound
from speciosa.clinical.instruments.definitions import InstrumentScoring, TotalRule
from speciosa.clinical.knowledge import load_data_file

DATA_DIR = Path(__file__).parent / "data"
ORDINAL_URLS = (
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
)
MIN_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
YES_CODE, NO_CODE = "LA33-6", "LA32-8"  # LOINC answer codes for Yes / No
MAX_TEXT_ANSWER = 200


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    display: str
    weight: int
    system: str = ""


@dataclass(frozen=True)
class Item:
    """One question. ``lookup`` maps every accepted answer value to its weight."""

    link_id: str
    kind: str  # "choice", "integer" or "string"
    required: bool
    text: str = ""
    prefix: str = ""
    loinc: str | None = None
    options: tuple[Option, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    enable_when: tuple[tuple[str, str], ...] = ()  # (question linkId, answer code) all true
    lookup: Mapping[object, int] = field(default_factory=dict)
    codes: Mapping[object, str] = field(default_factory=dict)  # answer value -> option code
    is_yes_no: bool = False

    @property
    def is_scored(self) -> bool:
        return self.kind in ("choice", "integer")

    def allowed_values(self) -> str:
        if self.kind == "integer":
            return f"an integer from {self.min_value} to {self.max_value}"
        if self.is_yes_no:
            return "'yes' or 'no'"
        shown = ", ".join(f"{o.code!r}" for o in self.options)
        weights = ", ".join(str(o.weight) for o in self.options)
        return f"one of {shown} (or the item score: {weights})"


@dataclass(frozen=True)
class Instrument:
    id: str
    questionnaire: dict[str, Any]
    scoring: InstrumentScoring
    items: dict[str, Item]  # in questionnaire order

    @property
    def title(self) -> str:
        return self.scoring.title

    @property
    def is_scorable(self) -> bool:
        return self.scoring.total.rule is not TotalRule.NONE and bool(self.items)

    @property
    def scored_items(self) -> list[Item]:
        return [i for i in self.items.values() if i.is_scored]


def _weight(option: dict[str, Any]) -> int:
    for ext in option.get("extension", ()):
        if ext.get("url") in ORDINAL_URLS:
            value = ext["valueDecimal"]
            if int(value) != value:
                raise ValueError(f"non-integer answer weight {value}")
            return int(value)
    raise ValueError(f"answer option {option.get('valueCoding')} has no weight")


def _ext_int(item: dict[str, Any], url: str) -> int | None:
    for ext in item.get("extension", ()):
        if ext.get("url") == url:
            return int(ext["valueInteger"])
    return None


def _build_item(raw: dict[str, Any]) -> Item:
    link = raw["linkId"]
    kind = raw["type"]
    enable_when = tuple(
        (cond["question"], cond["answerCoding"]["code"]) for cond in raw.get("enableWhen", ())
    )
    common = {
        "link_id": link,
        "kind": kind,
        "required": bool(raw.get("required", False)),
        "text": raw.get("text", ""),
        "prefix": raw.get("prefix", ""),
        "loinc": next((c["code"] for c in raw.get("code", ())), None),
        "enable_when": enable_when,
    }
    if kind == "integer":
        low, high = _ext_int(raw, MIN_URL), _ext_int(raw, MAX_URL)
        if low is None or high is None:
            raise ValueError(f"integer item {link} needs minValue and maxValue")
        values: dict[object, int] = {n: n for n in range(low, high + 1)}
        return Item(
            **common,
            min_value=low,
            max_value=high,
            lookup=values,
            codes={n: str(n) for n in values},
        )
    if kind == "string":
        return Item(**common)
    if kind != "choice":
        raise ValueError(f"item {link}: unsupported type {kind}")
    options = tuple(
        Option(
            o["valueCoding"]["code"],
            o["valueCoding"].get("display", ""),
            _weight(o),
            o["valueCoding"].get("system", ""),
        )
        for o in raw["answerOption"]
    )
    lookup: dict[object, int] = {}
    codes: dict[object, str] = {}
    is_yes_no = {o.code for o in options} == {YES_CODE, NO_CODE}
    for o in options:
        lookup[o.code] = o.weight
        codes[o.code] = o.code
        if is_yes_no:
            # yes/no items: weights can be reversed (DAST-10 item 3), so answers are named
            # ("yes"/"no"/True/False), never given as a number.
            alias: tuple[object, ...] = ("yes", True) if o.code == YES_CODE else ("no", False)
            for value in alias:
                lookup[value] = o.weight
                codes[value] = o.code
    if not is_yes_no and len({o.weight for o in options}) == len(options):
        # distinct weights: the item score itself is an unambiguous answer value
        for o in options:
            lookup[o.weight] = o.weight
            codes[o.weight] = o.code
    return Item(**common, options=options, lookup=lookup, codes=codes, is_yes_no=is_yes_no)


def fhir_id(instrument_id: str) -> str:
    """The Questionnaire.id of an instrument (FHIR ids allow [A-Za-z0-9.-], no '_')."""
    return instrument_id.replace("_", "-")


def build_instrument(questionnaire: dict[str, Any], scoring: InstrumentScoring) -> Instrument:
    if questionnaire.get("id") != fhir_id(scoring.id):
        raise ValueError(f"questionnaire id {questionnaire.get('id')} != {fhir_id(scoring.id)}")
    items = {raw["linkId"]: _build_item(raw) for raw in questionnaire.get("item", ())}
    referenced: set[str] = set(scoring.total.items or ()) | set(scoring.total.thresholds or ())
    for sub in scoring.subscales:
        referenced |= set(sub.items or ()) | set(sub.thresholds or ())
    referenced |= {c.item for c in scoring.critical if c.item}
    if scoring.risk_levels:
        referenced |= {i for level in scoring.risk_levels.levels for i in level.any_of}
    unknown = referenced - set(items)
    if unknown:
        raise ValueError(f"{scoring.id}: scoring refers to unknown items {sorted(unknown)}")
    return Instrument(id=scoring.id, questionnaire=questionnaire, scoring=scoring, items=items)


def _load_pair(folder: Path, instrument_id: str) -> Instrument:
    questionnaire = load_data_file(folder / f"{instrument_id}.json")
    scoring = InstrumentScoring.model_validate(
        load_data_file(folder / f"{instrument_id}.scoring.yaml")
    )
    return build_instrument(questionnaire, scoring)


def _ids_in(folder: Path) -> list[str]:
    return sorted(
        p.name.removesuffix(".scoring.yaml")
        for p in folder.glob("*.scoring.yaml")
        if (folder / p.name.replace(".scoring.yaml", ".json")).exists()
    )


@lru_cache(maxsize=8)
def load_catalog(program_dir: str = "") -> dict[str, Instrument]:
    """All instruments: the bundled ones, replaced/extended by ``program_dir`` if given."""
    catalog = {i: _load_pair(DATA_DIR, i) for i in _ids_in(DATA_DIR)}
    if program_dir:
        folder = Path(program_dir)
        if folder.is_dir():
            for instrument_id in _ids_in(folder):
                catalog[instrument_id] = _load_pair(folder, instrument_id)
    return catalog


def get_instrument(instrument_id: str, program_dir: str = "") -> Instrument:
    try:
        return load_catalog(program_dir)[instrument_id]
    except KeyError:
        raise NotFound(f"Instrument {instrument_id!r} not found") from None


def require_scorable(instrument: Instrument) -> None:
    if not instrument.is_scorable:
        raise InvalidInput(
            "instrument_id",
            f"{instrument.id} is a draft without verified items or scoring; a program that "
            "holds the instrument supplies it in SPECIOSA_INSTRUMENT_DIR",
        )


def questionnaire_for_display(instrument: Instrument, program_dir: str = "") -> dict[str, Any]:
    """The Questionnaire with program-supplied wording merged in (a copy; cache untouched)."""
    if not program_dir:
        return instrument.questionnaire
    path = Path(program_dir) / f"{instrument.id}.wording.json"
    if not path.exists():
        return instrument.questionnaire
    wording = json.loads(path.read_text(encoding="utf-8")).get("items", {})
    merged = copy.deepcopy(instrument.questionnaire)
    for raw in merged.get("item", ()):
        if raw["linkId"] in wording:
            raw["text"] = str(wording[raw["linkId"]])
    return merged
