"""Exports: program scope, permissions, keyset paging, and export -> wipe -> import."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from speciosa.clinical.errors import ConsentRequired, NotFound, PermissionDenied
from speciosa.dataio.exporter import export_program, iter_table_rows
from speciosa.dataio.fhir_ndjson import FhirNdjsonSource
from speciosa.dataio.importer import import_source
from speciosa.dataio.models import ImportRun
from speciosa.dataio.sources import csv_sources
from speciosa.dataio.tables import TABLES
from speciosa.patients.models import Diagnosis, Episode, Patient
from tests.factories import add_kratom_use, add_lab, add_medication, make_patient

SNAPSHOT_SKIP = {"id", "program", "patient", "created_by", "version", "primary_clinician"}


def _seed(program):
    patients = []
    for i in range(3):
        p = make_patient(
            program, mrn=f"RT{i}", given_name=f"G{i}", email=f"g{i}@example.org", is_pregnant=None
        )
        add_kratom_use(p, grams=str(5 + i), form="capsules", doses_per_day=3)
        add_medication(p, "buprenorphine-naloxone", dose=Decimal("16"), unit="mg")
        add_lab(p, "ALT", 30.5 + i, unit="U/L", ref_low=7, ref_high=56, loinc="1742-6")
        add_lab(p, "MITRAGYNINE", result_text="positive", method="lc_ms_ms", specimen="urine")
        Diagnosis.objects.create(program=program, patient=p, icd10_code="F19.20", text="Kratom")
        Episode.objects.create(
            program=program,
            patient=p,
            asam_level="2.1",
            admitted_on=date(2026, 1, 5) + timedelta(days=i),
        )
        patients.append(p)
    return patients


def snapshot(program):
    """Every exported table's rows, keyed by uid, with the patient named by MRN."""
    data = {}
    for name, table in TABLES.items():
        rows = {}
        qs = table.model.objects.filter(program=program)
        if table.links_patient:
            qs = qs.select_related("patient")
        for obj in qs:
            values = {
                f.name: getattr(obj, f.attname)
                for f in table.model._meta.concrete_fields
                if f.name not in SNAPSHOT_SKIP
            }
            if table.links_patient:
                values["mrn"] = obj.patient.mrn
            rows[obj.uid] = values
        data[name] = rows
    return data


def wipe(program):
    """Empty the program as a fresh database would be (audit rows are append-only in the
    app, so the test removes them with SQL)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_auditchainhead")
    ImportRun.objects.all().delete()
    Patient.objects.filter(program=program).delete()


def test_csv_round_trip_reproduces_the_same_data(director, prescriber, program, tmp_path):
    _seed(program)
    before = snapshot(program)
    result = export_program(actor=director, program=program, out_dir=tmp_path / "out")
    assert result.files["patients.csv"] == 3 and result.files["lab_results.csv"] == 6
    wipe(program)
    assert snapshot(program)["patients"] == {}
    for source in csv_sources(tmp_path / "out"):
        outcome = import_source(actor=prescriber, program=program, source=source)
        assert outcome.rejected == 0, outcome.rejects_path
    assert snapshot(program) == before


def test_fhir_ndjson_round_trip_keeps_identities_and_clinical_values(
    director, prescriber, program, tmp_path
):
    _seed(program)
    before = snapshot(program)
    result = export_program(actor=director, program=program, out_dir=tmp_path, fmt="ndjson")
    assert result.files["Patient.ndjson"] == 3
    assert result.files["Observation.ndjson"] == 9  # 6 labs + 3 substance uses
    wipe(program)
    outcome = import_source(
        actor=prescriber, program=program, source=FhirNdjsonSource([tmp_path], program=program)
    )
    assert outcome.rejected == 0
    after = snapshot(program)
    for name in TABLES:
        assert set(after[name]) == set(before[name]), name
    uid = next(iter(before["substance_uses"]))
    assert (
        after["substance_uses"][uid]["grams_per_day"]
        == before["substance_uses"][uid]["grams_per_day"]
    )
    lab = next(u for u, v in before["lab_results"].items() if v["analyte"] == "ALT")
    assert after["lab_results"][lab]["value"] == before["lab_results"][lab]["value"]


def test_parquet_export_has_typed_columns(director, program, tmp_path):
    import pyarrow.parquet as pq

    _seed(program)
    export_program(actor=director, program=program, out_dir=tmp_path, fmt="parquet")
    table = pq.read_table(tmp_path / "substance_uses.parquet")
    assert table.num_rows == 3
    assert sorted(table.column("grams_per_day").to_pylist()) == [
        Decimal("5.00"),
        Decimal("6.00"),
        Decimal("7.00"),
    ]
    assert set(table.column("mrn").to_pylist()) == {"RT0", "RT1", "RT2"}
    patients = pq.read_table(tmp_path / "patients.parquet")
    assert patients.schema.field("birth_date").type.__str__() == "date32[day]"


def test_export_contains_only_the_programs_rows(director, program, other_patient, tmp_path):
    _seed(program)
    export_program(actor=director, program=program, out_dir=tmp_path, tables=["patients"])
    text = (tmp_path / "patients.csv").read_text()
    assert "RT0" in text and other_patient.mrn not in text


def test_keyset_pages_cost_one_query_each(director, program):
    for i in range(7):
        make_patient(program, mrn=f"K{i}")
    with CaptureQueriesContext(connection) as queries:
        pages = list(iter_table_rows(TABLES["patients"], program.pk, page=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert len(queries) == 4  # 3 pages + the empty one that ends the walk
    assert all("OFFSET" not in q["sql"].upper() for q in queries.captured_queries)


def test_export_is_audited(director, program, tmp_path):
    from speciosa.audit.models import AuditEvent

    export_program(actor=director, program=program, out_dir=tmp_path, tables=["patients"])
    event = AuditEvent.objects.get(action="export")
    assert event.actor_id == director.pk and event.detail["files"] == {"patients.csv": 0}


def test_prescriber_may_not_bulk_export(prescriber, program, tmp_path):
    with pytest.raises(PermissionDenied):
        export_program(actor=prescriber, program=program, out_dir=tmp_path)


def test_outsider_cannot_export_another_program(outsider, program, tmp_path):
    with pytest.raises(NotFound):
        export_program(actor=outsider, program=program, out_dir=tmp_path)
    assert not (tmp_path / "patients.csv").exists()


def test_export_for_an_outside_recipient_needs_consent(director, program, tmp_path):
    make_patient(program)  # no Part 2 consent for the County
    with pytest.raises(ConsentRequired):
        export_program(actor=director, program=program, out_dir=tmp_path, recipient="County")


def test_timestamps_survive_the_csv_round_trip_to_the_microsecond(
    director, prescriber, program, tmp_path
):
    p = make_patient(program, mrn="TS1")
    stamp = timezone.now().replace(microsecond=123456)
    Patient.objects.filter(pk=p.pk).update(created_at=stamp)
    export_program(actor=director, program=program, out_dir=tmp_path, tables=["patients"])
    wipe(program)
    for source in csv_sources(tmp_path):
        import_source(actor=prescriber, program=program, source=source)
    assert Patient.objects.get(mrn="TS1").created_at == stamp
