import pytest

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import Conflict
from speciosa.clinical.research.randomization import ArmRatio, permuted_block_list
from speciosa.clinical.research.study_status import StudyStatus
from speciosa.patients.facts import build_patient_facts
from speciosa.research import services
from speciosa.research.models import RandomizationEntry
from speciosa.research.queries import allocated_entries
from tests.factories import add_kratom_use, make_patient
from tests.research.conftest import enrol


def _candidates(program, n):
    patients = []
    for _ in range(n):
        p = make_patient(program, sex_at_birth="male")
        add_kratom_use(p)
        patients.append(p)
    return patients


def test_allocations_follow_the_reproducible_list(study, program, prescriber):
    arms = [e.arm.code for e in (enrol(study, p, prescriber) for p in _candidates(program, 6))]
    expected = permuted_block_list(
        [ArmRatio("bup"), ArmRatio("taper")],
        seed=2026,
        stratum="adhd=no",
        size=6,
        block_multipliers=(1, 2, 3),
    )
    assert arms == [a.arm for a in expected[:6]]


def test_every_allocation_is_audited(enrolment):
    event = AuditEvent.objects.get(object_id=str(enrolment.uid))
    assert event.detail["event"] == "randomization"
    assert event.detail["arm"] == enrolment.arm.code
    assert event.detail["list_sequence"] == 1


def test_unallocated_slots_stay_concealed(enrolment, study):
    assert RandomizationEntry.objects.filter(study=study).count() >= 60  # whole blocks
    assert [e.enrolment for e in allocated_entries(study)] == [enrolment]


def test_patient_facts_carry_the_study_arm(enrolment, candidate):
    facts = build_patient_facts(candidate)
    assert facts.study_arms == (f"KRT-01:{enrolment.arm.code}",)


def test_paused_study_refuses_randomization(study, director, candidate, prescriber):
    services.change_study_status(
        actor=director, study=study, status=StudyStatus.PAUSED, reason="DSMB review"
    )
    with pytest.raises(Conflict, match="DSMB review"):
        enrol(study, candidate, prescriber)


def test_minimization_study_allocates_without_a_list(director, program, prescriber):
    from tests.research.conftest import create_study, open_study

    study = open_study(
        director, create_study(director, program, randomization_method="minimization")
    )
    arms = [enrol(study, p, prescriber).arm.code for p in _candidates(program, 6)]
    assert abs(arms.count("bup") - arms.count("taper")) <= 2
    assert not RandomizationEntry.objects.filter(study=study).exists()
