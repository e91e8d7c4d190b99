"""Exports: CSV and Parquet per table, FHIR R4 NDJSON per resource type.

Streaming with constant memory: rows are read by keyset pagination on the primary key
(``WHERE id > last ORDER BY id LIMIT n``, never OFFSET, so page 500 costs what page 1
costs) and written as they arrive. Only the program's rows are read. The CSV columns
are the import columns (docs/import.md), so ``export -> import`` round-trips: the
``TABLES`` plus ``responses`` (questionnaire answers, re-scored by ``record_response`` on
import, so the scores come back too).

Consent: an export is for use *inside* the program (backups, moves, the program's own
analysis) and needs ``Action.EXPORT_RECORDS`` (program director). An export for a
``recipient`` outside the program (a registry) is a disclosure: by default every patient
needs a matching 42 CFR Part 2 consent (else nothing is written); with
``consented_only=True`` only the patients with one are exported and the others are
counted as left out. Each included patient's disclosure is logged, every table (and FHIR
resource) is filtered to those logged patients in SQL, and PART2_NOTICE.txt ships the
notice.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from django.db import models

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import ConsentRequired, InvalidInput, NotFound
from speciosa.dataio.tables import RESPONSE_COLUMNS, RESPONSES, TABLES, Table

FORMATS = ("csv", "parquet", "ndjson")
PAGE = 5000
PARQUET_ROW_GROUP = 50_000
# FHIR resource types holding the tables' data (fhir.mapping)
FHIR_TYPES = ("Patient", "EpisodeOfCare", "Condition", "MedicationStatement", "Observation")
# what a CSV/Parquet export writes, one file each, in import order (responses last: they
# name patients by MRN)
EXPORT_TABLES = (*TABLES, RESPONSES)


@dataclass
class ExportResult:
    format: str
    out_dir: str
    files: dict[str, int] = field(default_factory=dict)  # file name -> rows
    recipient: str = ""
    patients_included: int = 0  # recipient exports: patients disclosed (one log row each)
    patients_left_out: int = 0  # recipient exports with consented_only: no consent

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value_paths(table: Table) -> list[str]:
    """values_list() paths for the export columns (``mrn`` comes through the patient)."""
    link = table.links_patient
    return ["patient__mrn" if c == "mrn" and link else c for c in table.columns]


def table_queryset(table: Table, program_id: int, patients: Any = None) -> models.QuerySet:
    """The program's rows of ``table``; with ``patients`` (a queryset of patient ids) only
    the rows about those patients."""
    qs = table.model._default_manager.filter(program_id=program_id)
    if patients is not None:
        qs = qs.filter(**{"pk__in" if not table.links_patient else "patient__in": patients})
    return qs


def iter_table_rows(
    table: Table, program_id: int, page: int = PAGE, patients: Any = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of rows (tuples in ``table.columns`` order), keyset-paginated by id."""
    qs = table_queryset(table, program_id, patients)
    for rows in _keyset_pages(qs, _value_paths(table), page):
        yield [row[1:] for row in rows]


def _keyset_pages(qs: models.QuerySet, paths, page: int) -> Iterator[list[tuple[Any, ...]]]:
    """``(pk, *paths)`` rows, one page at a time: ``id > last ORDER BY id LIMIT page``
    (keyset pagination: each page costs the same, however deep, unlike OFFSET)."""
    qs = qs.order_by("pk")
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).values_list("pk", *paths)[:page])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def response_queryset(program_id: int, patients: Any = None) -> models.QuerySet:
    """The program's questionnaire responses; with ``patients`` only theirs."""
    from speciosa.measures.models import QuestionnaireResponse

    qs = QuestionnaireResponse.objects.filter(program_id=program_id)
    return qs if patients is None else qs.filter(patient__in=patients)


def iter_response_rows(
    program_id: int, page: int = PAGE, patients: Any = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of ``responses`` rows (RESPONSE_COLUMNS order), keyset-paginated by id.

    ``answers`` is rebuilt from the stored FHIR QuestionnaireResponse (the answers as
    given; the Score row holds item scores, which are not answers) as the JSON object
    the import takes; ``taken_at`` is the authored time."""
    from speciosa.clinical.instruments import Instrument, get_instrument
    from speciosa.clinical.instruments.responses import stored_answers
    from speciosa.measures.services import instrument_dir

    program_dir = instrument_dir()
    instruments: dict[str, Instrument | None] = {}

    def instrument(instrument_id: str) -> Instrument | None:
        if instrument_id not in instruments:
            try:
                instruments[instrument_id] = get_instrument(instrument_id, program_dir)
            except NotFound:  # no longer supplied: answers read by their own shape
                instruments[instrument_id] = None
        return instruments[instrument_id]

    qs = response_queryset(program_id, patients)
    paths = ("uid", "patient__mrn", "instrument_id", "resource", "authored_at", "source")
    for rows in _keyset_pages(qs, paths, page):
        yield [
            (
                str(uid),
                mrn,
                instrument_id,
                orjson.dumps(stored_answers(resource, instrument(instrument_id))).decode(),
                authored_at,
                source,
            )
            for _, uid, mrn, instrument_id, resource, authored_at, source in rows
        ]


def export_columns(name: str) -> tuple[str, ...]:
    return RESPONSE_COLUMNS if name == RESPONSES else TABLES[name].columns


def export_queryset(name: str, program_id: int, patients: Any = None) -> models.QuerySet:
    if name == RESPONSES:
        return response_queryset(program_id, patients)
    return table_queryset(TABLES[name], program_id, patients)


def iter_export_rows(
    name: str, program_id: int, page: int = PAGE, patients: Any = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of the rows of one exported table (a TABLES name or ``responses``)."""
    if name == RESPONSES:
        return iter_response_rows(program_id, page, patients)
    return iter_table_rows(TABLES[name], program_id, page, patients)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def write_csv(
    name: str,
    program_id: int,
    path: Path,
    advance: Callable[[int], None],
    patients: Any = None,
) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(export_columns(name))
        for rows in iter_export_rows(name, program_id, patients=patients):
            writer.writerows([_text(v) for v in row] for row in rows)
            count += len(rows)
            advance(len(rows))
    return count


def _arrow_type(model: type[models.Model], column: str):  # noqa: ANN202 - pyarrow type
    import pyarrow as pa

    if column == "mrn" and model._meta.model_name != "patient":
        return pa.string()
    f = model._meta.get_field(column)
    if isinstance(f, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(f, models.DateField):
        return pa.date32()
    if isinstance(f, models.BooleanField):
        return pa.bool_()
    if isinstance(f, models.DecimalField):
        return pa.decimal128(f.max_digits, f.decimal_places)
    if isinstance(f, models.FloatField):
        return pa.float64()
    if isinstance(f, models.IntegerField):
        return pa.int64()
    return pa.string()


def _arrow_schema(name: str) -> Any:  # a pyarrow Schema
    import pyarrow as pa

    if name == RESPONSES:  # answers: the import's JSON text
        times = {"taken_at": pa.timestamp("us", tz="UTC")}
        return pa.schema([(c, times.get(c, pa.string())) for c in RESPONSE_COLUMNS])
    table = TABLES[name]
    return pa.schema([(c, _arrow_type(table.model, c)) for c in table.columns])


def write_parquet(
    name: str,
    program_id: int,
    path: Path,
    advance: Callable[[int], None],
    patients: Any = None,
) -> int:
    """One Parquet file; a row group every PARQUET_ROW_GROUP rows bounds memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(name)
    count = 0
    buffer: list[tuple[Any, ...]] = []

    def flush(writer: Any) -> None:
        columns = list(zip(*buffer, strict=True)) if buffer else [[] for _ in schema]
        arrays = [
            pa.array([str(v) if isinstance(v, UUID) else v for v in col], type=schema.field(i).type)
            for i, col in enumerate(columns)
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        buffer.clear()

    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for rows in iter_export_rows(name, program_id, patients=patients):
            buffer.extend(rows)
            count += len(rows)
            advance(len(rows))
            if len(buffer) >= PARQUET_ROW_GROUP:
                flush(writer)
        if buffer or count == 0:
            flush(writer)
    return count


def write_ndjson(
    program_id: int, out_dir: Path, advance: Callable[[int], None], patients: Any = None
) -> dict[str, int]:
    """The FHIR app's Bulk Data writer (same mapping and keyset walk as ``$export``)."""
    from speciosa.fhir.export import write_type

    files = {}
    for type_name in FHIR_TYPES:
        path = out_dir / f"{type_name}.ndjson"
        before = [0]

        def on_chunk(count: int, before: list[int] = before) -> None:
            advance(count - before[0])
            before[0] = count

        count = write_type(path, type_name, [program_id], None, on_chunk, patients=patients)
        advance(count - before[0])
        files[path.name] = count
    return files


# 42 CFR Part 2 data categories each table discloses (a row names its patient, so every
# export to a recipient also discloses demographics). Responses are the scores' source
# (re-scored on import): "scores", as for FHIR QuestionnaireResponse (privacy.hooks).
TABLE_CATEGORIES = {
    "patients": "demographics",
    "episodes": "episodes",
    "substance_uses": "substance_use",
    "diagnoses": "diagnoses",
    "medications": "medications",
    "lab_results": "labs",
    RESPONSES: "scores",
}


DISCLOSURE_PAGE = 1000


@dataclass
class _Disclosed:
    notice: str  # re-disclosure notice and the distinct consent scopes (42 CFR 2.32)
    patients: Any  # queryset of the disclosed patients' ids (a SQL subquery)
    included: int
    left_out: int


def _disclose_export(
    actor, program, recipient: str, names: list[str], fmt: str, consented_only: bool
) -> _Disclosed:
    """An export for a recipient outside the program is a disclosure of every patient in
    it. By default all of them need a consent (else nothing is written and nothing is
    logged); ``consented_only`` exports the consented ones and counts the rest. Each
    included patient's disclosure is logged, tagged with this export's id, and the
    export then reads only rows of the patients so logged (a patient added meanwhile is
    not exported). Patients are walked by keyset pages: memory does not grow with them."""
    import uuid

    from django.db import transaction
    from django.utils import timezone

    from speciosa.clinical.privacy.part2 import Channel, DataCategory, Purpose
    from speciosa.patients.models import Patient
    from speciosa.privacy.hooks import disclose_to_registry
    from speciosa.privacy.models import Disclosure

    if fmt == "ndjson":  # FHIR Observations also carry scores: every category
        categories = [c.value for c in DataCategory]
    else:
        categories = sorted({"demographics", *(TABLE_CATEGORIES[n] for n in names)})
    description = f"dataio export ({fmt}) {uuid.uuid4()}"
    started = timezone.now()
    included = left_out = 0
    first_refusal = notice = ""
    scopes: dict[str, None] = {}  # distinct scopes, in order (few: one per consent form)
    patients = Patient.objects.filter(program=program).order_by("pk")
    with transaction.atomic():  # a refused export logs no disclosure at all
        last = 0
        while True:
            page = list(patients.filter(pk__gt=last)[:DISCLOSURE_PAGE])
            if not page:
                break
            last = page[-1].pk
            result = disclose_to_registry(
                actor,
                page,
                recipient=recipient,
                categories=categories,
                purpose=Purpose.REGISTRY_REPORTING.value,
                description=description,
            )
            included += len(result.included)
            left_out += len(result.left_out)
            if result.left_out and not first_refusal:
                first_refusal = result.left_out[0][1]
            for _, receipt in result.included:
                notice = notice or receipt.notice
                scopes.setdefault(receipt.scope)
        if left_out and not consented_only:
            raise ConsentRequired(
                Purpose.REGISTRY_REPORTING.value,
                f"{left_out} patient(s) have no 42 CFR Part 2 consent for {recipient}; "
                f"nothing was exported (first: {first_refusal}). Use consented_only "
                "(--consented-only) to export only the consented patients.",
            )
    disclosed = Disclosure.objects.filter(
        program=program,
        recipient=recipient,
        channel=Channel.BULK_EXPORT.value,
        description=description,
        disclosed_at__gte=started,
    ).values("patient_id")
    text = f"{notice}\n\n" + "\n".join(scopes) if notice else ""
    return _Disclosed(text.strip(), disclosed, included, left_out)


def export_program(
    *,
    actor,
    program,
    out_dir: Path,
    fmt: str = "csv",
    tables: list[str] | None = None,
    recipient: str = "",
    consented_only: bool = False,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> ExportResult:
    """Export one program's records to ``out_dir`` as ``actor``; audited.

    ``recipient``: someone outside the program (42 CFR Part 2 disclosure, see the module
    docstring); ``consented_only`` then exports only the patients whose consent allows it
    instead of refusing the whole export."""
    require(actor, Action.EXPORT_RECORDS, program.pk)
    if fmt not in FORMATS:
        raise InvalidInput("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    if consented_only and not recipient:
        raise InvalidInput("consented_only", "applies only to an export for a recipient")
    names = tables or list(EXPORT_TABLES)
    unknown = [n for n in names if n not in EXPORT_TABLES]
    if unknown:
        raise InvalidInput(
            "tables",
            f"unknown table(s) {', '.join(unknown)} (tables: {', '.join(EXPORT_TABLES)})",
        )
    disclosed = (
        _disclose_export(actor, program, recipient, names, fmt, consented_only)
        if recipient
        else None
    )
    patients = disclosed.patients if disclosed else None
    out_dir.mkdir(parents=True, exist_ok=True)
    if disclosed and disclosed.notice:
        (out_dir / "PART2_NOTICE.txt").write_text(disclosed.notice + "\n", encoding="utf-8")
    start = progress or (lambda label, total: lambda n: None)
    result = ExportResult(fmt, str(out_dir), recipient=recipient)
    if disclosed:
        result.patients_included = disclosed.included
        result.patients_left_out = disclosed.left_out
    if fmt == "ndjson":
        result.files = write_ndjson(program.pk, out_dir, start("FHIR NDJSON", 0), patients)
    else:
        writer = write_csv if fmt == "csv" else write_parquet
        for name in names:
            total = export_queryset(name, program.pk, patients).count()
            path = out_dir / f"{name}.{fmt}"
            result.files[path.name] = writer(name, program.pk, path, start(name, total), patients)
    detail: dict[str, Any] = {"format": fmt, "files": result.files}
    if recipient:
        detail.update(
            recipient=recipient,
            consented_only=consented_only,
            patients_included=result.patients_included,
            patients_left_out=result.patients_left_out,
        )
    write_audit(
        actor=actor,
        action=AuditAction.EXPORT,
        program=program,
        object_type="dataio.export",
        detail=detail,
    )
    return result
