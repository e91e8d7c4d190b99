"""REDCap projects: fields matched by name, coded choices decoded, repeating instruments."""

import csv
from decimal import Decimal
from pathlib import Path

from speciosa.dataio.importer import import_source
from speciosa.dataio.redcap import RedcapSource, parse_choices
from speciosa.patients.models import Medication, Patient, SubstanceUse

DATA = Path(__file__).parent / "data"


def _source():
    return RedcapSource(DATA / "redcap_dictionary.csv", DATA / "redcap_records.csv")


def _import(tmp_path, prescriber, program):
    return import_source(
        actor=prescriber, program=program, source=_source(), rejects_path=tmp_path / "r.csv"
    )


def test_choices_decode_to_labels():
    assert parse_choices("1, Female | 2, Male | 4, Seven OH") == {
        "1": "female",
        "2": "male",
        "4": "seven_oh",
    }


def test_demographics_become_patients_keyed_by_record_id(prescriber, program, tmp_path):
    _import(tmp_path, prescriber, program)
    ana = Patient.objects.get(program=program, mrn="R1")
    assert (ana.given_name, ana.sex_at_birth) == ("Ana", "female")
    assert Patient.objects.get(mrn="R2").sex_at_birth == "male"


def test_kratom_fields_become_a_kratom_use(prescriber, program, tmp_path):
    _import(tmp_path, prescriber, program)
    use = SubstanceUse.objects.get(patient__mrn="R1")
    assert (use.substance, use.kratom_form, use.grams_per_day) == (
        "kratom",
        "capsules",
        Decimal("6"),
    )


def test_repeating_instrument_rows_become_medications(prescriber, program, tmp_path):
    _import(tmp_path, prescriber, program)
    med = Medication.objects.get()
    assert (med.name, med.dose, med.unit, med.patient.mrn) == (
        "buprenorphine-naloxone",
        Decimal("16"),
        "mg",
        "R1",
    )


def test_bad_values_are_rejected_with_line_and_reason(prescriber, program, tmp_path):
    result = _import(tmp_path, prescriber, program)
    with open(result.rejects_path, newline="") as fh:
        rejects = {(r["line"], r["field"]) for r in csv.DictReader(fh)}
    # the phq9 form holds only item 1: its records are rejected, naming the missing items
    assert rejects == {("4", "dose"), ("6", "grams_per_day"), ("2", "phq9"), ("5", "phq9")}


def test_a_questionnaire_form_matching_only_in_part_is_reported_not_imported():
    source = _source()
    assert source.unmapped_forms == ["phq9"]
    assert source.forms["phq9"].status == "partial"
    assert source.forms["phq9"].missing[0] == "phq9-2 (phq9_2)"


def test_rerun_adds_nothing(prescriber, program, tmp_path):
    _import(tmp_path, prescriber, program)
    again = _import(tmp_path, prescriber, program)
    assert again.imported == 0 and again.already_imported == 5
