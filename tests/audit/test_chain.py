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
