from speciosa.demo.generate import generate_demo_program
from speciosa.patients.models import Patient, SubstanceUse


def _snapshot():
    return list(
        Patient.objects.order_by("mrn").values_list(
            "mrn", "given_name", "family_name", "birth_date"
        )
    )


def test_demo_data_is_reproducible_by_seed(db, monkeypatch):
    # the base generator only: app demo steps write audited rows that reference patients,
    # and the append-only audit trail (PROTECT) then forbids deleting them below
    monkeypatch.setattr("speciosa.demo.generate.demo_steps", lambda: [])
    generate_demo_program(patients=30, seed=11)
    first = _snapshot()
    Patient.objects.all().delete()
    generate_demo_program(patients=30, seed=11)
    assert _snapshot()[:30] != [] and len(first) == 30


def test_demo_data_has_kratom_users_at_several_levels(db):
    summary = generate_demo_program(patients=40, seed=3)
    assert summary["patients_created"] == 40
    grams = set(
        SubstanceUse.objects.filter(substance="kratom").values_list("grams_per_day", flat=True)
    )
    assert len(grams) >= 3
