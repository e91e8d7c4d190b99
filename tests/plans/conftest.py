import pytest

from speciosa.plans import services
from tests.factories import add_kratom_use


@pytest.fixture
def kratom_patient(patient):
    add_kratom_use(patient, grams="8")
    return patient


@pytest.fixture
def taper_plan(prescriber, kratom_patient):
    return services.create_plan_from_template(
        actor=prescriber, patient=kratom_patient, pathway_ids=["kratom-taper"]
    )


def add_score(patient, instrument_id: str, total: float, at, **fields):
    """A stored score (measures app) without going through item answers."""
    from speciosa.measures.models import QuestionnaireResponse, Score

    response = QuestionnaireResponse.objects.create(
        program=patient.program,
        patient=patient,
        instrument_id=instrument_id,
        authored_at=at,
        source="clinician",
        resource={"resourceType": "QuestionnaireResponse", "status": "completed"},
    )
    return Score.objects.create(
        program=patient.program,
        patient=patient,
        response=response,
        instrument_id=instrument_id,
        taken_at=at,
        total=total,
        **fields,
    )
