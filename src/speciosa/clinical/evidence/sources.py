"""The citation library shared by safety rules and evidence cards (``data/sources.yaml``)."""

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
    raw: dict[str, Any] = load_data_file(path)["sources"]
    return {key: Citation.model_validate(value) for key, value in raw.items()}


def resolve_sources(ids: list[str], *, owner: str) -> tuple[Citation, ...]:
    """Citations for ``ids``; ``owner`` (a rule or card id) names the culprit on error."""
    library = load_sources()
    missing = [i for i in ids if i not in library]
    if missing:
        raise UnknownSource(f"{owner}: unknown source id(s) {', '.join(missing)}")
    return tuple(library[i] for i in ids)
