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


@pytest.mark.django_db
def test_a_placeholder_in_several_subqueries_takes_the_same_argument(patient, other_patient):
    from django.db.models import Exists, OuterRef

    add_medication(patient, "atomoxetine")
    add_medication(other_patient, "naltrexone")
    with_meds = CompiledQuery(
        lambda pk: (
            SubstanceUse.objects.filter(patient_id=pk).annotate(
                has_med=Exists(Medication.objects.filter(patient_id=pk, pk=OuterRef("pk")))
            )
            | SubstanceUse.objects.filter(patient_id=pk)
        )
    )
    add_kratom_use(patient)
    add_kratom_use(other_patient)
    assert [s.patient_id for s in with_meds.models(patient.pk)] == [patient.pk]
    assert [s.patient_id for s in with_meds.models(other_patient.pk)] == [other_patient.pk]


@pytest.mark.django_db
def test_annotations_are_set_as_the_queryset_sets_them(patient):
    from django.db.models import F

    from speciosa.patients.models import Patient

    query = CompiledQuery(
        lambda pk: Patient.objects.filter(pk=pk).annotate(program_code=F("program__code"))
    )
    [found] = query.models(patient.pk)
    [plain] = Patient.objects.filter(pk=patient.pk).annotate(program_code=F("program__code"))
    assert found.program_code == plain.program_code == patient.program.code


@pytest.mark.django_db
def test_new_instance_equals_keyword_construction(prescriber, patient):
    from speciosa.core.compiled import new_instance
    from speciosa.measures.models import QuestionnaireResponse

    now = timezone.now()
    values = dict(
        program_id=patient.program_id,
        patient=patient,
        instrument_id="phq9",
        authored_at=now,
        author=prescriber,
        source="clinician",
        created_by=prescriber,
    )
    fast = new_instance(QuestionnaireResponse, **values)
    plain = QuestionnaireResponse(**values)
    generated = {"uid", "created_at", "updated_at"}  # default factories: new values
    assert {k: v for k, v in _fields(fast).items() if k not in generated} == {
        k: v for k, v in _fields(plain).items() if k not in generated
    }
    assert fast.uid != plain.uid and fast.created_at.tzinfo is not None
    assert fast.patient is patient and fast.author is prescriber  # cached, no query
    assert fast._state.adding is True and fast.pk is None
    with pytest.raises(TypeError, match="unexpected or repeated"):
        new_instance(QuestionnaireResponse, no_such_field=1)


@pytest.mark.django_db
def test_insert_values_are_prepared_like_save(prescriber, patient):
    from datetime import UTC, datetime
    from uuid import uuid4
    from zoneinfo import ZoneInfo

    from django.db import connection

    from speciosa.core.compiled import _prepare_value
    from speciosa.measures.models import QuestionnaireResponse

    meta = QuestionnaireResponse._meta
    samples = {
        "authored_at": [
            datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Paris")),
            datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            None,
        ],
        "uid": [uuid4(), str(uuid4()), None],
        "patient": [patient.pk, str(patient.pk), None],
    }
    for name, values in samples.items():
        field = meta.get_field(name)
        prepare = _prepare_value(field, connection)
        for value in values:
            assert prepare(value) == field.get_db_prep_save(value, connection), (name, value)


@pytest.mark.django_db
def test_text_numbers_booleans_and_json_are_prepared_like_save():
    from decimal import Decimal

    from django.db import connection
    from django.utils.functional import lazy

    from speciosa.audit.models import AuditEvent
    from speciosa.core.compiled import _prepare_value
    from speciosa.measures.models import QuestionnaireResponse, Score

    lazy_text = lazy(lambda: "phq9", str)()
    samples = {
        (Score, "instrument_id"): ["phq9", "", None, lazy_text, 9],  # CharField
        (AuditEvent, "seq"): [7, 0, -3, None, True, "12", 2.0],  # BigIntegerField
        (QuestionnaireResponse, "instrument_version"): [1, None, "2"],  # PositiveIntegerField
        (Score, "total"): [20.0, 0.0, None, 7, "3.5", Decimal("1.5")],  # FloatField
        (Score, "is_positive"): [True, False, None, 1, 0],  # BooleanField
        (Score, "items"): [{"phq9-1": 2, "é": "ü"}, {}, [1, "x", None], None, "text", 3],
        (AuditEvent, "detail"): [{"at": "2026-01-01", "ok": True, "n": [1.5]}, []],
    }
    for (model, name), values in samples.items():
        field = model._meta.get_field(name)
        prepare = _prepare_value(field, connection)
        for value in values:
            expected = field.get_db_prep_save(value, connection)
            got = prepare(value)
            # PostgreSQL wraps JSON (and integers, psycopg 3) in adapter objects: compare those
            # by what they hold
            if hasattr(expected, "obj"):
                got, expected = got.obj, expected.obj
            assert (type(got), got) == (type(expected), expected), (name, value)


@pytest.mark.django_db
def test_a_response_writes_the_same_statements_on_one_cursor(
    prescriber, patient, django_assert_num_queries
):
    answers = {f"phq9-{n}": 1 for n in range(1, 10)}
    record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=answers)
    # 2 inserts, audit head + audit row, substances, medications, scores, alerts, plans
    with django_assert_num_queries(9):
        record_response(actor=prescriber, patient=patient, instrument_id="phq9", answers=answers)


@pytest.mark.django_db
def test_score_ends_of_several_instruments_with_equal_times(prescriber, patient):
    now = timezone.now()
    phq9 = {f"phq9-{n}": 1 for n in range(1, 10)}
    gad7 = {f"gad7-{n}": 2 for n in range(1, 8)}
    for days, answers, instrument in (
        (5, phq9, "phq9"),
        (3, phq9, "phq9"),
        (3, phq9, "phq9"),  # same time as the one before: the later id is the latest
        (3, gad7, "gad7"),  # a single row is both first and latest
    ):
        record_response(
            actor=prescriber,
            patient=patient,
            instrument_id=instrument,
            answers=answers,
            taken_at=now - timedelta(days=days),
        )
    wanted = {"phq9", "gad7", "cows"}
    compiled = score_facts([patient.pk], instruments=wanted, ends_only=True)[patient.pk]
    by_orm = score_facts([patient.pk, 0], instruments=wanted, ends_only=True)[patient.pk]
    assert compiled == by_orm
    assert [f.instrument_id for f in compiled].count("phq9") == 2
    assert [f.instrument_id for f in compiled].count("gad7") == 1


@pytest.mark.django_db
def test_insert_new_refuses_an_unsaved_related_object_like_save(patient):
    from speciosa.core.compiled import insert_new, new_instance
    from speciosa.measures.models import QuestionnaireResponse, Score
    from speciosa.patients.models import Patient

    now = timezone.now()
    unsaved = Patient(program=patient.program, mrn="X", birth_date=now.date())
    for insert in (insert_new, lambda obj: obj.save()):
        row = new_instance(
            QuestionnaireResponse,
            program_id=patient.program_id,
            patient=unsaved,
            instrument_id="phq9",
            authored_at=now,
            source="clinician",
            resource={},
        )
        with pytest.raises(ValueError, match="unsaved related object 'patient'"):
            insert(row)
    # a related row saved after it was assigned gives its key at insert time
    response = new_instance(
        QuestionnaireResponse,
        program_id=patient.program_id,
        patient=patient,
        instrument_id="phq9",
        authored_at=now,
        source="clinician",
        resource={},
    )
    score = new_instance(
        Score,
        program_id=patient.program_id,
        patient=patient,
        response=response,
        instrument_id="phq9",
        taken_at=now,
        total=1.0,
    )
    insert_new(response)
    insert_new(score)
    assert score.response_id == response.pk and Score.objects.get(pk=score.pk).response == response
