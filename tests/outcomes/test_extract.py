"""The database extract: keyset paging, scoping by program, kratom self-reports."""

import pytest

from speciosa.outcomes.extract import extract_tables, keyset_rows
from speciosa.patients.models import Patient
from tests.factories import add_kratom_use, make_patient


def test_keyset_rows_reads_every_row_across_pages(program):
    made = {make_patient(program).pk for _ in range(5)}
    rows = list(keyset_rows(Patient.objects.all(), ["id"], page_size=2))
    assert {r[0] for r in rows} == made


def test_extract_contains_only_the_requested_programs(patient, other_patient, program):
    tables = extract_tables([program.id])
    assert tables.patients.column("patient_id").to_pylist() == [patient.pk]


def test_stopped_kratom_use_is_a_zero_gram_report(patient, program):
    add_kratom_use(patient, grams="8")
    add_kratom_use(patient, grams="20", is_current=False)
    grams = sorted(extract_tables([program.id]).kratom_use.column("grams").to_pylist())
    assert grams == [0.0, 8.0]


@pytest.mark.parametrize("kind", ["scores", "alerts", "events"])
def test_tables_of_apps_without_data_are_empty_but_typed(program, kind):
    table = getattr(extract_tables([program.id]), kind)
    assert table.num_rows == 0
    assert "patient_id" in table.schema.names
