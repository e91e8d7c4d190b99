"""FHIR search: parameter parsing, date prefixes, keyset paging, _include, Bundles.

Paging is keyset, not offset: a next link carries ``_cursor=<source>.<last pk>``, and
the next page starts strictly after that row. Rows inserted while a client pages
therefore never shift earlier pages (no duplicates, no skips of existing rows).
"""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from speciosa.fhir.http import FhirContext
from speciosa.fhir.outcome import FhirError
from speciosa.fhir.registry import NOTHING, REGISTRY, ParamDoc, ResourceType, Source

DEFAULT_COUNT = 50
MAX_COUNT = 1000
CONTROL_PARAMS = {"_count", "_cursor", "_include", "_total", "_format", "_pretty", "_elements"}
COMMON_PARAMS: dict[str, ParamDoc] = {
    "_id": ParamDoc("token", "Logical id"),
    "_lastUpdated": ParamDoc("date", "When the record last changed (prefixes ge, le, gt, lt, eq)"),
}
PATIENT_PARAMS: dict[str, ParamDoc] = {
    "patient": ParamDoc("reference", "The patient (Patient/<id> or <id>)"),
    "subject": ParamDoc("reference", "Same as patient"),
}
DATE_PREFIXES = ("eq", "ge", "le", "gt", "lt")
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_bounds(raw: str) -> tuple[datetime, datetime]:
    """The half-open instant range a FHIR date value denotes at its own precision."""
    match = PARTIAL_DATE.match(raw)
    if match:
        year, month, day_ = match.group(1), match.group(2), match.group(3)
        try:
            start = datetime(int(year), int(month or 1), int(day_ or 1), tzinfo=UTC)
        except ValueError as exc:
            raise FhirError(400, f"{raw!r} is not a valid date") from exc
        if day_:
            end = start + timedelta(days=1)
        elif month:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        return start, end
    parsed = parse_datetime(raw.replace(" ", "+"))  # '+' in a query string arrives as ' '
    if parsed is None:
        raise FhirError(400, f"{raw!r} is not a FHIR date or dateTime")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed, parsed + timedelta(seconds=1)


def date_filter(field_name: str, *, is_date: bool = False):
    """A ParamFilter for a date parameter with ge/le/gt/lt/eq prefixes."""

    def build(value: str) -> Q:
        prefix, raw = "eq", value
        if value[:2] in DATE_PREFIXES and not value[:2].isdigit():
            prefix, raw = value[:2], value[2:]
        elif value[:2].isalpha():
            raise FhirError(400, f"Date prefix {value[:2]!r} is not supported (use eq/ge/le/gt/lt)")
        start, end = date_bounds(raw)
        lo: date | datetime = start
        hi: date | datetime = end
        if is_date:
            lo, hi = start.date(), max(end.date(), start.date() + timedelta(days=1))
        return {
            "eq": Q(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi}),
            "ge": Q(**{f"{field_name}__gte": lo}),
            "gt": Q(**{f"{field_name}__gte": hi}),
            "le": Q(**{f"{field_name}__lt": hi}),
            "lt": Q(**{f"{field_name}__lt": lo}),
        }[prefix]

    return build


def token_parts(value: str) -> tuple[str | None, str]:
    """``system|code`` -> (system, code); ``code`` -> (None, code); ``|code`` -> ("", code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def reference_id(value: str, resource_type: str) -> str:
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] != resource_type:
        return ""
    return tail[-1]


def uid_filter(path: str, resource_type: str):
    def build(value: str) -> Q:
        try:
            return Q(**{path: uuid.UUID(reference_id(value, resource_type))})
        except ValueError:
            return NOTHING

    return build


def common_filters(source: Source) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "_id": (
            uid_filter("uid", "")
            if source.id_query is None and source.id_field == "uid"
            else source.id_filter
        ),
        "_lastUpdated": date_filter(source.updated_field),
    }
    if source.patient_path:
        patient_uid = "uid" if source.patient_path == "self" else f"{source.patient_path}__uid"
        filters["patient"] = filters["subject"] = uid_filter(patient_uid, "Patient")
    return filters


def supported_params(rt: ResourceType) -> dict[str, ParamDoc]:
    params = dict(COMMON_PARAMS)
    if rt.has_patient:
        params.update(PATIENT_PARAMS)
    params.update(rt.params)
    return params


def parse_query(rt: ResourceType, pairs: list[tuple[str, str]], *, strict: bool = True):
    """Split query pairs into filters {name: [occurrence, ...]} and control values."""
    allowed = supported_params(rt)
    filters: dict[str, list[str]] = {}
    control: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in CONTROL_PARAMS:
            control.setdefault(name, []).append(value)
            continue
        if name not in allowed:
            if not strict:
                continue
            raise FhirError(
                400,
                f"Search parameter {name!r} is not supported for {rt.name}; supported: "
                + ", ".join(sorted(allowed) + sorted(CONTROL_PARAMS - {"_elements", "_pretty"})),
                code="not-supported",
            )
        if value == "":
            continue
        filters.setdefault(name, []).append(value)
    return filters, control


def filtered(source: Source, filters: dict[str, list[str]], program_ids) -> Any:
    qs = source.queryset(program_ids)
    available = {**common_filters(source), **source.filters}
    for name, occurrences in filters.items():
        build = available.get(name)
        for occurrence in occurrences:
            if build is None:
                qs = qs.filter(NOTHING)
                continue
            q = Q(pk__in=[])
            for value in occurrence.split(","):
                q |= build(value)
            qs = qs.filter(q)
    return qs


def parse_count(control: dict[str, list[str]]) -> int:
    raw = (control.get("_count") or [str(DEFAULT_COUNT)])[-1]
    try:
        count = int(raw)
    except ValueError as exc:
        raise FhirError(400, f"_count={raw!r} is not a whole number") from exc
    if count < 0:
        raise FhirError(400, "_count must not be negative")
    return min(count, MAX_COUNT)


def parse_cursor(rt: ResourceType, control: dict[str, list[str]]) -> tuple[int, int]:
    raw = (control.get("_cursor") or [""])[-1]
    if not raw:
        return 0, 0
    key, _, pk = raw.partition(".")
    keys = [s.key for s in rt.sources]
    if key not in keys or not pk.isdigit():
        raise FhirError(400, f"_cursor={raw!r} is not a cursor this server issued")
    return keys.index(key), int(pk)


def search_page(rt: ResourceType, ctx: FhirContext, pairs: list[tuple[str, str]], strict=True):
    """One page: (matches as (source, obj), next cursor or None, filters, control)."""
    filters, control = parse_query(rt, pairs, strict=strict)
    count = parse_count(control)
    start_index, after_pk = parse_cursor(rt, control)
    program_ids = rt.program_ids_for(ctx)
    found: list[tuple[Source, Any]] = []
    next_cursor = None
    for index, source in enumerate(rt.sources):
        if index < start_index:
            continue
        qs = filtered(source, filters, program_ids).order_by("pk")
        if index == start_index and after_pk:
            qs = qs.filter(pk__gt=after_pk)
        remaining = count - len(found)
        rows = list(qs[: remaining + 1])
        found.extend((source, obj) for obj in rows[:remaining])
        if len(rows) > remaining:
            last = found[-1][1] if remaining else None
            if last is not None:
                next_cursor = f"{source.key}.{last.pk}"
            elif index == start_index and after_pk:
                next_cursor = f"{source.key}.{after_pk}"
            else:
                next_cursor = f"{source.key}.0"
            break
    return found, next_cursor, filters, control


def total_matches(rt: ResourceType, ctx: FhirContext, filters: dict[str, list[str]]) -> int:
    program_ids = rt.program_ids_for(ctx)
    return sum(filtered(s, filters, program_ids).count() for s in rt.sources)


def gather_includes(
    rt: ResourceType, ctx: FhirContext, found: list[tuple[Source, Any]], specs: list[str]
) -> list[tuple[ResourceType, Source, Any]]:
    """Resolve ``_include=Type:param`` for the page; unknown includes are a 400."""
    included: list[tuple[ResourceType, Source, Any]] = []
    seen: set[tuple[str, int]] = set()
    for spec in specs:
        parts = spec.split(":")
        if len(parts) < 2 or parts[0] != rt.name or parts[1] not in rt.includes:
            raise FhirError(
                400,
                f"_include={spec!r} is not supported; supported: "
                + ", ".join(f"{rt.name}:{p}" for p in rt.includes),
                code="not-supported",
            )
        target_name, attr = rt.includes[parts[1]]
        target = REGISTRY[target_name]
        ids = {getattr(obj, attr) for _, obj in found if getattr(obj, attr, None) is not None}
        for source in target.sources:
            scope = target.program_ids_for(ctx)
            for obj in source.queryset(scope).filter(pk__in=ids).order_by("pk"):
                if (target_name, obj.pk) not in seen:
                    seen.add((target_name, obj.pk))
                    included.append((target, source, obj))
    return included


def entry(ctx: FhirContext, resource: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fullUrl": ctx.url(f"{resource['resourceType']}/{resource['id']}"),
        "resource": resource,
    }
    if mode:
        out["search"] = {"mode": mode}
    return out


def search_bundle(
    rt: ResourceType, ctx: FhirContext, pairs: list[tuple[str, str]], *, strict: bool = True
) -> tuple[dict[str, Any], list[tuple[Source, Any]]]:
    found, next_cursor, filters, control = search_page(rt, ctx, pairs, strict=strict)
    entries = [entry(ctx, source.to_fhir(obj), "match") for source, obj in found]
    for _target, source, obj in gather_includes(rt, ctx, found, control.get("_include", [])):
        entries.append(entry(ctx, source.to_fhir(obj), "include"))
    self_pairs = [(k, v) for k, v in pairs if k != "_cursor"]
    links = [{"relation": "self", "url": ctx.url(rt.name, pairs)}]
    if next_cursor:
        links.append(
            {"relation": "next", "url": ctx.url(rt.name, [*self_pairs, ("_cursor", next_cursor)])}
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": entries,
    }
    if "accurate" in control.get("_total", []) or parse_count(control) == 0:
        bundle["total"] = total_matches(rt, ctx, filters)
    if not entries:
        del bundle["entry"]
    return bundle, found
