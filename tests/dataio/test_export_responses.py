"""Questionnaire responses in the CSV/Parquet export (issue 10): export -> wipe -> import
gives back the same answers and, re-scored by record_response, the same scores."""

import csv
import json
from datetime import timedelta

import orjson
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.clinical.instruments import get_instrument
from speciosa.clinical.instruments.responses import stored_answers
from speciosa.dataio.exporter import export_program, iter_export_rows
from speciosa.dataio.importer import import_source
from speciosa.dataio.sources import csv_sources
from speciosa.dataio.tables import RESPONSE_COLUMNS
from speciosa.measures.models import QuestionnaireResponse, Score
from speciosa.measures.services import record_response
from tests.dataio.test_export import _seed, snapshot, wipe
from tests.factories import make_patient


def _by_option(instrument_id: str, index: int) -> dict[str, str]:
    """Option codes of every required item: the ``index``-th option (wrapping)."""
    instrument = get_instrument(instrument_id)
    return {
        i.link_id: i.options[index % len(i.options)].code
        for i in instrument.items.values()
        if i.required and i.options
    }


# (MRN, instrument, answers, source, days ago): codes, item scores, integers, free text
# with CSV quoting, yes/no with a reversed item (DAST-10 item 3) and skip logic (C-SSRS),
# a sex-specific screen (AUDIT-C) and a critical PHQ-9 item 9
RESPONSES = [
    (
        "RT0",
        "phq9",
        {**{f"phq9-{k}": 1 for k in range(1, 9)}, "phq9-9": 2, "phq9-10": "somewhat-difficult"},
        "clinician",
        30,
    ),
    ("RT0", "phq9", _by_option("phq9", 0), "self_report", 2),
    ("RT0", "craving_nrs", {"craving-1": 7, "craving-substance": 'kratom "shots", 7-OH'}, "", 1),
    (
        "RT1",
        "cssrs",
        {"cssrs-1": "yes", "cssrs-2": "no", "cssrs-6": "yes", "cssrs-6a": "no"},
        "",
        9,
    ),
    (
        "RT1",
        "dast10",
        {f"dast-{k}": "yes" if k <= 3 else "no" for k in range(1, 11)},
        "self_report",
        8,
    ),
    ("RT1", "audit_c", {"audit-1": 3, "audit-2": "2", "audit-3": 1}, "", 7),
    ("RT2", "gad7", _by_option("gad7", 2), "self_report", 5),
    ("RT2", "cows", _by_option("cows", 1), "clinician", 4),
    ("RT2", "craving_nrs", {"craving-1": 0}, "clinician", 3),
]


def _record(actor, program) -> None:
    patients = {p.mrn: p for p in _seed(program)}
    now = timezone.now().replace(microsecond=654321)
    for mrn, instrument_id, answers, source, days in RESPONSES:
        record_response(
            actor=actor,
            patient=patients[mrn],
            instrument_id=instrument_id,
            answers=answers,
            taken_at=now - timedelta(days=days, minutes=days),
            source=source or "clinician",
        )


def responses_by_patient(program) -> dict[str, list[tuple]]:
    """MRN -> every response as given (instrument, version, time, source, answers)."""
    out: dict[str, list[tuple]] = {}
    qs = QuestionnaireResponse.objects.filter(program=program).select_related("patient")
    for r in qs:
        answers = sorted(stored_answers(r.resource, get_instrument(r.instrument_id)).items())
        row = (r.instrument_id, r.instrument_version, r.authored_at, r.source, answers)
        out.setdefault(r.patient.mrn, []).append(row)
    return {mrn: sorted(rows, key=repr) for mrn, rows in out.items()}


def scores_by_patient(program) -> dict[str, list[tuple]]:
    """MRN -> every Score's computed values (totals, bands, flags, subscales, items)."""
    out: dict[str, list[tuple]] = {}
    for s in Score.objects.filter(program=program).select_related("patient"):
        row = (
            s.instrument_id,
            s.taken_at,
            s.total,
            s.band,
            s.is_positive,
            s.critical_items,
            s.critical_flags,
            s.subscales,
            sorted(s.items.items()),
            s.completeness,
            s.notes,
        )
        out.setdefault(s.patient.mrn, []).append(row)
    return {mrn: sorted(rows, key=repr) for mrn, rows in out.items()}


def test_csv_round_trip_reproduces_the_responses_and_their_scores(
    director, prescriber, program, tmp_path
):
    _record(prescriber, program)
    tables, responses, scores = (
        snapshot(program),
        responses_by_patient(program),
        scores_by_patient(program),
    )
    assert sum(map(len, scores.values())) == len(RESPONSES)
    assert any(row[5] == ["phq9-9"] for row in scores["RT0"])  # the critical item is there
    result = export_program(actor=director, program=program, out_dir=tmp_path / "out")
    assert result.files["responses.csv"] == len(RESPONSES)
    wipe(program)
    assert not QuestionnaireResponse.objects.filter(program=program).exists()
    for source in csv_sources(tmp_path / "out"):
        outcome = import_source(actor=prescriber, program=program, source=source)
        assert outcome.rejected == 0, outcome.rejects_path
    assert responses_by_patient(program) == responses
    assert scores_by_patient(program) == scores
    assert snapshot(program) == tables


def test_responses_csv_has_the_import_columns_and_answer_json(
    director, prescriber, program, tmp_path
):
    _record(prescriber, program)
    export_program(actor=director, program=program, out_dir=tmp_path, tables=["responses"])
    with (tmp_path / "responses.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == RESPONSE_COLUMNS
    craving = next(r for r in rows if r["instrument_id"] == "craving_nrs" and r["mrn"] == "RT0")
    # an integer item stays a number, free text stays text
    assert json.loads(craving["answers"]) == {
        "craving-1": 7,
        "craving-substance": 'kratom "shots", 7-OH',
    }
    dast = next(r for r in rows if r["instrument_id"] == "dast10")
    # yes/no items export their option code, not the (here reversed) item score
    assert json.loads(dast["answers"])["dast-3"] == "LA33-6"
    assert {r["source"] for r in rows} == {"clinician", "self_report"}


def test_parquet_export_holds_the_responses_table(director, prescriber, program, tmp_path):
    import pyarrow.parquet as pq

    _record(prescriber, program)
    result = export_program(actor=director, program=program, out_dir=tmp_path, fmt="parquet")
    assert result.files["responses.parquet"] == len(RESPONSES)
    table = pq.read_table(tmp_path / "responses.parquet")
    assert tuple(table.column_names) == RESPONSE_COLUMNS
    assert str(table.schema.field("taken_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("answers").type) == "string"
    exported = sorted(
        (r["mrn"], r["instrument_id"], r["taken_at"], r["source"], orjson.loads(r["answers"]))
        for r in table.to_pylist()
    )
    stored = sorted(
        (r.patient.mrn, r.instrument_id, r.authored_at, r.source, stored_answers(r.resource))
        for r in QuestionnaireResponse.objects.filter(program=program).select_related("patient")
    )
    assert exported == stored


def test_export_holds_only_the_programs_responses(
    director, prescriber, program, other_program, tmp_path
):
    from speciosa.accounts.models import Role
    from tests.factories import make_user

    outsider_patient = make_patient(other_program, mrn="ELSEWHERE")
    record_response(
        actor=make_user(other_program, Role.PRESCRIBER),
        patient=outsider_patient,
        instrument_id="phq9",
        answers=_by_option("phq9", 1),
    )
    _record(prescriber, program)
    result = export_program(actor=director, program=program, out_dir=tmp_path, tables=["responses"])
    assert result.files == {"responses.csv": len(RESPONSES)}
    assert "ELSEWHERE" not in (tmp_path / "responses.csv").read_text()


def test_response_pages_are_keyset_pages_one_query_each(prescriber, program):
    patient = make_patient(program)
    for k in range(7):
        record_response(
            actor=prescriber, patient=patient, instrument_id="phq9", answers=_by_option("phq9", k)
        )
    with CaptureQueriesContext(connection) as queries:
        pages = list(iter_export_rows("responses", program.pk, page=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert len(queries) == 4  # 3 pages + the empty one that ends the walk
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert all("OFFSET" not in s and "LIMIT 3" in s for s in sql)
    assert all('"MEASURES_QUESTIONNAIRERESPONSE"."ID" >' in s for s in sql[1:])


def test_cli_table_option_selects_responses(director, prescriber, program, tmp_path):
    _record(prescriber, program)
    args = ["export", str(tmp_path), "-p", program.code, "-u", director.username]
    result = CliRunner().invoke(app, [*args, "-t", "responses", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == {"responses.csv": len(RESPONSES)}
    assert not (tmp_path / "patients.csv").exists()


def _response_uids(program) -> set[str]:
    return {
        str(u)
        for u in QuestionnaireResponse.objects.filter(program=program).values_list("uid", flat=True)
    }


def test_round_trip_keeps_each_responses_uid(director, prescriber, program, tmp_path):
    _record(prescriber, program)
    before = _response_uids(program)
    export_program(actor=director, program=program, out_dir=tmp_path / "out")
    with (tmp_path / "out" / "responses.csv").open(newline="") as fh:
        assert {r["uid"] for r in csv.DictReader(fh)} == before
    wipe(program)
    for source in csv_sources(tmp_path / "out"):
        outcome = import_source(actor=prescriber, program=program, source=source)
        assert outcome.rejected == 0, outcome.rejects_path
    assert _response_uids(program) == before
    # the stored FHIR resource carries the same id, and the new score points at it
    for r in QuestionnaireResponse.objects.filter(program=program):
        assert r.resource["id"] == str(r.uid)
        assert Score.objects.get(response=r).response_id == r.pk


def test_a_taken_or_malformed_response_uid_is_rejected_and_nothing_doubles(
    director, prescriber, program, tmp_path
):
    _record(prescriber, program)
    export_program(actor=director, program=program, out_dir=tmp_path, tables=["responses"])
    with (tmp_path / "responses.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    taken = rows[0]
    fresh = {**rows[1], "uid": "3f0c1b6e-8d1a-4c55-9d0e-0a7b6c5d4e3f"}
    twice = {**rows[2], "uid": "3f0c1b6e-8d1a-4c55-9d0e-0a7b6c5d4e3f"}
    bad = {**rows[3], "uid": "not-a-uuid"}
    path = tmp_path / "again" / "responses.csv"
    path.parent.mkdir()
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=RESPONSE_COLUMNS)
        writer.writeheader()
        writer.writerows([taken, fresh, twice, bad])
    count = QuestionnaireResponse.objects.filter(program=program).count()
    (source,) = csv_sources(path.parent)
    outcome = import_source(actor=prescriber, program=program, source=source)
    assert (outcome.imported, outcome.rejected) == (1, 3)
    assert QuestionnaireResponse.objects.filter(program=program).count() == count + 1
    assert QuestionnaireResponse.objects.filter(uid=fresh["uid"]).exists()
    with open(outcome.rejects_path, newline="") as fh:
        reasons = {(r["line"], r["field"], r["reason"]) for r in csv.DictReader(fh)}
    assert reasons == {
        ("2", "uid", f"a record with uid {taken['uid']} already exists"),
        ("4", "uid", f"a record with uid {fresh['uid']} already exists"),
        ("5", "uid", "'not-a-uuid' is not a valid UUID"),
    }
