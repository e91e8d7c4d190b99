"""Loader for ``data/safety_reporting.yaml`` (reporting clocks, liver-injury thresholds)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from speciosa.clinical.citations import Citation
from speciosa.clinical.knowledge import load_data_file

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class ReportingClock:
    id: str
    applies_to: str
    hours: int
    recipient: str
    text: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class LiverThreshold:
    id: str
    text: str
    aminotransferase_times_uln: float
    bilirubin_times_uln: float | None
    citation: Citation


@cache
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = load_data_file(DATA_DIR / "safety_reporting.yaml")
    return data


@cache
def reporting_clocks() -> dict[str, ReportingClock]:
    clocks = {}
    for item in _raw()["reporting_clocks"]:
        clocks[item["id"]] = ReportingClock(
            id=item["id"],
            applies_to=item["applies_to"],
            hours=int(item["hours"]),
            recipient=item["recipient"],
            text=" ".join(item["text"].split()),
            citation=Citation.model_validate(item["citation"]),
        )
    return clocks


@cache
def liver_thresholds() -> tuple[LiverThreshold, ...]:
    return tuple(
        LiverThreshold(
            id=item["id"],
            text=item["text"],
            aminotransferase_times_uln=float(item["aminotransferase_times_uln"]),
            bilirubin_times_uln=(
                float(item["bilirubin_times_uln"])
                if item["bilirubin_times_uln"] is not None
                else None
            ),
            citation=Citation.model_validate(item["citation"]),
        )
        for item in _raw()["liver_injury"]
    )


def severity_citation() -> Citation:
    return Citation.model_validate(_raw()["severity_grades"]["citation"])
