import csv
import json
from datetime import date

import pyarrow.parquet as pq
import pytest

from speciosa.audit.models import AuditEvent
from speciosa.clinical.errors import PermissionDenied
from speciosa.research import services
from speciosa.research.export import export_deidentified
from tests.factories import add_kratom_use, make_patient
from tests.research.conftest import enrol


@pytest.fixture
def exported(study, program, prescriber, researcher, enrolment, tmp_path):
    services.record_assessment(
        actor=prescriber,
        enrolment=enrolment,
        visit_code="baseline",
        instrument_id="tlfb_kratom",
        value=25,
    )
    services.report_adverse_event(
        actor=prescriber,
        enrolment=enrolment,
        term="Casey fainted at home",
        category="nervous_system",
        onset_on=date.today(),
        grade=2,
        relatedness="possible",
        is_expected=False,
    )
    withdrawn = make_patient(
        program, given_name="Wendy", family_name="Withdrawn", sex_at_birth="male"
    )
    add_kratom_use(withdrawn)
    enrol(study, withdrawn, prescriber)
    services.withdraw_consent(actor=prescriber, consent=study.consents.get(patient=withdrawn))
    export_deidentified(actor=researcher, study=study, out_dir=tmp_path)
    return tmp_path


def _read(path):
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_export_writes_csv_parquet_dictionary_and_manifest(exported):
    names = sorted(p.name for p in exported.iterdir())
    assert names == sorted(
        [
            "subjects.csv",
            "subjects.parquet",
            "assessments.csv",
            "assessments.parquet",
            "adverse_events.csv",
            "adverse_events.parquet",
            "data_dictionary.csv",
            "manifest.json",
        ]
    )
    assert pq.read_table(exported / "assessments.parquet").num_rows == 1


def test_only_subjects_with_active_consent_are_exported(exported):
    assert [r["subject_id"] for r in _read(exported / "subjects.csv")] == ["KRT-001"]
    assert json.loads((exported / "manifest.json").read_text())["subjects"] == 1


def test_no_identifier_or_verbatim_text_survives(exported, candidate):
    text = "".join(p.read_text() for p in exported.glob("*.csv"))
    for value in [
        candidate.given_name,
        candidate.family_name,
        candidate.mrn,
        str(candidate.uid),
        "Wendy",
        "fainted",
    ]:
        assert value not in text


def test_dates_are_shifted_but_intervals_kept(exported, enrolment):
    subject = _read(exported / "subjects.csv")[0]
    assessment = _read(exported / "assessments.csv")[0]
    assert subject["randomized_on"] != str(enrolment.randomized_at.date())
    assert assessment["assessed_on"] == subject["randomized_on"]  # both on day 0
    assert assessment["study_day"] == "0"


def test_export_is_audited(exported, study):
    assert AuditEvent.objects.filter(action="export", object_id=str(study.uid)).count() == 1


def test_clinician_may_not_export(study, prescriber, tmp_path):
    with pytest.raises(PermissionDenied):
        export_deidentified(actor=prescriber, study=study, out_dir=tmp_path)
