"""Tamper evidence: a row edited or deleted behind the application's back breaks the
hash chain, and ``speciosa audit verify`` names the first broken link."""

import json

import pytest
from django.db import connection
from typer.testing import CliRunner

from speciosa.audit.models import AuditAction, AuditEvent
from speciosa.audit.services import write_audit
from speciosa.cli import app

runner = CliRunner()


@pytest.fixture
def chain(program, patient, prescriber):
    for n in range(5):
        write_audit(actor=prescriber, action=AuditAction.READ, obj=patient, detail={"n": n})
    return program.code


def verify(chain_code: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["audit", "verify", "--chain", chain_code, "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def raw_sql(sql: str, params: list) -> None:
    # straight to the database: the model refuses updates and deletes
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)


def test_an_untouched_chain_verifies(chain):
    code, result = verify(chain)
    assert code == 0
    assert result == {"ok": True, "rows_checked": 5, "breaks": []}


def test_an_edited_row_is_the_first_broken_link(chain):
    raw_sql("UPDATE {table} SET actor_label = %s WHERE chain = %s AND seq = 3", ["mallory", chain])
    code, result = verify(chain)
    assert code == 1
    assert result["breaks"] == [
        {"chain": chain, "seq": 3, "reason": "row content changed (hash mismatch)"}
    ]


def test_an_edited_detail_with_a_recomputed_hash_breaks_the_next_link(chain):
    row = AuditEvent.objects.get(chain=chain, seq=2)
    row.detail = {"n": "forged"}
    forged_hash = row.compute_hash()
    raw_sql(
        "UPDATE {table} SET detail = %s, hash = %s WHERE chain = %s AND seq = 2",
        [json.dumps({"n": "forged"}), forged_hash, chain],
    )
    code, result = verify(chain)
    assert code == 1
    assert result["breaks"] == [
        {"chain": chain, "seq": 3, "reason": "prev_hash does not match previous row"}
    ]


def test_a_deleted_row_is_caught_as_a_gap(chain):
    raw_sql("DELETE FROM {table} WHERE chain = %s AND seq = 2", [chain])
    code, result = verify(chain)
    assert code == 1
    assert result["breaks"] == [{"chain": chain, "seq": 2, "reason": "row missing (sequence gap)"}]


def test_deleting_the_newest_row_is_caught_too(chain):
    raw_sql("DELETE FROM {table} WHERE chain = %s AND seq = 5", [chain])
    code, result = verify(chain)
    assert code == 1
    assert result["breaks"] == [
        {"chain": chain, "seq": 5, "reason": "rows missing at the end of the chain"}
    ]


def test_the_orm_refuses_to_edit_or_delete_audit_rows(chain):
    row = AuditEvent.objects.filter(chain=chain).first()
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(chain=chain).delete()
