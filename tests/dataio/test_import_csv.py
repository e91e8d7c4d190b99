"""CSV imports: validation row by row, rejects file, idempotent re-runs, permissions."""

import csv
from decimal import Decimal

import pytest

from speciosa.audit.models import AuditEvent
from speciosa.audit.services import iter_chain_breaks
from speciosa.clinical.errors import NotFound, PermissionDenied
from speciosa.dataio.importer import import_source
from speciosa.dataio.models import ImportedRow, ImportRun, RunStatus
from speciosa.dataio.sources import CsvSource
from speciosa.patients.models import Medication, Patient, SubstanceUse
from tests.dataio.conftest import write_csv


def _rejects(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_import_creates_valid_patients(prescriber, program, patients_csv):
    result = import_source(actor=prescriber, program=program, source=CsvSource(patients_csv))
    assert result.imported == 2
    assert sorted(Patient.objects.filter(program=program).values_list("mrn", flat=True)) == [
        "P1",
        "P2",
    ]


def test_rejects_file_names_every_bad_row_with_line_and_reason(prescriber, program, patients_csv):
    result = import_source(actor=prescriber, program=program, source=CsvSource(patients_csv))
    rejects = _rejects(result.rejects_path)
    assert [(r["file"], r["line"], r["field"]) for r in rejects] == [
        ("patients.csv", "4", "birth_date"),
        ("patients.csv", "5", "birth_date"),
        ("patients.csv", "6", "sex_at_birth"),
    ]
    assert "future" in rejects[0]["reason"]
    assert "YYYY-MM-DD" in rejects[1]["reason"]
    assert result.rejected == 3


def test_rerun_of_same_file_adds_nothing(prescriber, program, patients_csv):
    import_source(actor=prescriber, program=program, source=CsvSource(patients_csv))
    again = import_source(actor=prescriber, program=program, source=CsvSource(patients_csv))
    assert (again.imported, again.already_imported, again.total_imported) == (0, 2, 2)
    assert Patient.objects.filter(program=program).count() == 2
    run = ImportRun.objects.get()
    assert (run.attempts, run.status, run.rows_imported) == (2, RunStatus.COMPLETED, 2)


def test_import_writes_one_audit_row_per_record_and_keeps_chain_intact(
    prescriber, program, patients_csv
):
    import_source(actor=prescriber, program=program, source=CsvSource(patients_csv))
    creates = AuditEvent.objects.filter(chain=program.code, action="create")
    assert sorted(e.object_id for e in creates) == sorted(
        str(u) for u in Patient.objects.values_list("uid", flat=True)
    )
    assert all(e.actor_id == prescriber.pk and e.patient_id for e in creates)
    assert [b for b in iter_chain_breaks(program.code) if not isinstance(b, int)] == []


def test_linked_rows_attach_to_patient_by_mrn(prescriber, program, patient, tmp_path):
    path = write_csv(
        tmp_path / "substance_uses.csv",
        ["mrn", "substance", "kratom_form", "grams_per_day"],
        [
            [patient.mrn, "kratom", "leaf_powder", "12.5"],
            ["NOPE", "kratom", "capsules", "4"],
            [patient.mrn, "alcohol", "leaf_powder", ""],  # kratom form on alcohol
            [patient.mrn, "kratom", "capsules", "900"],  # mg entered as g
        ],
    )
    result = import_source(actor=prescriber, program=program, source=CsvSource(path))
    use = SubstanceUse.objects.get()
    assert (use.patient_id, use.grams_per_day, use.created_by_id) == (
        patient.pk,
        Decimal("12.5"),
        prescriber.pk,
    )
    reasons = {r["line"]: r for r in _rejects(result.rejects_path)}
    assert "no patient with MRN 'NOPE'" in reasons["3"]["reason"]
    assert reasons["4"]["field"] == "kratom_form"
    assert "plausible maximum" in reasons["5"]["reason"]


def test_medication_names_are_normalised_like_the_service(prescriber, program, patient, tmp_path):
    path = write_csv(
        tmp_path / "medications.csv",
        ["mrn", "name", "dose", "unit", "status"],
        [[patient.mrn, "  Atomoxetine ", "40", "mg", "active"]],
    )
    import_source(actor=prescriber, program=program, source=CsvSource(path))
    assert Medication.objects.get().name == "atomoxetine"


def test_mrn_already_in_program_is_rejected(prescriber, program, patient, tmp_path):
    path = write_csv(
        tmp_path / "patients.csv",
        ["mrn", "given_name", "family_name", "birth_date"],
        [[patient.mrn, "Dup", "Licate", "1990-01-01"]],
    )
    result = import_source(actor=prescriber, program=program, source=CsvSource(path))
    assert result.imported == 0
    assert "already exists" in _rejects(result.rejects_path)[0]["reason"]


def test_unknown_column_refuses_the_whole_file(tmp_path):
    from speciosa.clinical.errors import InvalidInput

    path = write_csv(tmp_path / "patients.csv", ["mrn", "given_name", "surname"], [])
    with pytest.raises(InvalidInput, match="surname"):
        CsvSource(path)


def test_column_map_renames_source_headers(prescriber, program, tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ["Patient ID", "First", "Last", "DOB"],
        [["X9", "Flo", "Ng", "1985-04-04"]],
    )
    source = CsvSource(
        path,
        "patients",
        {"Patient ID": "mrn", "First": "given_name", "Last": "family_name", "DOB": "birth_date"},
    )
    import_source(actor=prescriber, program=program, source=source)
    assert Patient.objects.get(mrn="X9").given_name == "Flo"


def test_counsellor_may_not_import_medications(counsellor, program, patient, tmp_path):
    path = write_csv(tmp_path / "medications.csv", ["mrn", "name"], [[patient.mrn, "naltrexone"]])
    with pytest.raises(PermissionDenied):
        import_source(actor=counsellor, program=program, source=CsvSource(path))
    assert not ImportedRow.objects.exists()


def test_outsider_cannot_import_into_another_program(outsider, program, patients_csv):
    with pytest.raises(NotFound):
        import_source(actor=outsider, program=program, source=CsvSource(patients_csv))
    assert not Patient.objects.filter(program=program).exists()
