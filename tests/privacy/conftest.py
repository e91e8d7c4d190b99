"""Privacy fixtures: a signed consent of ``patient`` to a named registry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from speciosa.privacy import services

REGISTRY = "Ohio Opioid Registry"


def give_consent(actor, patient, **overrides):
    fields = dict(
        actor=actor,
        patient=patient,
        recipient=REGISTRY,
        purposes=["registry_reporting"],
        categories=["demographics", "substance_use"],
        expires_at=timezone.now() + timedelta(days=365),
        signature_name=patient.full_name,
    )
    fields.update(overrides)
    return services.record_consent(**fields)


@pytest.fixture
def consent(prescriber, patient):
    return give_consent(prescriber, patient)
