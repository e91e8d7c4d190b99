"""Exports: CSV and Parquet per table, FHIR R4 NDJSON per resource type.

Streaming with constant memory: rows are read by keyset pagination on the primary key
(``WHERE id > last ORDER BY id LIMIT n``, never OFFSET, so page 500 costs what page 1
costs) and written as they arrive. Only the program's rows are read. The CSV columns
are the import columns (docs/import.md), so ``export -> import`` round-trips.

Consent: an export is for use *inside* the program (backups, moves, the program's own
analysis) and needs ``Action.EXPORT_RECORDS`` (program director). An export for a
``recipient`` outside the program (a registry) is a disclosure: every patient needs a
matching 42 CFR Part 2 consent, each is logged, and PART2_NOTICE.txt ships the notice.
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

from django.db import models

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import ConsentRequired, InvalidInput
from speciosa.dataio.tables import TABLES, Table

FORMATS = ("csv", "parquet", "ndjson")
PAGE = 5000
PARQUET_ROW_GROUP = 50_000
# FHIR resource types holding the tables' data (fhir.mapping)
FHIR_TYPES = ("Patient", "EpisodeOfCare", "Condition", "MedicationStatement", "Observation")


@dataclass
class ExportResult:
    format: str
    out_dir: str
    files: dict[str, int] = field(default_factory=dict)  # file name -> rows

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value_paths(table: Table) -> list[str]:
    """values_list() paths for the export columns (``mrn`` comes through the patient)."""
    link = table.links_patient
    return ["patient__mrn" if c == "mrn" and link else c for c in table.columns]


def iter_table_rows(
    table: Table, program_id: int, page: int = PAGE
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of rows (tuples in ``table.columns`` order), keyset-paginated by id."""
    qs = table.model._default_manager.filter(program_id=program_id).order_by("pk")
    paths = _value_paths(table)
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).values_list("pk", *paths)[:page])
        if not rows:
            return
        last = rows[-1][0]
        yield [row[1:] for row in rows]


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


def write_csv(table: Table, program_id: int, path: Path, advance: Callable[[int], None]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.columns)
        for rows in iter_table_rows(table, program_id):
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


def write_parquet(table: Table, program_id: int, path: Path, advance: Callable[[int], None]) -> int:
    """One Parquet file; a row group every PARQUET_ROW_GROUP rows bounds memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, _arrow_type(table.model, c)) for c in table.columns])
    count = 0
    buffer: list[tuple[Any, ...]] = []

    def flush(writer: Any) -> None:
        columns = list(zip(*buffer, strict=True)) if buffer else [[] for _ in table.columns]
        arrays = [
            pa.array([str(v) if isinstance(v, UUID) else v for v in col], type=schema.field(i).type)
            for i, col in enumerate(columns)
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        buffer.clear()

    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for rows in iter_table_rows(table, program_id):
            buffer.extend(rows)
            count += len(rows)
            advance(len(rows))
            if len(buffer) >= PARQUET_ROW_GROUP:
                flush(writer)
        if buffer or count == 0:
            flush(writer)
    return count


def write_ndjson(program_id: int, out_dir: Path, advance: Callable[[int], None]) -> dict[str, int]:
    """The FHIR app's Bulk Data writer (same mapping and keyset walk as ``$export``)."""
    from speciosa.fhir.export import write_type

    files = {}
    for type_name in FHIR_TYPES:
        path = out_dir / f"{type_name}.ndjson"
        before = [0]

        def on_chunk(count: int, before: list[int] = before) -> None:
            advance(count - before[0])
            before[0] = count

        count = write_type(path, type_name, [program_id], None, on_chunk)
        advance(count - before[0])
        files[path.name] = count
    return files


# 42 CFR Part 2 data categories each table discloses (a row names its patient, so every
# export to a recipient also discloses demographics).
TABLE_CATEGORIES = {
    "patients": "demographics",
    "episodes": "episodes",
    "substance_uses": "substance_use",
    "diagnoses": "diagnoses",
    "medications": "medications",
    "lab_results": "labs",
}


def _disclose_export(actor, program, recipient: str, names: list[str], fmt: str) -> str:
    """An export for a recipient outside the program is a disclosure of every patient in
    it: all of them need a consent (else nothing is written); each is logged. Returns the
    re-disclosure notice and consent scopes to ship with the files (42 CFR 2.32)."""
    from django.db import transaction

    from speciosa.clinical.privacy.part2 import DataCategory, Purpose
    from speciosa.patients.models import Patient
    from speciosa.privacy.hooks import disclose_to_registry

    if fmt == "ndjson":  # FHIR Observations also carry scores: every category
        categories = [c.value for c in DataCategory]
    else:
        categories = sorted({"demographics", *(TABLE_CATEGORIES[n] for n in names)})
    patients = Patient.objects.filter(program=program).order_by("pk")
    with transaction.atomic():  # a refused export logs no disclosure at all
        result = disclose_to_registry(
            actor,
            patients.iterator(),
            recipient=recipient,
            categories=categories,
            purpose=Purpose.REGISTRY_REPORTING.value,
            description=f"dataio export ({fmt})",
        )
        if result.left_out:
            raise ConsentRequired(
                Purpose.REGISTRY_REPORTING.value,
                f"{len(result.left_out)} patient(s) have no 42 CFR Part 2 consent for "
                f"{recipient}; nothing was exported (first: {result.left_out[0][1]})",
            )
    scopes = "\n".join(receipt.scope for _, receipt in result.included)
    notice = result.included[0][1].notice if result.included else ""
    return f"{notice}\n\n{scopes}".strip()


def export_program(
    *,
    actor,
    program,
    out_dir: Path,
    fmt: str = "csv",
    tables: list[str] | None = None,
    recipient: str = "",
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> ExportResult:
    """Export one program's records to ``out_dir`` as ``actor``; audited."""
    require(actor, Action.EXPORT_RECORDS, program.pk)
    if fmt not in FORMATS:
        raise InvalidInput("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    names = tables or list(TABLES)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise InvalidInput("tables", f"unknown table(s) {', '.join(unknown)}")
    notice = _disclose_export(actor, program, recipient, names, fmt) if recipient else ""
    out_dir.mkdir(parents=True, exist_ok=True)
    if notice:
        (out_dir / "PART2_NOTICE.txt").write_text(notice + "\n", encoding="utf-8")
    start = progress or (lambda label, total: lambda n: None)
    result = ExportResult(fmt, str(out_dir))
    if fmt == "ndjson":
        result.files = write_ndjson(program.pk, out_dir, start("FHIR NDJSON", 0))
    else:
        writer = write_csv if fmt == "csv" else write_parquet
        for name in names:
            table = TABLES[name]
            total = table.model._default_manager.filter(program_id=program.pk).count()
            path = out_dir / f"{name}.{fmt}"
            result.files[path.name] = writer(table, program.pk, path, start(name, total))
    write_audit(
        actor=actor,
        action=AuditAction.EXPORT,
        program=program,
        object_type="dataio.export",
        detail={"format": fmt, "files": result.files},
    )
    return result
