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


def test_program_recheck_facts_give_the_same_findings_as_full_facts(db):
    """The whole-program re-check loads only what the rules read (first + latest score
    per instrument, no unread fields); on demo data with ~50 scores per patient every
    patient's findings equal those from the complete facts."""
    from speciosa.clinical.safety.engine import default_index, evaluate
    from speciosa.demo.generate import generate_demo_program
    from speciosa.patients.facts import build_facts_for_patients
    from speciosa.patients.models import Patient
    from speciosa.safety.services import EVERYTHING, plan_for

    generate_demo_program(patients=40, seed=5, skip_steps=["plans", "research"])
    patients = list(Patient.objects.filter(program__code="demo").order_by("id"))
    needs = plan_for(EVERYTHING).needs
    full = build_facts_for_patients(patients)
    narrow = build_facts_for_patients(patients, needs=needs)
    assert sum(len(f.scores) for f in narrow.values()) < sum(len(f.scores) for f in full.values())
    index = default_index()
    found = 0
    for p in patients:
        expected = sorted(f.rule_id for f in evaluate(full[p.pk], index))
        assert sorted(f.rule_id for f in evaluate(narrow[p.pk], index)) == expected
        found += len(expected)
    assert found > 0
