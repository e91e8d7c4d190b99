"""Bulk Data $export HTTP endpoints: kick-off, status polling, cancel, NDJSON files."""

import uuid

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from speciosa.accounts.models import Program
from speciosa.audit.models import AuditAction
from speciosa.fhir.export import NDJSON_FORMATS, exportable_types, job_dir, manifest
from speciosa.fhir.http import FhirContext, fhir_endpoint, fhir_response, read_only_method
from speciosa.fhir.models import ExportJob, ExportLevel, ExportStatus
from speciosa.fhir.outcome import FhirError, operation_outcome
from speciosa.fhir.views import method_not_allowed

KICKOFF_PARAMS = {"_outputFormat", "_type", "_since"}
RETRY_AFTER_SECONDS = "2"


def parse_kickoff(request: HttpRequest, level: str) -> tuple[list[str], object]:
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError(400, "Bulk export is asynchronous: send 'Prefer: respond-async'")
    unknown = set(request.GET) - KICKOFF_PARAMS
    if unknown:
        raise FhirError(
            400,
            f"$export parameter(s) {sorted(unknown)} not supported; supported: "
            + ", ".join(sorted(KICKOFF_PARAMS)),
            code="not-supported",
        )
    if request.GET.get("_outputFormat") not in NDJSON_FORMATS:
        raise FhirError(400, "_outputFormat must be application/fhir+ndjson")
    allowed = exportable_types(level)
    types = allowed
    if request.GET.get("_type"):
        types = [t.strip() for raw in request.GET.getlist("_type") for t in raw.split(",")]
        bad = [t for t in types if t not in allowed]
        if bad:
            raise FhirError(
                400, f"_type {bad} cannot be exported at this level; allowed: {', '.join(allowed)}"
            )
    since = None
    if request.GET.get("_since"):
        raw = request.GET["_since"].replace(" ", "+")
        since = parse_datetime(raw)
        if since is None or since.tzinfo is None:
            raise FhirError(400, f"_since={raw!r} must be a FHIR instant with a time zone")
    return list(dict.fromkeys(types)), since


def kickoff(request: HttpRequest, ctx: FhirContext, level: str, group=None) -> HttpResponse:
    from speciosa.fhir.tasks import run_fhir_export

    if request.method != "GET":
        raise method_not_allowed(request, ["GET"], "$export")
    types, since = parse_kickoff(request, level)
    job = ExportJob.objects.create(
        requested_by=ctx.user,
        level=level,
        group_program=group,
        types=types,
        since=since,
        program_ids=sorted(ctx.program_ids),
        request_url=request.build_absolute_uri(),
    )
    ctx.audit_action = AuditAction.EXPORT
    ctx.audit_type, ctx.audit_id = "fhir:$export", str(job.uid)
    ctx.audit_detail = {"level": level, "types": types, "since": str(since or "")}
    run_fhir_export.enqueue(str(job.uid))
    status_url = ctx.url(f"$export-status/{job.uid}")
    body = operation_outcome(
        "Export accepted; poll Content-Location", severity="information", code="informational"
    )
    return fhir_response(body, 202, {"Content-Location": status_url})


@fhir_endpoint
def system_export(request: HttpRequest, ctx: FhirContext) -> HttpResponse:
    return kickoff(request, ctx, ExportLevel.SYSTEM)


@fhir_endpoint
def patient_export(request: HttpRequest, ctx: FhirContext) -> HttpResponse:
    return kickoff(request, ctx, ExportLevel.PATIENT)


@fhir_endpoint
def group_export(request: HttpRequest, ctx: FhirContext, group_id: str) -> HttpResponse:
    try:
        group = Program.objects.filter(pk__in=ctx.program_ids, uid=uuid.UUID(group_id)).first()
    except ValueError:
        group = None
    if group is None:
        raise FhirError(404, f"Group/{group_id} is not known (or not in your programs)")
    return kickoff(request, ctx, ExportLevel.GROUP, group)


def own_job(ctx: FhirContext, job_id: str) -> ExportJob:
    try:
        job = ExportJob.objects.filter(uid=uuid.UUID(job_id), requested_by=ctx.user).first()
    except ValueError:
        job = None
    if job is None:
        raise FhirError(404, f"Export {job_id} is not known (only its requester may see it)")
    return job


@fhir_endpoint
@read_only_method
def export_status(request: HttpRequest, ctx: FhirContext, job_id: str) -> HttpResponse:
    job = own_job(ctx, job_id)
    ctx.audit_type, ctx.audit_id = "fhir:$export-status", str(job.uid)
    if request.method == "DELETE":
        if job.status in (ExportStatus.ACCEPTED, ExportStatus.IN_PROGRESS, ExportStatus.COMPLETED):
            ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED)
            import shutil

            shutil.rmtree(job_dir(job), ignore_errors=True)
            body = operation_outcome(
                "Export cancelled", severity="information", code="informational"
            )
            return fhir_response(body, 202)
        raise FhirError(404, f"Export {job_id} is already {job.status}")
    if request.method != "GET":
        raise method_not_allowed(request, ["GET", "DELETE"], "$export-status")
    if job.status in (ExportStatus.ACCEPTED, ExportStatus.IN_PROGRESS):
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{job.status}: {job.written} resources written"
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    if job.status == ExportStatus.FAILED:
        raise FhirError(500, f"Export failed: {job.error}")
    if job.status == ExportStatus.CANCELLED:
        raise FhirError(404, f"Export {job_id} was cancelled")
    response = fhir_response(manifest(job))
    response["Content-Type"] = "application/json"
    return response


@fhir_endpoint
def export_file(request: HttpRequest, ctx: FhirContext, job_id: str, filename: str):
    job = own_job(ctx, job_id)
    if request.method != "GET":
        raise method_not_allowed(request, ["GET"], "export files")
    entry = next((o for o in job.output if o["url"].endswith(f"/{filename}")), None)
    path = job_dir(job) / filename
    if job.status != ExportStatus.COMPLETED or entry is None or not path.is_file():
        raise FhirError(404, f"File {filename} is not part of completed export {job_id}")
    ctx.audit_action = AuditAction.EXPORT
    ctx.audit_type, ctx.audit_id = "fhir:$export-file", str(job.uid)
    ctx.audit_detail = {"type": entry["type"], "count": entry["count"]}
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
