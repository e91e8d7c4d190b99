"""Database -> columnar extract (Arrow tables) for the outcomes engine.

Rows are streamed with keyset pagination (``pk > last`` ordered by pk, fixed page size),
so memory stays bounded by one page of Python tuples plus the Arrow columns, and no
OFFSET scans. Apps that land later (measures Score, safety Alert, plan events) are read
when their models exist; until then their tables are empty. Apps can also register their
own source with ``register_extract_source``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
from django.apps import apps
from django.db.models import Model, QuerySet

from speciosa.clinical.outcomes.tables import SCHEMAS, OutcomeTables, encode_categories

PAGE_SIZE = 5000
RowSource = Callable[[list[int]], Iterator[tuple[Any, ...]]]
_SOURCES: dict[str, RowSource] = {}


def register_extract_source(kind: str, source: RowSource) -> None:
    """Replace the default source of one table (e.g. the plans app supplying events)."""
    if kind not in SCHEMAS:
        raise ValueError(f"unknown outcome table {kind!r}")
    _SOURCES[kind] = source


def keyset_rows(qs: QuerySet, fields: list[str], page_size: int = PAGE_SIZE) -> Iterator[tuple]:
    """Every row of ``qs`` as a tuple of ``fields``, page by page in primary-key order."""
    last = None
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page.values_list("pk", *fields)[:page_size])
        if not rows:
            return
        last = rows[-1][0]
        for row in rows:
            yield row[1:]
        if len(rows) < page_size:
            return


def naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _model(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _field(model: type[Model], *names: str) -> str | None:
    present = {f.name for f in model._meta.get_fields()}
    return next((n for n in names if n in present), None)


def _patients(program_ids: list[int]) -> Iterator[tuple]:
    from speciosa.patients.models import Patient

    qs = Patient.objects.filter(program_id__in=program_ids)
    yield from keyset_rows(qs, ["id", "birth_date", "sex_at_birth"])


def _episodes(program_ids: list[int]) -> Iterator[tuple]:
    from speciosa.patients.models import Episode

    qs = Episode.objects.filter(program_id__in=program_ids)
    fields = ["id", "patient_id", "program_id", "asam_level", "admitted_on", "discharged_on"]
    yield from keyset_rows(qs, [*fields, "discharge_reason"])


def _diagnoses(program_ids: list[int]) -> Iterator[tuple]:
    from speciosa.patients.models import Diagnosis

    qs = Diagnosis.objects.filter(program_id__in=program_ids, is_active=True)
    yield from keyset_rows(qs, ["patient_id", "icd10_code"])


def _kratom_use(program_ids: list[int]) -> Iterator[tuple]:
    """Each kratom record is a self-report at its creation time; a record that is no
    longer current reports 0 g/day."""
    from speciosa.patients.models import SubstanceUse

    qs = SubstanceUse.objects.filter(program_id__in=program_ids, substance="kratom")
    for pid, at, grams, current in keyset_rows(
        qs, ["patient_id", "created_at", "grams_per_day", "is_current"]
    ):
        if not current:
            yield pid, naive_utc(at), 0.0
        elif grams is not None:
            yield pid, naive_utc(at), float(grams)


def _labs(program_ids: list[int]) -> Iterator[tuple]:
    from speciosa.patients.models import LabResult

    qs = LabResult.objects.filter(program_id__in=program_ids)
    for pid, analyte, method, at, text in keyset_rows(
        qs, ["patient_id", "analyte", "method", "collected_at", "result_text"]
    ):
        yield pid, analyte.upper(), method, naive_utc(at), (text or "").lower()


def _medications(program_ids: list[int]) -> Iterator[tuple]:
    from speciosa.patients.models import Medication

    qs = Medication.objects.filter(program_id__in=program_ids)
    for pid, name, status, start, stop in keyset_rows(
        qs, ["patient_id", "name", "status", "start_at", "stop_at"]
    ):
        yield pid, name, status, naive_utc(start), naive_utc(stop)


def _scores(program_ids: list[int]) -> Iterator[tuple]:
    model = _model("measures.Score")
    if model is None:
        return
    instrument = _field(model, "instrument_id", "instrument")
    at = _field(model, "taken_at", "scored_at", "recorded_at", "created_at")
    positive = _field(model, "is_positive", "positive")
    if instrument is None or at is None or _field(model, "total") is None:
        return
    fields = ["patient_id", instrument, at, "total"] + ([positive] if positive else [])
    qs = model._default_manager.filter(program_id__in=program_ids, total__isnull=False)
    for row in keyset_rows(qs, fields):
        pos = row[4] if positive else None
        yield row[0], str(row[1]), naive_utc(row[2]), float(row[3]), pos


def _alerts(program_ids: list[int]) -> Iterator[tuple]:
    model = _model("safety.Alert")
    if model is None:
        return
    opened = _field(model, "opened_at", "created_at")
    if opened is None or _field(model, "acknowledged_at") is None:
        return
    qs = model._default_manager.filter(program_id__in=program_ids)
    for pid, severity, created, acked in keyset_rows(
        qs, ["patient_id", "severity", opened, "acknowledged_at"]
    ):
        yield pid, severity, naive_utc(created), naive_utc(acked)


def _events(program_ids: list[int]) -> Iterator[tuple]:
    return iter(())


DEFAULT_SOURCES: dict[str, RowSource] = {
    "patients": _patients,
    "episodes": _episodes,
    "diagnoses": _diagnoses,
    "kratom_use": _kratom_use,
    "labs": _labs,
    "medications": _medications,
    "scores": _scores,
    "alerts": _alerts,
    "events": _events,
}


def _to_table(kind: str, rows: Iterable[tuple], page_size: int = PAGE_SIZE) -> pa.Table:
    """Columnar batches of ``page_size`` rows (bounded Python memory)."""
    schema = SCHEMAS[kind]
    batches = []
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= page_size:
            batches.append(_batch(schema, chunk))
            chunk = []
    if chunk:
        batches.append(_batch(schema, chunk))
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches, schema=schema)


def _batch(schema: pa.Schema, rows: list[tuple]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    return pa.record_batch(
        [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def extract_tables(program_ids: Iterable[int]) -> OutcomeTables:
    """The columnar extract for ``program_ids`` (callers pass only permitted programs)."""
    ids = sorted(set(program_ids))
    built = {}
    for kind in SCHEMAS:
        source = _SOURCES.get(kind) or DEFAULT_SOURCES[kind]
        built[kind] = _to_table(kind, source(ids) if ids else iter(()))
    return encode_categories(OutcomeTables(**built))


def today_utc() -> date:
    return datetime.now(UTC).date()
