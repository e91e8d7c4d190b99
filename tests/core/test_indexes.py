"""Write-path tables keep no index that a composite index already starts with: each index
is one more B-tree page written (and WAL frame appended) per inserted row."""

import pytest
from django.db import connection

from speciosa.audit.models import AuditEvent
from speciosa.measures.models import QuestionnaireResponse, Score


def _indexed_columns(model) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "covered", "composite"),
    [
        (QuestionnaireResponse, ("patient_id",), ("patient_id", "instrument_id", "authored_at")),
        (Score, ("patient_id",), ("patient_id", "instrument_id", "taken_at")),
        (AuditEvent, ("patient_id",), ("patient_id", "at")),
        (AuditEvent, ("chain",), ("chain", "seq")),
        (AuditEvent, ("program_id",), ("program_id", "at")),
    ],
)
def test_no_index_repeats_the_start_of_a_composite(model, covered, composite):
    columns = _indexed_columns(model)
    assert composite in columns  # lookups by the leading column use this one
    assert covered not in columns


@pytest.mark.django_db
def test_audit_time_is_indexed_only_behind_program_or_patient():
    """Every audit reader is scoped to programs or a patient: a lone index on ``at``
    would be one more page write per audited action for no query."""
    columns = _indexed_columns(AuditEvent)
    assert ("at",) not in columns
    assert ("program_id", "at") in columns and ("patient_id", "at") in columns
