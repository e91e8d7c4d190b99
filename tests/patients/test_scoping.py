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


def test_patient_and_roles_come_in_one_statement(prescriber, patient, django_assert_num_queries):
    from speciosa.accounts.permissions import Action, require

    with django_assert_num_queries(1):
        found = get_patient_for_user(prescriber, patient.uid)
        # the permission checks after the lookup answer from the roles read with it
        require(prescriber, Action.RECORD_RESPONSE, found.program_id)
    assert found == patient and found.program.code == patient.program.code


def test_inactive_membership_loses_the_chart(django_user_model, prescriber, patient):
    prescriber.memberships.update(is_active=False)
    fresh = django_user_model.objects.get(pk=prescriber.pk)
    with pytest.raises(NotFound):
        get_patient_for_user(fresh, patient.uid)


def test_a_clinical_role_beside_a_research_role_opens_the_chart(researcher, program, patient):
    from speciosa.accounts.models import Membership, Role

    Membership.objects.create(user=researcher, program=program, role=Role.NURSE)
    assert get_patient_for_user(researcher, patient.uid) == patient
