"""demo-data on the bulk path: reproducible by seed, extendable, audited per chunk."""

from speciosa.demo.generate import generate_demo_program
from speciosa.demo.steps import demo_steps
from speciosa.patients.models import LabResult, Patient

SKIP = {name for name, _step in demo_steps()}  # the base generator only


def _fingerprint():
    return list(
        Patient.objects.order_by("mrn").values_list("uid", "mrn", "given_name", "birth_date")
    )


def test_same_seed_gives_the_same_patients(db):
    summary = generate_demo_program(patients=30, seed=5, skip_steps=SKIP)
    first = _fingerprint()
    assert summary["patients_created"] == 30
    assert summary["rows_created"]["lab"] == LabResult.objects.count()
    Patient.objects.all().delete()
    generate_demo_program(patients=30, seed=5, skip_steps=SKIP)
    assert _fingerprint() == first


def test_running_again_extends_the_program_without_uid_clashes(db):
    generate_demo_program(patients=10, seed=5, skip_steps=SKIP)
    generate_demo_program(patients=10, seed=5, skip_steps=SKIP)
    assert Patient.objects.filter(program__code="demo").count() == 20
