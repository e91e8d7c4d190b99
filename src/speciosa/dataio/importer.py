"""Resumable, validated, chunked imports.

Each source row is validated on its own (the patient services' rules, via
``tables.build_record``); bad rows go to the rejects file with file, line and reason.
Good rows are committed in chunks: one transaction inserts the records, their
``ImportedRow`` idempotency keys and their audit rows, so after a crash (even
``kill -9``) a chunk is either fully in or not at all. Re-running the same source skips
every key already committed: no duplicates, nothing lost.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit, write_audit_many
from speciosa.clinical.errors import InvalidInput
from speciosa.core.signals import patient_facts_changed
from speciosa.dataio.bulk import insert_dicts, insert_rows
from speciosa.dataio.models import ImportedRow, ImportRun, RunStatus
from speciosa.dataio.sources import Source, SourceRow
from speciosa.dataio.tables import (
    IMPORT_ORDER,
    RESPONSES,
    TABLES,
    BuildContext,
    build_record,
    parse_value,
)
from speciosa.patients.models import Patient

DEFAULT_CHUNK = 1000
REJECT_COLUMNS = ["file", "line", "key", "table", "field", "reason"]


@dataclass
class ImportResult:
    run_uid: str
    source: str
    source_kind: str
    imported: int = 0  # committed by this attempt
    already_imported: int = 0  # skipped: committed by an earlier attempt
    rejected: int = 0
    total_imported: int = 0  # all attempts
    rejects_path: str = ""
    by_table: dict[str, int] = field(default_factory=dict)
    forms: list[dict[str, Any]] = field(default_factory=list)  # REDCap: how forms matched

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    row: SourceRow
    obj: Any
    mrn: str = ""
    field_names: dict[str, str] = field(default_factory=dict)  # linkId -> source variable


class _Rejects:
    """Rejects CSV (file, line, key, table, field, reason), written as rows fail."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._fh: TextIO | None = None

    def add(self, row: SourceRow, reason: str, field_name: str = "") -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(REJECT_COLUMNS)
        self._writer.writerow([row.file, row.line, row.key, row.table, field_name, reason])
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        elif self.path.exists():
            self.path.unlink()  # an earlier attempt's rejects no longer apply


def default_rejects_path(source: Source) -> Path:
    base = Path(getattr(source, "path", Path.cwd() / source.name))
    return base.with_name(base.name + ".rejects.csv")


def import_source(
    *,
    actor,
    program,
    source: Source,
    chunk_size: int = DEFAULT_CHUNK,
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import (or resume importing) ``source`` into ``program`` as ``actor``."""
    for table in source.tables():
        action = Action.RECORD_RESPONSE if table == RESPONSES else TABLES[table].action
        require(actor, action, program.pk)
    source_hash = source.content_hash()
    run, created = ImportRun.objects.get_or_create(
        program=program,
        source_kind=source.kind,
        source_hash=source_hash,
        defaults={"actor": actor, "source_name": source.name},
    )
    if not created:
        ImportRun.objects.filter(pk=run.pk).update(attempts=F("attempts") + 1)
    done = set(run.rows.values_list("key", flat=True))
    rejects = _Rejects(rejects_path or default_rejects_path(source))
    result = ImportResult(str(run.uid), source.name, source.kind, rejects_path=str(rejects.path))
    pending: list[_Pending] = []
    context = BuildContext()
    try:
        for row in source.rows():
            if row.key in done:
                result.already_imported += 1
                if progress:
                    progress(1)
                continue
            item = _prepare(row, rejects, context)
            if item is not None:
                pending.append(item)
            if len(pending) >= chunk_size:
                _commit_chunk(run, actor, program, pending, rejects, result)
                pending = []
            if progress:
                progress(1)
        if pending:
            _commit_chunk(run, actor, program, pending, rejects, result)
    finally:
        rejects.close()
    result.rejected = rejects.count
    result.total_imported = run.rows.count()
    if hasattr(source, "form_report"):
        result.forms = source.form_report()
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.COMPLETED,
            finished_at=timezone.now(),
            rows_imported=result.total_imported,
            rows_rejected=result.rejected,
            rejects_path=result.rejects_path if result.rejected else "",
        )
        write_audit(
            actor=actor,
            action=AuditAction.BULK_CREATE,
            program=program,
            object_type="dataio.ImportRun",
            object_id=str(run.uid),
            detail={k: v for k, v in result.as_dict().items() if k not in ("run_uid", "forms")},
        )
    if not result.rejected:
        result.rejects_path = ""
    return result


def _prepare(row: SourceRow, rejects: _Rejects, context: BuildContext) -> _Pending | None:
    if row.error:
        rejects.add(row, row.error, row.error_field)
        return None
    if row.table == RESPONSES:
        return _prepare_response(row, rejects)
    table = TABLES[row.table]
    try:
        obj = build_record(table, row.values, context)
    except InvalidInput as exc:
        rejects.add(row, exc.reason, exc.field)
        return None
    mrn = str(row.values.get("mrn") or "").strip()
    return _Pending(row, obj, mrn)


def _prepare_response(row: SourceRow, rejects: _Rejects) -> _Pending | None:
    """Parse a responses row; the answers are validated and scored by record_response."""
    from speciosa.measures.models import QuestionnaireResponse

    values = row.values
    for column in ("mrn", "instrument_id", "answers"):
        if not str(values.get(column) or "").strip():
            rejects.add(row, "is required", column)
            return None
    try:
        answers = values["answers"]
        if isinstance(answers, str | bytes):  # CSV: JSON text; REDCap: already a dict
            answers = orjson.loads(answers)
        if not isinstance(answers, dict):
            raise ValueError("not an object")
        raw_taken = values.get("taken_at")
        taken_at = (  # not given: record_response dates it now
            parse_value(QuestionnaireResponse, "authored_at", raw_taken)
            if str(raw_taken or "").strip()
            else None
        )
    except (ValueError, orjson.JSONDecodeError):
        rejects.add(row, 'must be a JSON object {"linkId": answer}', "answers")
        return None
    except InvalidInput as exc:
        rejects.add(row, exc.reason, "taken_at")
        return None
    raw_uid = str(values.get("uid") or "").strip()
    try:  # not given: record_response draws a new one
        uid = parse_value(QuestionnaireResponse, "uid", raw_uid) if raw_uid else None
    except InvalidInput as exc:
        rejects.add(row, exc.reason, "uid")
        return None
    data = {
        "instrument_id": values["instrument_id"].strip(),
        "answers": answers,
        "taken_at": taken_at,
        "source": (values.get("source") or "").strip() or "clinician",
        "uid": uid,
    }
    item = _Pending(row, data, str(values["mrn"]).strip())
    item.field_names = values.get("field_names") or {}
    return item


def _commit_responses(actor, program, items: list[_Pending], rejects: _Rejects) -> list[_Pending]:
    """One record_response call per row, each in a savepoint: a rejected answer set
    leaves nothing behind, the rest of the chunk still commits."""
    from speciosa.clinical.errors import DomainError
    from speciosa.measures.models import QuestionnaireResponse
    from speciosa.measures.services import record_response

    items = _drop_taken_uids(QuestionnaireResponse, items, rejects, uid_of=lambda i: i.obj["uid"])
    patients = {
        p.mrn: p for p in Patient.objects.filter(program=program, mrn__in={i.mrn for i in items})
    }
    kept = []
    for item in items:
        patient = patients.get(item.mrn)
        if patient is None:
            rejects.add(item.row, f"no patient with MRN {item.mrn!r} in this program", "mrn")
            continue
        try:
            with transaction.atomic():
                score = record_response(actor=actor, patient=patient, **item.obj)
        except DomainError as exc:
            name = str(exc.detail.get("field", ""))
            rejects.add(item.row, exc.message, item.field_names.get(name, name))
            continue
        item.obj = score.response  # the ImportedRow points at the stored response
        kept.append(item)
    return kept


def _commit_chunk(run, actor, program, pending, rejects, result) -> None:
    """Insert one chunk: records, idempotency keys and audit rows in one transaction.

    Checks that need the database (MRN already taken, unknown MRN, uid taken) happen
    here, once per chunk, instead of one query per row.
    """
    by_table: dict[str, list[_Pending]] = defaultdict(list)
    for item in pending:
        by_table[item.row.table].append(item)
    author = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        accepted: list[_Pending] = []
        touched: set[int] = set()
        for name in IMPORT_ORDER:
            items = by_table.get(name)
            if not items:
                continue
            model = TABLES[name].model
            items = _drop_taken_uids(model, items, rejects)
            if model is Patient:
                items = _drop_taken_mrns(program, items, rejects)
            else:
                items = _link_patients(program, items, rejects)
                touched.update(item.obj.patient_id for item in items)
            for item in items:
                item.obj.program_id = program.pk
                item.obj.created_by = author
            objs = [item.obj for item in items]
            insert_rows(model, objs)
            if model is Patient:  # ids for the audit rows (MRNs are unique per program)
                ids = dict(
                    Patient.objects.filter(
                        program=program, mrn__in=[o.mrn for o in objs]
                    ).values_list("mrn", "id")
                )
                for obj in objs:
                    obj.pk = ids[obj.mrn]
            write_audit_many(
                actor=actor,
                action=AuditAction.CREATE,
                objs=objs,
                program=program,
                detail={"import_run": str(run.uid)},
            )
            accepted.extend(items)
            result.by_table[name] = result.by_table.get(name, 0) + len(items)
        if by_table.get(RESPONSES):
            responses = _commit_responses(actor, program, by_table[RESPONSES], rejects)
            accepted.extend(responses)
            result.by_table[RESPONSES] = result.by_table.get(RESPONSES, 0) + len(responses)
        insert_dicts(  # no model instances: the keys are plain values
            ImportedRow,
            (
                {"run_id": run.pk, "key": i.row.key, "table": i.row.table, "object_uid": i.obj.uid}
                for i in accepted
            ),
        )
        # Alerts follow the data inside the same transaction (safety listens).
        if touched:
            for patient in Patient.objects.filter(pk__in=touched):
                patient_facts_changed.send(
                    sender=Patient, patient=patient, actor=actor, reason="import"
                )
    result.imported += len(accepted)


def _drop_taken_uids(
    model, items: list[_Pending], rejects: _Rejects, uid_of=lambda item: item.obj.uid
) -> list[_Pending]:
    """Reject rows whose source ``uid`` is taken (in the database or earlier in the
    chunk). A uid the import generated (uuid4) is new by construction: not looked up."""
    given = [item for item in items if str(item.row.values.get("uid") or "").strip()]
    if not given:
        return items
    uids = [uid_of(item) for item in given]
    taken = set(model.objects.filter(uid__in=uids).values_list("uid", flat=True))
    checked = {id(item) for item in given}
    kept, seen = [], set()
    for item in items:
        if id(item) not in checked:
            kept.append(item)
            continue
        uid = uid_of(item)
        if uid in taken or uid in seen:
            rejects.add(item.row, f"a record with uid {uid} already exists", "uid")
            continue
        seen.add(uid)
        kept.append(item)
    return kept


def _drop_taken_mrns(program, items: list[_Pending], rejects: _Rejects) -> list[_Pending]:
    mrns = [item.obj.mrn for item in items]
    taken = set(Patient.objects.filter(program=program, mrn__in=mrns).values_list("mrn", flat=True))
    kept, seen = [], set()
    for item in items:
        if item.obj.mrn in taken or item.obj.mrn in seen:
            rejects.add(item.row, f"MRN {item.obj.mrn} already exists in this program", "mrn")
            continue
        seen.add(item.obj.mrn)
        kept.append(item)
    return kept


def _link_patients(program, items: list[_Pending], rejects: _Rejects) -> list[_Pending]:
    mrns = {item.mrn for item in items}
    ids = dict(Patient.objects.filter(program=program, mrn__in=mrns).values_list("mrn", "id"))
    kept = []
    for item in items:
        patient_id = ids.get(item.mrn)
        if patient_id is None:
            rejects.add(item.row, f"no patient with MRN {item.mrn!r} in this program", "mrn")
            continue
        item.obj.patient_id = patient_id
        kept.append(item)
    return kept
