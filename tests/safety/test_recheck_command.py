"""`speciosa safety recheck` and the demo step (order 20)."""

import json

from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.demo.steps import demo_steps
from speciosa.safety.models import Alert
from tests.factories import add_medication


def test_recheck_command_reports_created_alerts(kratom_patient):
    add_medication(kratom_patient, "lorazepam")
    result = CliRunner().invoke(app, ["safety", "recheck", "--program", "alpha", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["alpha"]["created"] == 1
    assert Alert.objects.filter(patient=kratom_patient, resolved_at__isnull=True).count() == 1


def test_recheck_unknown_program_exits_2(db):
    result = CliRunner().invoke(app, ["safety", "recheck", "--program", "nope"])
    assert result.exit_code == 2


def test_demo_step_is_registered_after_measures():
    names = [name for name, _ in demo_steps()]
    assert "safety" in names
    assert all(names.index("safety") > names.index(n) for n in ("measures",) if n in names)


def test_demo_data_raises_alerts(db):
    from speciosa.demo.generate import generate_demo_program

    generate_demo_program(patients=30, seed=7)
    assert Alert.objects.filter(program__code="demo").exists()
