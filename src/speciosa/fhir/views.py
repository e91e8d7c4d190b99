"""FHIR HTTP views: plain Django views wrapped by ``fhir_endpoint`` (see http.py)."""

import re
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from speciosa.audit.models import AuditAction
from speciosa.fhir.capability import capability_statement
from speciosa.fhir.http import (
    FhirContext,
    fhir_base_url,
    fhir_endpoint,
    fhir_response,
    parse_json_body,
    read_only_method,
)
from speciosa.fhir.outcome import FhirError
from speciosa.fhir.registry import CATALOGS, REGISTRY, ResourceType, Source
from speciosa.fhir.search import entry, search_bundle
from speciosa.fhir.validation import validate_resource

ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def resource_type_or_404(name: str) -> ResourceType:
    rt = REGISTRY.get(name)
    if rt is None:
        raise FhirError(
            404,
            f"Resource type {name!r} is not supported here; see /fhir/metadata for the list",
            code="not-supported",
        )
    return rt


def method_not_allowed(request: HttpRequest, allowed: list[str], what: str) -> FhirError:
    return FhirError(
        405,
        f"{request.method} is not supported on {what}; allowed: {', '.join(allowed)}",
        code="not-supported",
        headers={"Allow": ", ".join(allowed)},
    )


def versioned_headers(ctx: FhirContext, resource: dict[str, Any]) -> dict[str, str]:
    version = resource.get("meta", {}).get("versionId", "1")
    return {
        "ETag": f'W/"{version}"',
        "Last-Modified": resource.get("meta", {}).get("lastUpdated", ""),
        "Location": ctx.url(f"{resource['resourceType']}/{resource['id']}/_history/{version}"),
    }


def find_or_404(rt: ResourceType, ctx: FhirContext, resource_id: str) -> tuple[Source, Any]:
    found = rt.find(rt.program_ids_for(ctx), resource_id)
    if found is None:
        raise FhirError(404, f"{rt.name}/{resource_id} is not known (or not in your programs)")
    return found


def audit_object(ctx: FhirContext, rt: ResourceType, source: Source, obj: Any) -> None:
    ctx.audit_obj = obj
    ctx.audit_type = f"fhir:{rt.name}"
    ctx.audit_id = source.resource_id(obj)


def query_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    return [(k, v) for k in request.GET for v in request.GET.getlist(k)]


def is_lenient(request: HttpRequest) -> bool:
    return "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")


# --- metadata and code systems ------------------------------------------------------


@csrf_exempt
@login_not_required
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement is public, as FHIR clients read it before authenticating."""
    if request.method not in ("GET", "HEAD"):
        from speciosa.fhir.http import error_response

        return error_response(method_not_allowed(request, ["GET"], "/metadata"))
    return fhir_response(capability_statement(fhir_base_url(request)))


CATALOG_PARAMS = {"url", "name", "title", "status", "_id"}


def catalog_matches(resource: dict[str, Any], name: str, value: str) -> bool:
    if name == "url":
        return resource.get("url") == value.split("|")[0]
    if name == "_id":
        return resource.get("id") == value
    if name in ("name", "title"):
        return value.lower() in str(resource.get(name, "")).lower()
    return resource.get(name) == value


def catalog_search(request: HttpRequest, ctx: FhirContext, type_name: str) -> HttpResponse:
    pairs = [(k, v) for k, v in query_pairs(request) if k not in ("_format", "_count")]
    unknown = {k for k, _ in pairs} - CATALOG_PARAMS
    if unknown and not is_lenient(request):
        raise FhirError(
            400,
            f"Search parameter(s) {sorted(unknown)} not supported for {type_name}; supported: "
            + ", ".join(sorted(CATALOG_PARAMS)),
            code="not-supported",
        )
    found = [
        r
        for r in CATALOGS[type_name]()
        if all(catalog_matches(r, k, v) for k, v in pairs if k in CATALOG_PARAMS)
    ]
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": [{"relation": "self", "url": ctx.url(type_name, query_pairs(request))}],
            "entry": [entry(ctx, r, "match") for r in found],
        }
    )


def catalog_read(ctx: FhirContext, type_name: str, resource_id: str) -> HttpResponse:
    for resource in CATALOGS[type_name]():
        if resource.get("id") == resource_id:
            return fhir_response(resource)
    raise FhirError(
        404, f"{type_name}/{resource_id} is not known; GET /fhir/{type_name} lists them"
    )


# --- type level: search and create ----------------------------------------------------


@fhir_endpoint
def type_view(request: HttpRequest, ctx: FhirContext, type_name: str) -> HttpResponse:
    if type_name in CATALOGS and type_name not in REGISTRY:
        if request.method != "GET":
            raise method_not_allowed(request, ["GET"], type_name)
        return catalog_search(request, ctx, type_name)
    rt = resource_type_or_404(type_name)
    if request.method == "GET":
        return search(request, ctx, rt, query_pairs(request))
    if request.method == "POST":
        if rt.create is None:
            raise method_not_allowed(request, ["GET"], type_name)
        return create(request, ctx, rt)
    raise method_not_allowed(request, ["GET", "POST"] if rt.create else ["GET"], type_name)


@fhir_endpoint
@read_only_method
def search_post_view(request: HttpRequest, ctx: FhirContext, type_name: str) -> HttpResponse:
    """POST Type/_search with form-encoded parameters (FHIR's alternative to GET)."""
    rt = resource_type_or_404(type_name)
    if request.method != "POST":
        raise method_not_allowed(request, ["POST"], f"{type_name}/_search")
    pairs = query_pairs(request) + [(k, v) for k in request.POST for v in request.POST.getlist(k)]
    return search(request, ctx, rt, pairs)


def search(request, ctx: FhirContext, rt: ResourceType, pairs) -> HttpResponse:
    bundle, found = search_bundle(rt, ctx, pairs, strict=not is_lenient(request))
    ctx.audit_action = AuditAction.READ  # also for POST _search, which only reads
    ctx.audit_type = f"fhir:{rt.name}"
    ctx.audit_detail = {
        "count": len(found),
        "ids": [source.resource_id(obj) for source, obj in found][:200],
    }
    return fhir_response(bundle)


def create(request: HttpRequest, ctx: FhirContext, rt: ResourceType) -> HttpResponse:
    body = validate_resource(parse_json_body(request), rt.name)
    resource = create_resource(ctx, rt, body)
    return fhir_response(resource, 201, versioned_headers(ctx, resource))


def create_resource(ctx: FhirContext, rt: ResourceType, body: dict[str, Any]) -> dict[str, Any]:
    """Create through the app's service function; returns the stored resource."""
    assert rt.create is not None
    with transaction.atomic():
        obj = rt.create(ctx, body)
    source, stored = find_or_404(rt, ctx, str(obj.uid))
    audit_object(ctx, rt, source, stored)
    return source.to_fhir(stored)


# --- instance level: read, update, delete ---------------------------------------------


@fhir_endpoint
def instance_view(request, ctx: FhirContext, type_name: str, resource_id: str) -> HttpResponse:
    if type_name in CATALOGS and type_name not in REGISTRY:
        if request.method != "GET":
            raise method_not_allowed(request, ["GET"], type_name)
        return catalog_read(ctx, type_name, resource_id)
    rt = resource_type_or_404(type_name)
    allowed = ["GET"] + (["PUT"] if rt.update else []) + (["DELETE"] if rt.delete else [])
    if request.method == "GET":
        source, obj = find_or_404(rt, ctx, resource_id)
        audit_object(ctx, rt, source, obj)
        resource = source.to_fhir(obj)
        headers = versioned_headers(ctx, resource)
        del headers["Location"]
        return fhir_response(resource, 200, headers)
    if request.method == "PUT" and rt.update:
        return update(request, ctx, rt, resource_id)
    if request.method == "DELETE" and rt.delete:
        source, obj = find_or_404(rt, ctx, resource_id)
        audit_object(ctx, rt, source, obj)
        with transaction.atomic():
            rt.delete(ctx, obj)
        return HttpResponse(status=204)
    raise method_not_allowed(request, allowed, f"{type_name}/<id>")


def expected_version(request: HttpRequest, body: dict[str, Any], current: int) -> int:
    """If-Match wins, then meta.versionId, else the current version (last writer wins)."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        match = ETAG.match(header)
        if not match:
            raise FhirError(400, f'If-Match {header!r} is not a version ETag like W/"3"')
        return int(match.group(1))
    version = (body.get("meta") or {}).get("versionId")
    if version is not None:
        if not str(version).isdigit():
            raise FhirError(400, f"meta.versionId {version!r} is not a version this server issued")
        return int(version)
    return current


def update(request, ctx: FhirContext, rt: ResourceType, resource_id: str) -> HttpResponse:
    body = validate_resource(parse_json_body(request), rt.name)
    if body.get("id") != resource_id:
        raise FhirError(
            400,
            f"The resource id ({body.get('id')!r}) must match the URL id ({resource_id!r})",
            expression=[f"{rt.name}.id"],
        )
    _source, obj = find_or_404(rt, ctx, resource_id)
    version = expected_version(request, body, obj.version)
    resource = update_resource(ctx, rt, obj, body, version)
    return fhir_response(resource, 200, versioned_headers(ctx, resource))


def update_resource(ctx, rt: ResourceType, obj, body: dict[str, Any], version: int):
    assert rt.update is not None
    with transaction.atomic():
        rt.update(ctx, obj, body, version)
    source, stored = find_or_404(rt, ctx, str(obj.uid))
    audit_object(ctx, rt, source, stored)
    return source.to_fhir(stored)


# --- history --------------------------------------------------------------------------


@fhir_endpoint
def history_view(request, ctx: FhirContext, type_name: str, resource_id: str, version_id=None):
    rt = resource_type_or_404(type_name)
    if request.method != "GET":
        raise method_not_allowed(request, ["GET"], f"{type_name}/<id>/_history")
    source, obj = find_or_404(rt, ctx, resource_id)
    audit_object(ctx, rt, source, obj)
    versions = rt.history(ctx, obj) if rt.history else [source.to_fhir(obj)]
    if version_id is not None:
        for resource in versions:
            if resource["meta"]["versionId"] == version_id:
                headers = versioned_headers(ctx, resource)
                return fhir_response(resource, 200, headers)
        raise FhirError(
            404,
            f"{type_name}/{resource_id} version {version_id} is not kept"
            + ("" if rt.history else " (this server keeps only the current version of this type)"),
        )
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(versions),
            "entry": [
                {
                    "fullUrl": ctx.url(f"{type_name}/{resource_id}"),
                    "resource": resource,
                    "request": {"method": "PUT", "url": f"{type_name}/{resource_id}"},
                    "response": {"status": "200", "etag": f'W/"{resource["meta"]["versionId"]}"'},
                }
                for resource in versions
            ],
        }
    )


# --- system level ---------------------------------------------------------------------


@login_not_required
@fhir_endpoint
def root_view(request: HttpRequest, ctx: FhirContext) -> HttpResponse:
    if request.method == "POST":
        from speciosa.fhir.bundles import process_bundle

        return process_bundle(request, ctx)
    raise method_not_allowed(request, ["POST"], "the base URL (transaction/batch Bundles)")


@fhir_endpoint
def unknown_route(request: HttpRequest, ctx: FhirContext, path: str = "") -> HttpResponse:
    raise FhirError(
        404,
        f"No FHIR route for {request.method} /fhir/{path}; see /fhir/metadata for what is "
        "supported",
        code="not-found",
    )
