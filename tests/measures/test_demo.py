"""The measures demo step: reproducible trajectories, all scored by the engine."""

from random import Random

from speciosa.accounts.models import Role
from speciosa.demo.steps import DemoContext
from speciosa.measures.demo import add_demo_scores
from speciosa.measures.models import Score
from tests.factories import make_patient, make_user


def run(program, seed):
    patients = [make_patient(program) for _ in range(12)]
    ctx = DemoContext(
        program=program,
        users={"nurse": make_user(program, Role.NURSE)},
        patient_ids=[p.pk for p in patients],
        rng=Random(seed),
        seed=seed,
        progress=lambda label, total: lambda n: None,
    )
    add_demo_scores(ctx)
    return patients


def test_demo_gives_every_patient_weekly_phq9(program):
    patients = run(program, 7)
    for p in patients:
        assert Score.objects.filter(patient=p, instrument_id="phq9").count() >= 3


def test_demo_is_reproducible(program, other_program):
    a = run(program, 3)
    b = run(other_program, 3)
    totals_a = [
        list(
            Score.objects.filter(patient=p)
            .order_by("taken_at", "instrument_id")
            .values_list("instrument_id", "total")
        )
        for p in a
    ]
    totals_b = [
        list(
            Score.objects.filter(patient=p)
            .order_by("taken_at", "instrument_id")
            .values_list("instrument_id", "total")
        )
        for p in b
    ]
    assert totals_a == totals_b
