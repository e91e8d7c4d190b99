import pytest
from django.db import connection

from speciosa.audit.models import AuditEvent
from speciosa.audit.services import ChainBreak, iter_chain_breaks, write_audit


def _breaks():
    return [b for b in iter_chain_breaks() if isinstance(b, ChainBreak)]


def test_chain_links_each_row_to_the_previous(program, prescriber, patient):
    first = write_audit(actor=prescriber, action="read", obj=patient)
    second = write_audit(actor=prescriber, action="read", obj=patient)
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert _breaks() == []


def test_editing_a_row_in_the_database_breaks_the_chain(program, prescriber, patient):
    for _ in range(3):
        write_audit(actor=prescriber, action="read", obj=patient)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'mallory' WHERE seq = 2")
    assert _breaks() == [ChainBreak("alpha", 2, "row content changed (hash mismatch)")]


def test_deleting_a_row_breaks_the_chain(program, prescriber, patient):
    for _ in range(3):
        write_audit(actor=prescriber, action="read", obj=patient)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    assert _breaks() == [ChainBreak("alpha", 2, "row missing (sequence gap)")]


def test_audit_rows_cannot_be_updated_through_the_orm(program, prescriber, patient):
    event = write_audit(actor=prescriber, action="read", obj=patient)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def _chain_breaks(chain: str) -> list[ChainBreak]:
    return [b for b in iter_chain_breaks(chain) if isinstance(b, ChainBreak)]


@pytest.mark.django_db
def test_head_moved_by_another_writer_is_read_under_lock(program, prescriber, patient):
    from speciosa.audit.models import AuditAction
    from speciosa.audit.services import write_audit_many

    write_audit(actor=prescriber, action="read", obj=patient)
    # a bulk writer (another process, say) moves the head: the next row must follow it
    write_audit_many(actor=prescriber, action=AuditAction.CREATE, objs=[patient], program=program)
    write_audit(actor=prescriber, action="read", obj=patient)
    rows = list(AuditEvent.objects.filter(chain=program.code).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[2].prev_hash == rows[1].hash
    assert _chain_breaks(program.code) == []


@pytest.mark.django_db
def test_rolled_back_write_leaves_no_gap(program, prescriber, patient):
    from django.db import transaction

    write_audit(actor=prescriber, action="read", obj=patient)
    with pytest.raises(RuntimeError), transaction.atomic():
        write_audit(actor=prescriber, action="read", obj=patient)
        raise RuntimeError("the caller's write failed")
    write_audit(actor=prescriber, action="read", obj=patient)
    assert list(
        AuditEvent.objects.filter(chain=program.code).order_by("seq").values_list("seq", flat=True)
    ) == [1, 2]
    assert _chain_breaks(program.code) == []


@pytest.mark.django_db
def test_steady_state_append_is_two_statements(program, prescriber, patient):
    from django.test.utils import CaptureQueriesContext

    write_audit(actor=prescriber, action="read", obj=patient)
    with CaptureQueriesContext(connection) as ctx:
        write_audit(actor=prescriber, action="read", obj=patient)
    sql = [
        q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert [s.split()[0] for s in sql] == ["UPDATE", "INSERT"]
    assert _chain_breaks(program.code) == []


def test_an_event_stores_ids_and_refuses_what_save_refuses(program, prescriber, patient):
    from django.db import transaction

    from speciosa.patients.models import Patient

    event = write_audit(actor=prescriber, action="read", obj=patient)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.program_id, stored.patient_id) == (
        prescriber.pk,
        program.pk,
        patient.pk,
    )
    unsaved = Patient(program=program, mrn="U1")
    # each refusal inside its own savepoint: a failed write_audit dooms its transaction
    with pytest.raises(ValueError, match="unsaved related object 'patient'"), transaction.atomic():
        write_audit(actor=prescriber, action="read", program=program, patient=unsaved)
    with (
        pytest.raises(ValueError, match="patient must be a patients.Patient"),
        transaction.atomic(),
    ):
        write_audit(actor=prescriber, action="read", program=program, patient=program)
    with pytest.raises(ValueError, match="actor must be a accounts.User"), transaction.atomic():
        write_audit(actor=patient, action="read", obj=patient)
    assert AuditEvent.objects.count() == 1 and _breaks() == []
