from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from speciosa.clinical.facts import KratomForm, Substance
from speciosa.patients.facts import build_facts_for_patients, build_patient_facts
from tests.factories import add_kratom_use, add_lab, add_medication, make_patient


def test_facts_carry_kratom_medications_and_labs(patient):
    add_kratom_use(patient, grams="20", form="seven_oh")
    add_medication(patient, "atomoxetine")
    add_lab(patient, "ALT", 180.0, ref_high=56.0)
    facts = build_patient_facts(patient)
    kratom = facts.kratom_use()
    assert kratom is not None
    assert (kratom.substance, kratom.kratom_form, kratom.grams_per_day) == (
        Substance.KRATOM,
        KratomForm.SEVEN_OH,
        Decimal("20.00"),
    )
    assert [m.name for m in facts.medications] == ["atomoxetine"]
    assert round(facts.labs[0].times_uln, 2) == 3.21


def test_facts_for_many_patients_use_a_fixed_number_of_queries(program):
    def build(n):
        patients = [make_patient(program) for _ in range(n)]
        for p in patients:
            add_kratom_use(p)
            add_medication(p, "methadone")
        with CaptureQueriesContext(connection) as ctx:
            facts = build_facts_for_patients(patients)
        assert len(facts) == n
        return len(ctx.captured_queries)

    assert build(2) == build(25)
