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
