"""Loading cited knowledge files (YAML/JSON) that live under ``clinical/**/data/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def load_data_file(path: Path) -> Any:
    """Parse one YAML or JSON knowledge file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def data_files(folder: Path, *suffixes: str) -> list[Path]:
    wanted = suffixes or (".yaml", ".yml", ".json")
    return sorted(p for p in folder.iterdir() if p.suffix in wanted)
