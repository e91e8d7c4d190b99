"""Transaction and batch Bundles on POST /fhir.

A transaction runs in one database transaction: the first failing entry rolls back every
entry and the answer is that entry's OperationOutcome (its status, and which entry). A
batch runs each entry on its own and reports each entry's outcome in the response.
Entries run in FHIR's order (DELETE, POST, PUT, GET); ``urn:uuid:`` full URLs of created
resources are rewritten to their new ``Type/id`` in the entries that follow.
"""

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from speciosa.clinical.errors import DomainError
from speciosa.fhir.http import FhirContext, fhir_response, parse_json_body
from speciosa.fhir.outcome import FhirError, fhir_error_from_domain, outcome_for_error
from speciosa.fhir.search import search_bundle
from speciosa.fhir.validation import validate_resource

METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}
MAX_ENTRIES = 500
STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content"}


class EntryFailed(Exception):
    def __init__(self, index: int, error: FhirError) -> None:
        super().__init__(error.diagnostics)
        self.index = index
        self.error = error


def rewrite_references(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: rewrite_references(v, ids) for k, v in value.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in ids:
            out["reference"] = ids[out["reference"]]
        return out
    if isinstance(value, list):
        return [rewrite_references(v, ids) for v in value]
    return value


def split_url(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    parts = urlsplit(url)
    path = parts.path
    if "/fhir/" in path:
        path = path.split("/fhir/", 1)[1]
    segments = [s for s in path.strip("/").split("/") if s]
    return segments, parse_qsl(parts.query, keep_blank_values=True)


def run_entry(ctx: FhirContext, entry: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """Run one entry; returns the response entry. Raises FhirError/DomainError on failure."""
    from speciosa.fhir import views

    request = entry.get("request") or {}
    method = request.get("method")
    url = request.get("url") or ""
    segments, query = split_url(url)
    if not segments:
        raise FhirError(400, f"entry.request.url {url!r} names no resource type")
    rt = views.resource_type_or_404(segments[0])
    if method == "GET":
        if len(segments) == 1:
            bundle, _ = search_bundle(rt, ctx, query)
            return {"resource": bundle, "response": {"status": "200 OK"}}
        source, obj = views.find_or_404(rt, ctx, segments[1])
        resource = source.to_fhir(obj)
        return {"resource": resource, "response": response_meta(ctx, resource, 200)}
    ctx.require_write()
    resource = entry.get("resource")
    if method == "POST":
        if rt.create is None:
            raise FhirError(405, f"{rt.name} cannot be created", code="not-supported")
        body = validate_resource(rewrite_references(resource, ids), rt.name)
        created = views.create_resource(ctx, rt, body)
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str) and full_url.startswith("urn:"):
            ids[full_url] = f"{rt.name}/{created['id']}"
        return {"resource": created, "response": response_meta(ctx, created, 201)}
    if method == "PUT":
        if rt.update is None or len(segments) != 2:
            raise FhirError(405, f"PUT {url} is not supported", code="not-supported")
        body = validate_resource(rewrite_references(resource, ids), rt.name)
        if body.get("id") != segments[1]:
            raise FhirError(400, "entry.resource.id must match the id in entry.request.url")
        _source, obj = views.find_or_404(rt, ctx, segments[1])
        if_match = request.get("ifMatch")
        version = obj.version
        if if_match:
            match = views.ETAG.match(if_match)
            if not match:
                raise FhirError(400, f"ifMatch {if_match!r} is not a version ETag")
            version = int(match.group(1))
        elif (body.get("meta") or {}).get("versionId", "").isdigit():
            version = int(body["meta"]["versionId"])
        updated = views.update_resource(ctx, rt, obj, body, version)
        return {"resource": updated, "response": response_meta(ctx, updated, 200)}
    if method == "DELETE":
        if rt.delete is None or len(segments) != 2:
            raise FhirError(405, f"DELETE {url} is not supported", code="not-supported")
        _source, obj = views.find_or_404(rt, ctx, segments[1])
        rt.delete(ctx, obj)
        return {"response": {"status": "204 No Content"}}
    raise FhirError(400, f"entry.request.method {method!r} is not GET, POST, PUT or DELETE")


def response_meta(ctx: FhirContext, resource: dict[str, Any], status: int) -> dict[str, Any]:
    version = resource["meta"]["versionId"]
    return {
        "status": STATUS_TEXT[status],
        "location": f"{resource['resourceType']}/{resource['id']}/_history/{version}",
        "etag": f'W/"{version}"',
        "lastModified": resource["meta"]["lastUpdated"],
    }


def as_fhir_error(exc: Exception) -> FhirError:
    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, DomainError):
        return fhir_error_from_domain(exc)
    raise exc


def urn_references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = (
            {value["reference"]} if str(value.get("reference", "")).startswith("urn:") else set()
        )
        for v in value.values():
            found |= urn_references(v)
        return found
    if isinstance(value, list):
        return set().union(*(urn_references(v) for v in value)) if value else set()
    return set()


def ordered_entries(entries: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    """FHIR's method order; among POSTs, an entry comes after the entries it references."""
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise FhirError(
                400, f"Bundle.entry[{i}] is not an object", expression=[f"Bundle.entry[{i}]"]
            )
    by_method: dict[int, list[int]] = {}
    for i, e in enumerate(entries):
        rank = METHOD_ORDER.get((e.get("request") or {}).get("method"), 9)
        by_method.setdefault(rank, []).append(i)
    order: list[int] = []
    for rank in sorted(by_method):
        pending = by_method[rank]
        full_urls = {entries[i].get("fullUrl"): i for i in pending if entries[i].get("fullUrl")}
        needs = {
            i: {full_urls[u] for u in urn_references(entries[i].get("resource")) if u in full_urls}
            - {i}
            for i in pending
        }
        done: set[int] = set()
        while pending:
            ready = [i for i in pending if needs[i] <= done] or pending[:1]  # cycles: in order
            for i in ready:
                order.append(i)
                done.add(i)
            pending = [i for i in pending if i not in done]
    return [(i, entries[i]) for i in order]


def process_bundle(request: HttpRequest, ctx: FhirContext) -> HttpResponse:
    bundle = validate_resource(parse_json_body(request), "Bundle")
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(400, f"Bundle.type must be transaction or batch, not {kind!r}")
    entries = bundle.get("entry") or []
    if len(entries) > MAX_ENTRIES:
        raise FhirError(400, f"At most {MAX_ENTRIES} entries per Bundle")
    ctx.audit_type = "fhir:Bundle"
    ctx.audit_detail = {"bundle_type": kind, "entries": len(entries)}
    results: list[dict[str, Any] | None] = [None] * len(entries)
    ids: dict[str, str] = {}
    if kind == "transaction":
        try:
            with transaction.atomic():
                for index, entry in ordered_entries(entries):
                    try:
                        results[index] = run_entry(ctx, entry, ids)
                    except (FhirError, DomainError) as exc:
                        raise EntryFailed(index, as_fhir_error(exc)) from exc
        except EntryFailed as failed:
            error = failed.error
            error.diagnostics = (
                f"Transaction rolled back: entry {failed.index} failed: {error.diagnostics}"
            )
            error.expression = [f"Bundle.entry[{failed.index}]", *error.expression]
            ctx.audit_detail["failed_entry"] = failed.index
            return fhir_response(outcome_for_error(error), error.status)
    else:
        for index, entry in ordered_entries(entries):
            try:
                with transaction.atomic():
                    results[index] = run_entry(ctx, entry, ids)
            except (FhirError, DomainError) as exc:
                error = as_fhir_error(exc)
                results[index] = {
                    "response": {
                        "status": str(error.status),
                        "outcome": outcome_for_error(error),
                    }
                }
    ctx.audit_obj = None  # one row for the Bundle; each write audited itself
    ctx.audit_type, ctx.audit_id = "fhir:Bundle", ""
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": f"{kind}-response",
            "entry": [r for r in results if r is not None],
        }
    )
