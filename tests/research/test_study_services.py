from datetime import date

import pytest

from speciosa.clinical.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from speciosa.clinical.research.study_status import StudyStatus
from speciosa.research import services
from speciosa.research.models import Study
from tests.research.conftest import create_study


def test_director_creates_a_draft_study_with_arms(director, program):
    study = create_study(director, program)
    study.refresh_from_db()
    assert study.status == "draft"
    assert [a.code for a in study.arms.all()] == ["bup", "taper"]


def test_prescriber_may_not_create_a_study(prescriber, program):
    with pytest.raises(PermissionDenied):
        create_study(prescriber, program)


def test_outsider_gets_not_found(outsider, program):
    with pytest.raises(NotFound):
        create_study(outsider, program)


def test_malformed_criterion_is_rejected(director, program):
    bad = [{"id": "x", "kind": "inclusion", "text": "?", "condition": {"type": "horoscope"}}]
    with pytest.raises(InvalidInput):
        create_study(director, program, eligibility_criteria=bad)
    assert not Study.objects.exists()


def test_draft_cannot_start_enrolling_without_irb_approval(director, program):
    study = create_study(director, program)
    with pytest.raises(Conflict):
        services.change_study_status(actor=director, study=study, status=StudyStatus.ENROLLING)


def test_approval_needs_a_consent_document(director, program):
    study = create_study(director, program)
    with pytest.raises(InvalidInput, match="consent"):
        services.approve_study(
            actor=director, study=study, irb_number="IRB-9", approved_on=date(2026, 1, 1)
        )


def test_new_consent_version_replaces_the_current_one(director, program):
    study = create_study(director, program)
    services.add_consent_document(actor=director, study=study, title="Consent", body="v1")
    v2 = services.add_consent_document(actor=director, study=study, title="Consent", body="v2")
    assert v2.version == 2
    assert list(study.consent_documents.filter(is_current=True)) == [v2]


def test_closed_study_cannot_reopen(director, study):
    services.change_study_status(actor=director, study=study, status=StudyStatus.CLOSED)
    with pytest.raises(Conflict):
        services.change_study_status(actor=director, study=study, status=StudyStatus.ENROLLING)
