"""`speciosa import csv`: JSON output and exit codes scripts can rely on."""

import json

from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.patients.models import Patient
from tests.dataio.conftest import write_csv

runner = CliRunner()


def _import(*args):
    return runner.invoke(app, ["import", "csv", *args, "--json"])


def test_clean_file_exits_0_with_json_summary(prescriber, program, tmp_path):
    path = write_csv(
        tmp_path / "patients.csv",
        ["mrn", "given_name", "family_name", "birth_date"],
        [["C1", "Ann", "Bee", "1991-01-01"]],
    )
    result = _import(str(path), "-p", program.code, "-u", prescriber.username)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True and body["results"][0]["imported"] == 1
    assert Patient.objects.filter(program=program, mrn="C1").exists()


def test_rejected_rows_exit_1(prescriber, program, patients_csv):
    result = _import(str(patients_csv), "-p", program.code, "-u", prescriber.username)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["results"][0]["rejected"] == 3


def test_unknown_program_exits_2(prescriber, patients_csv):
    result = _import(str(patients_csv), "-p", "nope", "-u", prescriber.username)
    assert result.exit_code == 2
    assert "no program" in json.loads(result.stdout)["error"]


def test_unknown_column_exits_2(prescriber, program, tmp_path):
    path = write_csv(tmp_path / "patients.csv", ["mrn", "nickname"], [["A", "b"]])
    result = _import(str(path), "-p", program.code, "-u", prescriber.username)
    assert result.exit_code == 2
    assert "nickname" in json.loads(result.stdout)["error"]


def test_outsider_exits_3_and_imports_nothing(outsider, program, patients_csv):
    result = _import(str(patients_csv), "-p", program.code, "-u", outsider.username)
    assert result.exit_code == 3
    assert not Patient.objects.filter(program=program).exists()
