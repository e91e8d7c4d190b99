"""Exports to a recipient outside the program with ``consented_only``: only patients whose
42 CFR Part 2 consent allows the disclosure appear, in every table and every FHIR file;
each included patient's disclosure is logged; the others are counted as left out."""

import csv
import json
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone
from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.clinical.errors import ConsentRequired, InvalidInput
from speciosa.clinical.instruments import get_instrument
from speciosa.clinical.privacy.part2 import DataCategory
from speciosa.dataio.exporter import export_program
from speciosa.dataio.tables import TABLES
from speciosa.measures.models import QuestionnaireResponse
from speciosa.measures.services import record_response
from speciosa.privacy import services as privacy
from speciosa.privacy.models import Disclosure
from tests.dataio.test_export import _seed

REGISTRY = "State Kratom Registry"
ALL = [c.value for c in DataCategory]


def _consent(actor, patient, recipient=REGISTRY, categories=ALL, **extra):
    return privacy.record_consent(
        actor=actor,
        patient=patient,
        recipient=recipient,
        purposes=["registry_reporting"],
        categories=categories,
        expires_at=timezone.now() + timedelta(days=365),
        signature_name=patient.full_name,
        **extra,
    )


def _phq9(director, patient):
    instrument = get_instrument("phq9")
    answers = {
        i.link_id: i.options[1].code for i in instrument.items.values() if i.required and i.options
    }
    record_response(actor=director, patient=patient, instrument_id="phq9", answers=answers)


@pytest.fixture
def cohort(director, prescriber, program):
    """RT0 consented to everything; RT1 no consent; RT2 consented to another recipient
    only."""
    p0, p1, p2 = _seed(program)
    for p in (p0, p1, p2):
        _phq9(prescriber, p)
    _consent(director, p0)
    _consent(director, p2, recipient="Another Registry")
    return p0, [p1, p2]


def _export(director, program, tmp_path, **kw):
    return export_program(
        actor=director,
        program=program,
        out_dir=tmp_path,
        recipient=REGISTRY,
        consented_only=True,
        **kw,
    )


def test_default_still_refuses_the_whole_export(director, program, cohort, tmp_path):
    with pytest.raises(ConsentRequired) as exc:
        export_program(actor=director, program=program, out_dir=tmp_path, recipient=REGISTRY)
    assert "2 patient(s)" in exc.value.message and "--consented-only" in exc.value.message
    assert not Disclosure.objects.exists()
    assert not (tmp_path / "patients.csv").exists()


def test_consented_only_needs_a_recipient(director, program, tmp_path):
    with pytest.raises(InvalidInput):
        export_program(actor=director, program=program, out_dir=tmp_path, consented_only=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_table_holds_only_consented_patients(director, program, cohort, tmp_path, fmt):
    included, left_out = cohort
    result = _export(director, program, tmp_path, fmt=fmt)
    assert (result.patients_included, result.patients_left_out) == (1, 2)
    for name in TABLES:
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "csv":
            with path.open(newline="") as fh:
                rows = list(csv.DictReader(fh))
            mrns = [r["mrn"] for r in rows]
            uids = {r["uid"] for r in rows}
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            mrns = table.column("mrn").to_pylist()
            uids = set(table.column("uid").to_pylist())
        assert mrns and set(mrns) == {included.mrn}, name  # not empty: the filter kept RT0
        assert result.files[path.name] == len(mrns)
        model = TABLES[name].model
        excluded = model.objects.filter(program=program).exclude(
            **({"pk": included.pk} if name == "patients" else {"patient": included})
        )
        assert excluded.exists(), name  # the others do have rows in this table...
        assert not uids & {str(u) for u in excluded.values_list("uid", flat=True)}, name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_responses_hold_only_consented_patients(director, program, cohort, tmp_path, fmt):
    included, left_out = cohort
    result = _export(director, program, tmp_path, fmt=fmt)
    path = tmp_path / f"responses.{fmt}"
    if fmt == "csv":
        with path.open(newline="") as fh:
            mrns = [r["mrn"] for r in csv.DictReader(fh)]
    else:
        import pyarrow.parquet as pq

        mrns = pq.read_table(path).column("mrn").to_pylist()
    assert QuestionnaireResponse.objects.filter(patient__in=left_out).count() == 2
    assert mrns == [included.mrn]  # its PHQ-9, none of the others'
    assert result.files[path.name] == 1


def test_responses_need_a_consent_to_disclose_scores(director, prescriber, program, tmp_path):
    p0, p1, _ = _seed(program)
    for p in (p0, p1):
        _phq9(prescriber, p)
    _consent(director, p0)
    _consent(director, p1, categories=[c for c in ALL if c != "scores"])
    result = _export(director, program, tmp_path, tables=["patients", "responses"])
    assert (result.patients_included, result.patients_left_out) == (1, 2)
    assert p1.mrn not in (tmp_path / "responses.csv").read_text()
    logged = Disclosure.objects.get(recipient=REGISTRY)
    assert (logged.patient_id, sorted(logged.categories)) == (p0.pk, ["demographics", "scores"])


def test_fhir_ndjson_holds_only_consented_patients(director, program, cohort, tmp_path):
    included, left_out = cohort
    result = _export(director, program, tmp_path, fmt="ndjson")
    assert result.patients_left_out == 2
    seen = set()
    for path in tmp_path.glob("*.ndjson"):
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            text = line.decode()
            for other in left_out:
                assert str(other.uid) not in text and other.mrn not in text, path.name
            if resource["resourceType"] == "Patient":
                seen.add(resource["id"])
            else:
                seen.add(resource.get("subject", resource.get("patient", {}))["reference"])
    assert seen == {str(included.uid), f"Patient/{included.uid}"}
    # labs, substance use and the PHQ-9 score of the consented patient
    assert result.files["Observation.ndjson"] == 2 + 1 + 1
    assert result.files["Patient.ndjson"] == 1


def test_one_disclosure_is_logged_per_included_patient(director, program, cohort, tmp_path):
    included, _ = cohort
    _export(director, program, tmp_path)
    logged = Disclosure.objects.filter(recipient=REGISTRY)
    assert [d.patient_id for d in logged] == [included.pk]
    assert logged.get().channel == "bulk_export"
    assert "42 CFR part 2" in (tmp_path / "PART2_NOTICE.txt").read_text()


def test_a_consent_missing_a_category_leaves_the_patient_out(director, program, tmp_path):
    p0, p1, _ = _seed(program)
    _consent(director, p0)
    _consent(director, p1, categories=["demographics"])  # not medications
    result = _export(director, program, tmp_path, tables=["patients", "medications"])
    assert (result.patients_included, result.patients_left_out) == (1, 2)
    assert p1.mrn not in (tmp_path / "patients.csv").read_text()
    assert p1.mrn not in (tmp_path / "medications.csv").read_text()


def test_a_revoked_consent_leaves_the_patient_out(director, program, tmp_path):
    p0, *_ = _seed(program)
    consent = _consent(director, p0)
    privacy.revoke_consent(actor=director, consent=consent)
    result = _export(director, program, tmp_path, tables=["patients"])
    assert (result.patients_included, result.patients_left_out) == (0, 3)
    assert result.files["patients.csv"] == 0


def test_cli_reports_included_and_left_out(director, program, cohort, tmp_path):
    args = ["export", str(tmp_path), "-p", program.code, "-u", director.username]
    args += ["--recipient", REGISTRY]
    refused = CliRunner().invoke(app, [*args, "--json"])
    assert refused.exit_code == 3
    result = CliRunner().invoke(app, [*args, "--consented-only", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["patients_included"], body["patients_left_out"]) == (1, 2)
    assert body["files"]["patients.csv"] == 1
    console = CliRunner().invoke(app, [*args, "--consented-only"])
    text = " ".join(console.output.split())  # rich wraps long lines
    assert "1 patient(s), one disclosure logged each; 2 left out" in text
