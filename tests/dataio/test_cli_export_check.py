"""`speciosa export` and `speciosa check`: JSON output and exit codes."""

import json

from typer.testing import CliRunner

from speciosa.cli import app
from tests.factories import make_patient

runner = CliRunner()


def test_export_writes_files_and_reports_counts(director, program, tmp_path):
    make_patient(program, mrn="E1")
    result = runner.invoke(
        app, ["export", str(tmp_path), "-p", program.code, "-u", director.username, "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["files"]["patients.csv"] == 1
    assert "E1" in (tmp_path / "patients.csv").read_text()


def test_export_by_a_role_without_export_records_exits_3(nurse, program, tmp_path):
    result = runner.invoke(
        app, ["export", str(tmp_path), "-p", program.code, "-u", nurse.username, "--json"]
    )
    assert result.exit_code == 3
    assert json.loads(result.stdout)["ok"] is False


def test_export_unknown_format_exits_2(director, program, tmp_path):
    result = runner.invoke(
        app, ["export", str(tmp_path), "-p", program.code, "-u", director.username, "-f", "xls"]
    )
    assert result.exit_code == 2


def test_check_reports_a_healthy_database_as_json(db):
    result = runner.invoke(app, ["check", "--json"])
    body = json.loads(result.stdout)
    assert body["database"]["reachable"] is True
    assert result.exit_code == (0 if body["ok"] else 1)
    assert body["database"]["pending_migrations"] == 0


def test_redcap_import_reports_json(prescriber, program, tmp_path):
    from pathlib import Path

    data = Path(__file__).parent / "data"
    result = runner.invoke(
        app,
        [
            "import",
            "redcap",
            "-d",
            str(data / "redcap_dictionary.csv"),
            "-r",
            str(data / "redcap_records.csv"),
            "-p",
            program.code,
            "-u",
            prescriber.username,
            "--rejects",
            str(tmp_path / "rej.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 1  # two bad values, two records of the partial phq9 form
    body = json.loads(result.stdout)["results"][0]
    assert (body["imported"], body["rejected"]) == (5, 4)
