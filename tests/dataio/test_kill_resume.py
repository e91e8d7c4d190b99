"""`kill -9` in the middle of an import, then resume: exact counts, no duplicates.

Runs the real CLI in a subprocess against its own SQLite file, kills it with SIGKILL once
some chunks are committed, then runs the same command again.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.dataio.conftest import write_csv

ROWS = 3000
BAD_LINES = {500, 1500, 2900}  # data rows with an impossible birth date


def _cli(env, *args):
    return [sys.executable, "-m", "speciosa.cli", *args]


def _count(db, sql):
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.slow
def test_kill_9_mid_import_then_resume_imports_every_row_exactly_once(tmp_path):
    db = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "SPECIOSA_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "speciosa.settings",
    }
    subprocess.run(_cli(env, "migrate"), env=env, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from speciosa.accounts.models import Program, User, Membership;"
            "p = Program.objects.create(code='kr', name='Kill Resume');"
            "u = User.objects.create_user(username='importer', password='x');"
            "Membership.objects.create(user=u, program=p, role='prescriber')",
        ],
        env=env,
        check=True,
    )
    rows = [
        [f"K{i:05d}", "Test", f"Row{i}", "2999-01-01" if i in BAD_LINES else "1980-01-01"]
        for i in range(ROWS)
    ]
    path = write_csv(
        tmp_path / "patients.csv", ["mrn", "given_name", "family_name", "birth_date"], rows
    )
    args = ("import", "csv", str(path), "-p", "kr", "-u", "importer", "--chunk-size", "25")

    proc = subprocess.Popen(
        _cli(env, *args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )  # noqa: E501
    deadline = time.monotonic() + 600  # a loaded machine can take a minute to start it
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(db, "SELECT count(*) FROM dataio_importedrow") >= 100:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = _count(db, "SELECT count(*) FROM dataio_importedrow")
    assert proc.returncode == -signal.SIGKILL
    assert 0 < committed < ROWS - len(BAD_LINES), "the kill must land mid-import"
    # chunk atomicity: records and keys were committed together
    assert _count(db, "SELECT count(*) FROM patients_patient") == committed

    resumed = subprocess.run(
        _cli(env, *args, "--json"), env=env, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 1, resumed.stderr  # 1: finished, some rows rejected
    result = json.loads(resumed.stdout)["results"][0]
    good = ROWS - len(BAD_LINES)
    assert result["already_imported"] == committed
    assert result["imported"] == good - committed
    assert result["rejected"] == len(BAD_LINES)
    assert _count(db, "SELECT count(*) FROM patients_patient") == good
    assert _count(db, "SELECT count(DISTINCT mrn) FROM patients_patient") == good
    assert _count(db, "SELECT count(*) FROM dataio_importedrow") == good
    assert _count(db, "SELECT count(*) FROM audit_auditevent WHERE action='create'") == good
    with open(result["rejects_path"]) as fh:
        lines = sorted(int(line.split(",")[1]) for line in fh.readlines()[1:])
    assert lines == sorted(i + 2 for i in BAD_LINES)  # header is line 1, row i is line i+2
