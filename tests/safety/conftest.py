import pytest

from tests.factories import add_kratom_use, make_patient


@pytest.fixture
def kratom_patient(program):
    patient = make_patient(program, given_name="Kai")
    add_kratom_use(patient, grams="20")
    return patient


@pytest.fixture
def other_kratom_patient(other_program):
    patient = make_patient(other_program, given_name="Oslo")
    add_kratom_use(patient, grams="20")
    return patient
