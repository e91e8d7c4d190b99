"""REDCap questionnaire forms matched onto Speciosa instruments (tests/dataio/data/
redcap_project: enrolment, PHQ-9 at two events, repeating COWS, a GAD-7 form with only
four items, an unrelated visit_notes form) and imported as scored responses."""

import csv
import json
from pathlib import Path

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.clinical.instruments import get_instrument, score
from speciosa.dataio.importer import import_source
from speciosa.dataio.redcap import RedcapSource, map_choices
from speciosa.measures.models import QuestionnaireResponse, Score
from speciosa.patients.models import Patient
from tests.dataio.conftest import write_csv

PROJECT = Path(__file__).parent / "data" / "redcap_project"
DICTIONARY = PROJECT / "dictionary.csv"


def _records(kind: str) -> Path:
    return PROJECT / f"records.{kind}"


def _import(actor, program, tmp_path, kind="csv"):
    source = RedcapSource(DICTIONARY, _records(kind))
    return import_source(
        actor=actor, program=program, source=source, rejects_path=tmp_path / f"{kind}.rejects.csv"
    )


def _rejects(result):
    with open(result.rejects_path, newline="") as fh:
        return list(csv.DictReader(fh))


def _fixture_rows():
    with _records("csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_forms_are_matched_onto_instruments_tables_or_nothing():
    forms = RedcapSource(DICTIONARY, _records("csv")).forms
    assert {name: (m.status, m.target) for name, m in forms.items()} == {
        "enrolment": ("table", "patients"),
        "phq9": ("instrument", "phq9"),
        "cows": ("instrument", "cows"),
        "gad7": ("partial", "gad7"),
        "visit_notes": ("unmatched", ""),
    }
    assert forms["phq9"].fields["phq9-9"] == "phq9_9"
    assert forms["phq9"].fields["phq9-10"] == "phq9_10"  # the optional difficulty item
    assert "phq9_total" not in forms["phq9"].fields.values()  # calc fields are no answers
    assert forms["gad7"].missing == ["gad7-5 (gad7_5)", "gad7-6 (gad7_6)", "gad7-7 (gad7_7)"]
    assert forms["phq9"].date_field == "phq9_date"
    assert forms["cows"].date_field == "cows_datetime"


def test_coded_choices_map_onto_the_instruments_answer_codes():
    forms = RedcapSource(DICTIONARY, _records("csv")).forms
    phq9, cows = forms["phq9"], forms["cows"]
    # PHQ-9: by label ("2, More than half the days" -> LOINC LA6570-1)
    assert phq9.choices["phq9_1"] == {
        "0": "LA6568-5",
        "1": "LA6569-3",
        "2": "LA6570-1",
        "3": "LA6571-9",
    }
    assert phq9.choices["phq9_10"]["3"] == "extremely-difficult"
    # COWS: REDCap's own wording, codes are the instrument's codes (the item score)
    assert cows.choices["cows_1"] == {"0": "0", "1": "1", "2": "2", "4": "4"}
    assert not phq9.problems and not cows.problems


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_scores_equal_the_engines(prescriber, program, tmp_path, kind):
    result = _import(prescriber, program, tmp_path, kind)
    assert result.by_table == {"patients": 3, "responses": 5}
    by_key = {}  # (record, instrument, local date-time of the assessment) -> record row
    for row in _fixture_rows():
        form = row["redcap_repeat_instrument"] or "phq9"
        when = row["phq9_date"] + " 00:00" if form == "phq9" else row["cows_datetime"]
        by_key[(row["record_id"], form, when)] = row
    scores = Score.objects.filter(patient__program=program).select_related("response", "patient")
    assert sorted((s.patient.mrn, s.instrument_id) for s in scores) == [
        ("101", "cows"),
        ("101", "cows"),
        ("101", "phq9"),
        ("101", "phq9"),
        ("103", "cows"),
    ]
    for s in scores:
        when = timezone.localtime(s.taken_at).strftime("%Y-%m-%d %H:%M")
        row = by_key[(s.patient.mrn, s.instrument_id, when)]
        n = 9 if s.instrument_id == "phq9" else 11
        codes = [int(row[f"{s.instrument_id}_{i}"]) for i in range(1, n + 1)]
        # the REDCap calc field, the sum of the item codes, and the engine agree
        assert s.total == sum(codes) == int(row[f"{s.instrument_id}_total"])
        # the engine, fed the item scores straight from the REDCap record
        answers = {f"{s.instrument_id}-{i}": c for i, c in enumerate(codes, start=1)}
        engine = score(get_instrument(s.instrument_id), answers, sex=s.patient.sex_at_birth)
        assert (s.total, s.band) == (engine.total, engine.band)


def test_taken_at_comes_from_the_forms_date_field(prescriber, program, tmp_path):
    _import(prescriber, program, tmp_path)
    cows = Score.objects.filter(instrument_id="cows", patient__mrn="101").order_by("taken_at")
    assert [s.taken_at.strftime("%m-%d %H:%M") for s in cows] == ["01-06 08:30", "01-06 14:30"]


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_rejects_name_file_line_field_and_reason(prescriber, program, tmp_path, kind):
    result = _import(prescriber, program, tmp_path, kind)
    rows = {(r["line"], r["field"]): r for r in _rejects(result)}
    # CSV: physical lines (header = 1); JSON: the record's position in the array
    line = {"csv": lambda n: str(n), "json": lambda n: str(n - 1)}[kind]
    assert set(rows) == {
        (line(2), "gad7"),
        (line(5), "phq9_3"),
        (line(6), "cows_1"),
        (line(7), "phq9_5"),
    }
    assert all(r["file"] == f"records.{kind}" for r in rows.values())
    assert (
        "'7' is not one of the data dictionary's choices for phq9_3"
        in rows[(line(5), "phq9_3")]["reason"]
    )
    assert (
        "'3' is not one of the data dictionary's choices for cows_1"
        in rows[(line(6), "cows_1")]["reason"]
    )
    assert rows[(line(7), "phq9_5")]["reason"].startswith("phq9-5")  # required, blank
    assert "gad7-5 (gad7_5)" in rows[(line(2), "gad7")]["reason"]
    assert rows[(line(5), "phq9_3")]["key"] == "102:baseline_arm_1:phq9:1"
    assert result.rejected == 4


def test_rerun_creates_no_duplicates(prescriber, program, tmp_path):
    first = _import(prescriber, program, tmp_path)
    again = _import(prescriber, program, tmp_path)
    assert again.imported == 0 and again.already_imported == first.imported == 8
    assert Score.objects.filter(patient__program=program).count() == 5
    assert QuestionnaireResponse.objects.filter(patient__program=program).count() == 5
    assert again.rejected == 4  # rejects are recomputed, not lost


def test_a_positive_item_9_runs_the_safety_engine(prescriber, program, tmp_path):
    from speciosa.safety.models import Alert

    _import(prescriber, program, tmp_path)
    maya = Patient.objects.get(program=program, mrn="101")
    assert Score.objects.filter(patient=maya, instrument_id="phq9").count() == 2
    # week 4: item 9 answered "Several days" -> the PHQ-9 item 9 safety rule fires
    alerts = list(Alert.objects.filter(patient=maya).values_list("rule_id", flat=True))
    assert any("phq9" in rule or "suicid" in rule for rule in alerts), alerts
    darnell = Patient.objects.get(program=program, mrn="102")  # PHQ-9 rejected: no score
    assert not Score.objects.filter(patient=darnell).exists()


def test_form_report_lists_partial_and_unmatched_forms(prescriber, program, tmp_path):
    result = _import(prescriber, program, tmp_path)
    report = {f["form"]: f for f in result.forms}
    assert report["gad7"]["status"] == "partial"
    assert report["gad7"]["missing"] == ["gad7-5 (gad7_5)", "gad7-6 (gad7_6)", "gad7-7 (gad7_7)"]
    assert report["gad7"]["records"] == 1
    assert report["visit_notes"] == {"form": "visit_notes", "status": "unmatched", "records": 1}
    assert report["phq9"]["records"] == 4 and report["cows"]["records"] == 4


def test_a_dictionary_choice_with_no_instrument_answer_rejects_its_rows(
    prescriber, program, patient, tmp_path
):
    header = ["Variable / Field Name", "Form Name", "Field Type", "Field Label"]
    header.append("Choices, Calculations, OR Slider Labels")
    choices = "0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day"
    fields = [["record_id", "screening", "text", "ID", ""]]
    for i in range(1, 10):
        extra = " | 9, Refused" if i == 1 else ""
        fields.append([f"phq9_{i}", "phq_9", "radio", f"Item {i}", choices + extra])
    dictionary = write_csv(tmp_path / "dict.csv", header, fields)
    records = write_csv(
        tmp_path / "rec.csv",
        ["record_id"] + [f"phq9_{i}" for i in range(1, 10)],
        [[patient.mrn] + ["9"] + ["1"] * 8, [patient.mrn + "x"] + ["1"] * 9],
    )
    source = RedcapSource(dictionary, records)
    match = source.forms["phq_9"]
    assert (match.status, match.target) == ("instrument", "phq9")
    assert match.choices["phq9_1"]["9"] is None
    assert match.problems == [
        "phq9_1: 9, 'Refused' matches no phq9-1 answer "
        "(Not at all, Several days, More than half the days, Nearly every day)"
    ]
    result = import_source(
        actor=prescriber, program=program, source=source, rejects_path=tmp_path / "r.csv"
    )
    rows = _rejects(result)
    assert [(r["line"], r["field"]) for r in rows] == [("2", "phq9_1"), ("3", "mrn")]
    assert "9, 'Refused' matches no phq9-1 answer" in rows[0]["reason"]
    assert not Score.objects.filter(patient=patient).exists()


def test_choices_map_by_score_when_labels_differ_but_never_by_shifted_codes():
    item = get_instrument("phq9").items["phq9-1"]
    by_score, problems = map_choices(
        item, {"0": "Never", "1": "Sometimes", "2": "Often", "3": "Always"}
    )
    assert by_score["3"] == "LA6571-9" and not problems
    # 1-4 coding with its own labels: 4 is no PHQ-9 score, so nothing maps by code
    shifted, problems = map_choices(
        item, {"1": "Never", "2": "Sometimes", "3": "Often", "4": "Always"}
    )
    assert set(shifted.values()) == {None} and len(problems) == 4
    # 1-4 coding with the instrument's labels maps by label
    labelled, problems = map_choices(
        item,
        {
            "1": "Not at all",
            "2": "Several days",
            "3": "More than half the days",
            "4": "Nearly every day",
        },
    )
    assert labelled["1"] == "LA6568-5" and labelled["4"] == "LA6571-9" and not problems


def test_a_form_named_otherwise_matches_by_its_item_variables():
    from speciosa.clinical.instruments import load_catalog
    from speciosa.dataio.redcap import match_form

    meta = {f"cows_{i}": {"type": "radio", "choices": "", "validation": ""} for i in range(1, 12)}
    match = match_form("withdrawal_checks", list(meta), meta, load_catalog())
    assert (match.status, match.target) == ("instrument", "cows")
    meta4 = {k: v for k, v in meta.items() if k in {"cows_1", "cows_2", "cows_3", "cows_4"}}
    assert match_form("withdrawal_checks", list(meta4), meta4, load_catalog()).status == "unmatched"
    meta8 = {k: meta[k] for k in list(meta)[:8]}
    partial = match_form("withdrawal_checks", list(meta8), meta8, load_catalog())
    assert (partial.status, partial.target) == ("partial", "cows")


def test_cli_json_reports_forms_and_rejects(prescriber, program, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "import", "redcap", "-d", str(DICTIONARY), "-r", str(_records("csv")),
            "-p", program.code, "-u", prescriber.username, "--json",
            "--rejects", str(tmp_path / "r.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # finished, some rows rejected
    body = json.loads(result.stdout)
    (run,) = body["results"]
    assert run["by_table"] == {"patients": 3, "responses": 5}
    assert {f["form"]: f["status"] for f in run["forms"]}["gad7"] == "partial"


def test_cli_console_lists_how_each_form_matched(prescriber, program, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "import", "redcap", "-d", str(DICTIONARY), "-r", str(_records("csv")),
            "-p", program.code, "-u", prescriber.username, "--rejects", str(tmp_path / "r.csv"),
        ],
    )  # fmt: skip
    text = " ".join(result.output.split())
    assert "phq9 -> instrument phq9 (10 items)" in text
    assert (
        "form gad7 matches instrument gad7 only in part, not imported: no field for gad7-5" in text
    )
    assert "visit_notes matches no Speciosa table or instrument" in text
    assert "4 rejected" in text
