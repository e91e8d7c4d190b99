"""Research fixtures: an enrolling two-arm study in ``program`` and eligible candidates."""

from datetime import date

import pytest

from speciosa.clinical.research.study_status import StudyStatus
from speciosa.research import services
from tests.factories import add_kratom_use, make_patient

CRITERIA = [
    {
        "id": "adult",
        "kind": "inclusion",
        "text": "Aged 18-65",
        "condition": {"type": "age_between", "min_years": 18, "max_years": 65},
    },
    {
        "id": "kratom",
        "kind": "inclusion",
        "text": "Current kratom use",
        "condition": {"type": "current_substance", "substance": "kratom"},
    },
    {
        "id": "on-moud",
        "kind": "exclusion",
        "text": "Already on buprenorphine or methadone",
        "condition": {"type": "current_medication", "names": ["buprenorphine", "methadone"]},
    },
]


def create_study(director, program, **overrides):
    fields = dict(
        actor=director,
        program=program,
        protocol_id="KRT-01",
        title="Buprenorphine vs taper",
        subject_prefix="KRT",
        arms=[{"code": "bup", "name": "Buprenorphine"}, {"code": "taper", "name": "Taper"}],
        visits=[
            {"code": "baseline", "label": "Baseline", "day": 0, "window_days": 0},
            {"code": "week1", "label": "Week 1", "day": 7, "window_days": 3},
            {"code": "week8", "label": "Week 8", "day": 56, "window_days": 3},
        ],
        outcomes=[
            {
                "code": "kratom_days",
                "name": "Kratom use days",
                "instrument_id": "tlfb_kratom",
                "measure": "trajectory",
                "is_primary": True,
            }
        ],
        eligibility_criteria=CRITERIA,
        stopping_rules=[
            {"type": "sae_count_in_arm", "id": "sae2", "at_least": 2},
            {"type": "liver_injury", "id": "dili"},
        ],
        stratification_factors=[
            {"name": "adhd", "condition": {"type": "diagnosis", "prefixes": ["F90"]}}
        ],
        randomization_seed=2026,
    )
    fields.update(overrides)
    return services.create_study(**fields)


def open_study(director, study):
    services.add_consent_document(actor=director, study=study, title="Consent", body="You may...")
    services.approve_study(
        actor=director, study=study, irb_number="IRB-1", approved_on=date(2026, 1, 2)
    )
    services.change_study_status(actor=director, study=study, status=StudyStatus.ENROLLING)
    return study


@pytest.fixture
def study(director, program):
    return open_study(director, create_study(director, program))


@pytest.fixture
def candidate(program):
    patient = make_patient(
        program, given_name="Casey", family_name="Nguyen", mrn="C0001", sex_at_birth="male"
    )
    add_kratom_use(patient)
    return patient


def enrol(study, patient, prescriber):
    services.screen_patient(actor=prescriber, study=study, patient=patient)
    services.record_consent(
        actor=prescriber,
        study=study,
        patient=patient,
        signature_name=patient.full_name,
        method="electronic",
    )
    return services.randomize_patient(actor=prescriber, study=study, patient=patient)


@pytest.fixture
def enrolment(study, candidate, prescriber):
    return enrol(study, candidate, prescriber)
