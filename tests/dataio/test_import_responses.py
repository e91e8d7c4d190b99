"""Responses from CSV go through measures.services.record_response (scored, audited)."""

import csv
import json

from speciosa.clinical.instruments import get_instrument
from speciosa.dataio.importer import import_source
from speciosa.dataio.sources import CsvSource
from speciosa.measures.models import Score
from tests.dataio.conftest import write_csv


def _phq9(option_index: int) -> dict[str, str]:
    instrument = get_instrument("phq9")
    return {
        item.link_id: item.options[option_index].code
        for item in instrument.items.values()
        if item.required and item.is_scored and item.options
    }


def _file(tmp_path, patient):
    bad = _phq9(1)
    bad.pop(next(iter(bad)))  # an item left out
    return write_csv(
        tmp_path / "responses.csv",
        ["mrn", "instrument_id", "answers", "taken_at"],
        [
            [patient.mrn, "phq9", json.dumps(_phq9(1)), "2026-01-10T09:00:00+00:00"],
            [patient.mrn, "phq9", json.dumps(bad), "2026-01-17T09:00:00+00:00"],
            [patient.mrn, "phq9", "not json", ""],
        ],
    )


def test_valid_response_is_scored_by_the_engine(prescriber, program, patient, tmp_path):
    result = import_source(
        actor=prescriber, program=program, source=CsvSource(_file(tmp_path, patient))
    )
    score = Score.objects.get(patient=patient)
    assert result.by_table == {"responses": 1}
    assert (score.instrument_id, score.total) == ("phq9", 9)


def test_incomplete_and_malformed_answers_are_rejected(prescriber, program, patient, tmp_path):
    result = import_source(
        actor=prescriber, program=program, source=CsvSource(_file(tmp_path, patient))
    )
    with open(result.rejects_path, newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["line"])
    assert [r["line"] for r in rows] == ["3", "4"]
    assert rows[1]["field"] == "answers"


def test_rerun_does_not_score_twice(prescriber, program, patient, tmp_path):
    path = _file(tmp_path, patient)
    import_source(actor=prescriber, program=program, source=CsvSource(path))
    again = import_source(actor=prescriber, program=program, source=CsvSource(path))
    assert again.already_imported == 1
    assert Score.objects.filter(patient=patient).count() == 1


def test_taken_at_is_optional(prescriber, program, patient, tmp_path):
    path = write_csv(
        tmp_path / "responses.csv",
        ["mrn", "instrument_id", "answers", "taken_at"],
        [[patient.mrn, "phq9", json.dumps(_phq9(0)), ""]],
    )
    result = import_source(actor=prescriber, program=program, source=CsvSource(path))
    assert result.rejected == 0
    assert Score.objects.get(patient=patient).total == 0
