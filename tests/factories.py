"""Test factories: plain functions that build valid objects with sensible defaults."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from speciosa.accounts.models import Membership, Program, Role, User
from speciosa.patients.models import LabResult, Medication, Patient, SubstanceUse

_seq = count(1)


def make_program(code: str | None = None, name: str | None = None) -> Program:
    n = next(_seq)
    code = code or f"prog{n}"
    return Program.objects.create(code=code, name=name or f"Program {code}")


def make_user(program: Program | None, role: Role | str, username: str | None = None) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=username or f"{role}{n}", password="correct-horse-battery-staple"
    )
    if program is not None:
        Membership.objects.create(user=user, program=program, role=role)
    return user


def make_patient(program: Program, **fields) -> Patient:
    n = next(_seq)
    defaults = {
        "mrn": f"MRN{n:05d}",
        "given_name": "Test",
        "family_name": f"Patient{n}",
        "birth_date": date(1990, 5, 17),
        "sex_at_birth": "female",
    }
    defaults.update(fields)
    return Patient.objects.create(program=program, **defaults)


def add_kratom_use(patient: Patient, grams: str = "20", form: str = "leaf_powder", **fields):
    defaults = {
        "substance": "kratom",
        "kratom_form": form,
        "grams_per_day": Decimal(grams),
        "last_use_at": timezone.now() - timedelta(hours=12),
    }
    defaults.update(fields)
    return SubstanceUse.objects.create(program=patient.program, patient=patient, **defaults)


def add_medication(patient: Patient, name: str, **fields) -> Medication:
    defaults = {"status": "active", "start_at": timezone.now() - timedelta(days=3)}
    defaults.update(fields)
    return Medication.objects.create(
        program=patient.program, patient=patient, name=name, **defaults
    )


def add_lab(patient: Patient, analyte: str, value: float | None = None, **fields) -> LabResult:
    defaults = {"collected_at": timezone.now() - timedelta(days=1)}
    defaults.update(fields)
    return LabResult.objects.create(
        program=patient.program, patient=patient, analyte=analyte, value=value, **defaults
    )
