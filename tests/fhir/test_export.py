"""Bulk Data $export: kick-off, polling, NDJSON per type, _type, _since, scope, labels."""

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from speciosa.audit.models import AuditEvent
from speciosa.fhir.models import ExportJob
from speciosa.fhir.validation import validate_resource
from speciosa.patients.models import Patient
from tests.fhir.conftest import assert_outcome

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def run_tasks_immediately(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SPECIOSA_EXPORT_DIR = tmp_path / "exports"


def kick_off(fhir, url):
    response = fhir.get(url, **ASYNC)
    assert response.status_code == 202, response.content
    return response["Content-Location"].split("/fhir", 1)[1]


def finished_manifest(fhir, url):
    status = fhir.get("/fhir" + kick_off(fhir, url))
    assert status.status_code == 200, status.content
    return status.json_body


def ndjson(fhir, file_url):
    response = fhir.get(file_url.split("testserver", 1)[1])
    assert response["Content-Type"] == "application/fhir+ndjson"
    body = b"".join(response.streaming_content)
    return [orjson.loads(line) for line in body.splitlines()]


def test_system_export_writes_one_valid_ndjson_per_type(fhir, charted_patient):
    manifest = finished_manifest(fhir, "/fhir/$export")
    assert manifest["requiresAccessToken"] is True
    by_type = {o["type"]: o for o in manifest["output"]}
    assert {"Patient", "Observation", "MedicationStatement", "Organization"} <= set(by_type)
    for output in manifest["output"]:
        resources = ndjson(fhir, output["url"])
        assert len(resources) == output["count"]
        for resource in resources:
            validate_resource(resource, output["type"])


def test_export_substance_use_lines_carry_part2(fhir, charted_patient):
    manifest = finished_manifest(fhir, "/fhir/$export?_type=Observation")
    lines = ndjson(fhir, manifest["output"][0]["url"])
    kratom = [r for r in lines if r["category"][0]["coding"][0]["code"] == "social-history"]
    assert kratom and all(r["meta"]["security"][0]["code"] == "42CFRPart2" for r in kratom)


def test_type_filter_limits_files(fhir, charted_patient):
    manifest = finished_manifest(fhir, "/fhir/Patient/$export?_type=Patient,Condition")
    assert [o["type"] for o in manifest["output"]] == ["Patient"]  # no Condition rows


def test_since_keeps_only_recent_changes(fhir, program, charted_patient):
    old = Patient.objects.create(
        program=program, mrn="OLD", given_name="O", family_name="Ld", birth_date="1970-01-01"
    )
    Patient.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    from urllib.parse import quote

    manifest = finished_manifest(fhir, f"/fhir/$export?_type=Patient&_since={quote(since)}")
    ids = [r["id"] for r in ndjson(fhir, manifest["output"][0]["url"])]
    assert ids == [str(charted_patient.uid)]


def test_group_export_is_one_program(fhir, program, charted_patient):
    manifest = finished_manifest(fhir, f"/fhir/Group/{program.uid}/$export?_type=Patient")
    assert manifest["output"][0]["count"] == 1


def test_group_of_other_program_is_404(fhir, other_program):
    assert_outcome(fhir.get(f"/fhir/Group/{other_program.uid}/$export", **ASYNC), 404)


def test_outsider_export_does_not_contain_patient(fhir_outsider, charted_patient, other_patient):
    manifest = finished_manifest(fhir_outsider, "/fhir/Patient/$export?_type=Patient")
    ids = [r["id"] for r in ndjson(fhir_outsider, manifest["output"][0]["url"])]
    assert ids == [str(other_patient.uid)]


def test_outsider_cannot_poll_someone_elses_export(fhir, fhir_outsider, charted_patient):
    status_path = kick_off(fhir, "/fhir/$export")
    assert_outcome(fhir_outsider.get("/fhir" + status_path), 404, contains="requester")


def test_kickoff_without_prefer_async_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/$export"), 400, contains="respond-async")


def test_unknown_type_is_400(fhir, patient):
    response = fhir.get("/fhir/Patient/$export?_type=Organization", **ASYNC)
    assert_outcome(response, 400, contains="Organization")


def test_unsupported_parameter_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/$export?_typeFilter=x", **ASYNC), 400, contains="_typeFilter")


def test_bad_since_is_400(fhir, patient):
    assert_outcome(fhir.get("/fhir/$export?_since=yesterday", **ASYNC), 400, contains="_since")


def test_pending_export_answers_202_with_progress(fhir, patient, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    status_path = kick_off(fhir, "/fhir/$export")
    response = fhir.get("/fhir" + status_path)
    assert response.status_code == 202
    assert response["X-Progress"].startswith("accepted")
    assert response["Retry-After"]


def test_cancel_export_then_status_is_404(fhir, patient, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    status_path = kick_off(fhir, "/fhir/$export")
    assert fhir.delete("/fhir" + status_path).status_code == 202
    assert_outcome(fhir.get("/fhir" + status_path), 404, contains="cancelled")


def test_export_is_audited(fhir, charted_patient):
    manifest = finished_manifest(fhir, "/fhir/$export?_type=Patient")
    ndjson(fhir, manifest["output"][0]["url"])
    actions = list(
        AuditEvent.objects.filter(object_type__startswith="fhir:$export").values_list(
            "object_type", "action"
        )
    )
    assert ("fhir:$export", "export") in actions
    assert ("fhir:$export-file", "export") in actions


def test_export_streams_in_chunks(fhir, program, monkeypatch):
    """Rows are fetched chunk by chunk (keyset), never all at once."""
    from speciosa.fhir import export

    monkeypatch.setattr(export, "EXPORT_CHUNK", 2)
    for i in range(5):
        Patient.objects.create(
            program=program, mrn=f"C{i}", given_name="A", family_name="B", birth_date="1990-01-01"
        )
    seen = []
    real = export.iter_source

    def spy(source, program_ids, since=None, chunk=2):
        for obj in real(source, program_ids, since, chunk=2):
            seen.append(obj.pk)
            yield obj

    monkeypatch.setattr(export, "iter_source", spy)
    manifest = finished_manifest(fhir, "/fhir/$export?_type=Patient")
    assert manifest["output"][0]["count"] == 5
    assert seen == sorted(seen)
    assert ExportJob.objects.get().written == 5


def test_export_lines_equal_the_api_read(fhir, charted_patient):
    """The export fast path (named-tuple rows) maps exactly like a model read."""
    manifest = finished_manifest(fhir, "/fhir/$export?_type=Observation")
    for line in ndjson(fhir, manifest["output"][0]["url"]):
        assert line == fhir.get(f"/fhir/Observation/{line['id']}").json_body
