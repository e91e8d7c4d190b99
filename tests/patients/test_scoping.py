import pytest

from speciosa.clinical.errors import NotFound
from speciosa.patients.models import Patient
from speciosa.patients.queries import get_patient_for_user


def test_for_user_returns_only_own_program_patients(prescriber, patient, other_patient):
    assert list(Patient.objects.for_user(prescriber)) == [patient]


def test_outsider_cannot_read_patient_of_another_program(outsider, patient):
    with pytest.raises(NotFound):
        get_patient_for_user(outsider, patient.uid)


def test_user_without_membership_sees_nothing(django_user_model, patient):
    stranger = django_user_model.objects.create_user(username="stranger", password="x" * 20)
    assert Patient.objects.for_user(stranger).count() == 0


def test_researcher_does_not_see_identified_charts(researcher, patient):
    with pytest.raises(NotFound):
        get_patient_for_user(researcher, patient.uid)


def test_administrator_manages_accounts_not_charts(admin_user, patient):
    assert Patient.objects.for_user(admin_user).count() == 0


def test_garbage_patient_id_is_not_found(prescriber, patient):
    with pytest.raises(NotFound):
        get_patient_for_user(prescriber, "not-a-uuid")


def test_inactive_membership_loses_access(prescriber, patient):
    prescriber.memberships.update(is_active=False)
    prescriber.refresh_from_db()
    assert Patient.objects.for_user(prescriber).count() == 0
