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


def make_plan(patient: Patient, pathway_id: str = "depression-anxiety"):
    """A draft treatment plan (version 1) built from a pathway, without the services."""
    from speciosa.clinical.planning.templates import apply_pathway
    from speciosa.patients.facts import build_patient_facts
    from speciosa.plans.models import PlanVersion, TreatmentPlan

    start = timezone.localdate()
    document = apply_pathway(pathway_id, facts=build_patient_facts(patient), start=start)
    plan = TreatmentPlan.objects.create(
        program=patient.program,
        patient=patient,
        title=document.title,
        start_date=start,
        review_due_on=start + timedelta(days=30),
        pathway_ids=[pathway_id],
    )
    PlanVersion.objects.create(
        plan=plan, number=1, document=document.model_dump(mode="json"), reason="factory"
    )
    return plan
