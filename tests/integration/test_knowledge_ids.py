"""Knowledge files of different modules name instruments by id: every id must exist.

Safety rules, plan pathways, outcome measures and study protocols were written by
different people; a typo ("asrs" for "asrs_screener") would silently never fire.
"""

import re
from pathlib import Path

from speciosa.clinical.instruments.catalog import load_catalog

CLINICAL = Path(__file__).resolve().parents[2] / "src" / "speciosa" / "clinical"
SINGLE = re.compile(r"instrument(?:_id)?:\s*([A-Za-z0-9_-]+)")
LISTED = re.compile(r"instruments:\s*\[([^\]]*)\]")
# study measures that are not questionnaires (Timeline Followback days of kratom use)
NON_INSTRUMENT_MEASURES = {"tlfb_kratom"}


def referenced_ids() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in CLINICAL.glob("*/data/**/*.y*ml"):
        if path.name.endswith(".scoring.yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        ids = set(SINGLE.findall(text))
        for group in LISTED.findall(text):
            ids |= {part.strip() for part in group.split(",") if part.strip()}
        if ids:
            found[str(path.relative_to(CLINICAL))] = ids
    return found


def test_knowledge_files_reference_instruments():
    assert len(referenced_ids()) >= 3


def test_every_referenced_instrument_exists():
    known = set(load_catalog()) | NON_INSTRUMENT_MEASURES
    unknown = {
        f"{file}: {i}" for file, ids in referenced_ids().items() for i in ids if i not in known
    }
    assert unknown == set()
