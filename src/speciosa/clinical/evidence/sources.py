"""The one citation library (``data/sources.yaml``): safety rules, drug classes, evidence
cards and the treatment-plan library cite its ids, so a source is corrected in one place.

An entry may list ``aliases``: ids it had before (treatment-plan versions stored before the
plan library's own citation file was merged here cite those); they resolve to the entry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file

DATA_DIR = Path(__file__).parent / "data"


class UnknownSource(KeyError):
    """A rule or card names a source id that is not in the library."""


@cache
def load_sources(path: Path = DATA_DIR / "sources.yaml") -> dict[str, Citation]:
    """Entry id -> Citation (canonical ids only)."""
    raw: dict[str, Any] = load_data_file(path)["sources"]
    return {
        key: Citation.model_validate({k: v for k, v in value.items() if k != "aliases"})
        for key, value in raw.items()
    }


@cache
def source_ids(path: Path = DATA_DIR / "sources.yaml") -> dict[str, str]:
    """Every id a citation may be named by (canonical ids and aliases) -> canonical id."""
    raw: dict[str, Any] = load_data_file(path)["sources"]
    ids = {key: key for key in raw}
    for key, value in raw.items():
        for alias in value.get("aliases", []):
            if alias in ids:
                raise ValueError(f"source alias {alias!r} of {key} is already an id")
            ids[alias] = key
    return ids


def resolve_sources(ids: list[str], *, owner: str) -> tuple[Citation, ...]:
    """Citations for ``ids`` (aliases allowed); ``owner`` (a rule or card id) names the
    culprit on error."""
    library, names = load_sources(), source_ids()
    missing = [i for i in ids if i not in names]
    if missing:
        raise UnknownSource(f"{owner}: unknown source id(s) {', '.join(missing)}")
    return tuple(library[names[i]] for i in ids)
