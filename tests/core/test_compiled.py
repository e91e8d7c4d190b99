"""CompiledQuery runs the same SQL with the same row conversion as the QuerySet."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from speciosa.core.compiled import CompiledQuery
from speciosa.measures.facts import score_facts
from speciosa.measures.services import record_response
from speciosa.patients.models import Medication, SubstanceUse
from speciosa.safety.models import Alert
from tests.factories import add_kratom_use, add_medication, make_patient

SUBSTANCES = CompiledQuery(lambda pk: SubstanceUse.objects.filter(patient_id=pk).order_by("id"))


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_models_equal_the_queryset_rows(patient, other_patient):
    add_kratom_use(patient, grams="12.5", form="seven_oh")
    add_kratom_use(other_patient)
    compiled = SUBSTANCES.models(patient.pk)
    plain = list(SubstanceUse.objects.filter(patient_id=patient.pk).order_by("id"))
    assert [_fields(o) for o in compiled] == [_fields(o) for o in plain]
    assert len(compiled) == 1 and compiled[0]._state.adding is False
    # re-run with another argument: same compiled SQL, other rows
    assert [o.patient_id for o in SUBSTANCES.models(other_patient.pk)] == [other_patient.pk]


@pytest.mark.django_db
def test_values_convert_json_datetimes_and_booleans_like_the_queryset(prescriber, patient):
    now = timezone.now()
    for days, item9 in ((9, 0), (5, 2), (1, 1)):
        answers = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": item9}
        record_response(
            actor=prescriber,
            patient=patient,
            instrument_id="phq9",
            answers=answers,
            taken_at=now - timedelta(days=days),
        )
    compiled = score_facts([patient.pk], instruments={"phq9"}, ends_only=True)[patient.pk]
    everything = score_facts([patient.pk, 0])[patient.pk]  # the ORM path (two patient ids)
    assert compiled == (everything[0], everything[-1])
    assert compiled[-1].items["phq9-9"] == 1 and compiled[-1].at.tzinfo is not None


@pytest.mark.django_db
def test_select_for_update_runs_inside_a_transaction(patient):
    add_medication(patient, "atomoxetine")
    locked = CompiledQuery(
        lambda pk: Medication.objects.select_for_update().filter(patient_id=pk).order_by("id")
    )
    with transaction.atomic():
        assert [m.name for m in locked.models(patient.pk)] == ["atomoxetine"]


def test_a_placeholder_missing_from_the_sql_is_refused(db):
    wrong = CompiledQuery(lambda pk: Alert.objects.filter(patient_id=1))
    with pytest.raises(ValueError, match="placeholder"):
        wrong.models(1)


def test_values_list_rows_are_not_models(db):
    names = CompiledQuery(lambda pk: Medication.objects.filter(patient_id=pk).values_list("name"))
    with pytest.raises(TypeError):
        names.models(1)
    assert names.values(make_patient_id()) == []


def make_patient_id() -> int:
    from tests.factories import make_program

    return make_patient(make_program()).pk


@pytest.mark.django_db
def test_uuid_argument_and_select_related(patient, django_assert_num_queries):
    from uuid import UUID, uuid4

    from speciosa.patients.models import Patient

    by_uid = CompiledQuery(
        lambda uid: Patient.objects.select_related("program").filter(uid=uid), kinds=(UUID,)
    )
    with django_assert_num_queries(1):
        [found] = by_uid.models(str(patient.uid))
        assert found.program.code == patient.program.code  # attached, no second query
    assert by_uid.models(uuid4()) == []
    with pytest.raises(ValueError):
        by_uid.models("not-a-uuid")
