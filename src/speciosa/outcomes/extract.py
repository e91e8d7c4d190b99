"""Database -> columnar extract (Arrow tables) for the outcomes engine.

Rows are streamed with keyset pagination (``pk > last`` ordered by pk, fixed page size),
so memory stays bounded by one page of Python tuples plus the Arrow columns, and no
OFFSET scans. Apps that land later (measures Score and AssessmentSchedule, safety Alert,
plans CareEvent and TreatmentPlan) are read when their models exist; until then their
tables are empty. The result is prepared once (``prepare.prepare_tables``) and cached
by the caller. Apps can also register their
own source with ``register_extract_source``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
from django.apps import apps
from django.db.models import Model, QuerySet

from speciosa.clinical.outcomes.prepare import prepare_tables
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


def _kratom_state(grams: Any, current: Any) -> float | None:
    """g/day one kratom record reports: 0 once it is no longer current; None = unknown."""
    if current in (False, "False"):
        return 0.0
    if grams in (None, "None", ""):
        return None
    return float(grams)


def _kratom_use(program_ids: list[int]) -> Iterator[tuple]:
    """Dated g/day reports from each kratom record's history.

    ``SubstanceUse`` keeps only its current values, but every change through the
    services writes an UPDATE audit row with ``detail.changed = {field: [before, after]}``
    (append-only and hash-chained). So the record's value at creation is its current
    value with the changes undone newest first, and each audited change of
    ``grams_per_day`` or ``is_current`` is a new report at the audit time. A record that
    is not current reports 0 g/day from the moment it stopped being current.
    """
    from speciosa.audit.models import AuditAction, AuditEvent
    from speciosa.patients.models import SubstanceUse

    tracked = ("grams_per_day", "is_current")
    records = {
        str(uid): (pid, naive_utc(created), {"grams_per_day": grams, "is_current": current})
        for uid, pid, created, grams, current in keyset_rows(
            SubstanceUse.objects.filter(program_id__in=program_ids, substance="kratom"),
            ["uid", "patient_id", "created_at", "grams_per_day", "is_current"],
        )
    }
    changes: dict[str, list[tuple[datetime | None, dict]]] = {}
    audit = AuditEvent.objects.filter(
        program_id__in=program_ids,
        object_type=SubstanceUse._meta.label,
        action=AuditAction.UPDATE,
    )
    for object_id, at, detail in keyset_rows(audit, ["object_id", "at", "detail"]):
        changed = {k: v for k, v in (detail or {}).get("changed", {}).items() if k in tracked}
        if object_id in records and changed:
            changes.setdefault(object_id, []).append((naive_utc(at), changed))
    for uid, (pid, created, now) in records.items():
        history = sorted(changes.get(uid, []), key=lambda c: c[0] or created)
        state: dict[str, Any] = dict(now)
        for _, changed in reversed(history):  # undo, newest first
            state.update({k: before for k, (before, _after) in changed.items()})
        reports = [(created, _kratom_state(state["grams_per_day"], state["is_current"]))]
        for at, changed in history:
            state.update({k: after for k, (_before, after) in changed.items()})
            reports.append((at, _kratom_state(state["grams_per_day"], state["is_current"])))
        for at, grams in reports:
            if grams is not None:
                yield pid, at, grams


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
    """Care events (plans.CareEvent: kind, time, status) and, for each treatment plan,
    one ``pathway:<id>`` event per pathway at the plan's start date with the plan's
    status (so "has an ADHD plan" reads the plans app's own pathways)."""
    events = _model("plans.CareEvent")
    if events is not None:
        qs = events._default_manager.filter(program_id__in=program_ids)
        for pid, kind, at, status in keyset_rows(qs, ["patient_id", "kind", "at", "status"]):
            yield pid, kind, naive_utc(at), status
    plans = _model("plans.TreatmentPlan")
    if plans is not None:
        qs = plans._default_manager.filter(program_id__in=program_ids)
        for pid, pathways, start, status in keyset_rows(
            qs, ["patient_id", "pathway_ids", "start_date", "status"]
        ):
            at = datetime(start.year, start.month, start.day)
            for pathway in pathways or []:
                yield pid, f"pathway:{pathway}", at, status


def _schedules(program_ids: list[int]) -> Iterator[tuple]:
    """Assessment schedules (measures.AssessmentSchedule): interval schedules as one
    row, fixed ones as one row per offset. A stopped schedule (``is_active`` false;
    ``stop_schedule`` stamps ``updated_at``) ends when it was stopped."""
    model = _model("measures.AssessmentSchedule")
    if model is None:
        return
    qs = model._default_manager.filter(program_id__in=program_ids)
    fields = ["id", "patient_id", "instrument_id", "kind", "starts_at", "ends_at"]
    fields += ["interval_hours", "offsets_days", "grace_hours", "is_active", "updated_at"]
    for sid, pid, inst, kind, start, end, hours, offsets, grace, active, updated in keyset_rows(
        qs, fields
    ):
        ends = [t for t in (naive_utc(end), None if active else naive_utc(updated)) if t]
        row = (sid, pid, inst, kind, naive_utc(start), min(ends) if ends else None)
        if kind == "fixed":
            for offset in offsets or []:
                yield (*row, None, int(offset), grace)
        else:
            yield (*row, hours, None, grace)


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
    "schedules": _schedules,
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
    return prepare_tables(encode_categories(OutcomeTables(**built)))


def today_utc() -> date:
    return datetime.now(UTC).date()
