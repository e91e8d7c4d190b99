"""De-identified study export (HIPAA Safe Harbor helpers from clinical.research.deidentify).

Only subjects with an active research consent. Tables ``subjects``, ``assessments`` and
``adverse_events`` as CSV and Parquet, plus ``data_dictionary.csv`` and ``manifest.json``.
Before anything is written, every cell is checked against the subjects' names, MRNs,
emails, phone numbers and record ids: a match aborts the export.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from speciosa.accounts.permissions import Action, require
from speciosa.audit.models import AuditAction
from speciosa.audit.services import write_audit
from speciosa.clinical.errors import Conflict
from speciosa.clinical.research.deidentify import (
    DatePolicy,
    TableSpec,
    deidentify_rows,
    find_identifier_leaks,
    safe_harbor_citation,
)
from speciosa.research.models import AdverseEvent, Study, StudyAssessment
from speciosa.research.queries import consented_enrolments

Progress = Callable[[str, int], Callable[[int], None]]

# table -> column -> (type, description); also the allow-list of exported columns
DICTIONARY: dict[str, dict[str, tuple[str, str]]] = {
    "subjects": {
        "subject_id": ("string", "Study subject id assigned at enrolment (not derived from PHI)"),
        "arm": ("string", "Allocated arm code"),
        "stratum": ("string", "Randomization stratum, e.g. adhd=yes"),
        "age_at_randomization": ("integer", "Age in years; 90 means 90 or older"),
        "sex_at_birth": ("string", "female / male / intersex / unknown"),
        "randomized_on": ("date", "Randomization date (shifted per subject, or year only)"),
        "status": ("string", "active / completed / withdrawn / lost"),
        "ended_on": ("date", "End of follow-up (shifted, or year only); empty if on study"),
    },
    "assessments": {
        "subject_id": ("string", "Study subject id"),
        "visit_code": ("string", "Scheduled visit (baseline, week1 ...)"),
        "study_day": ("integer", "Days from randomization to the assessment"),
        "instrument_id": ("string", "Instrument or measure id (e.g. tlfb_kratom, cows)"),
        "value": ("number", "Score or count"),
        "assessed_on": ("date", "Assessment date (shifted, or year only)"),
    },
    "adverse_events": {
        "subject_id": ("string", "Study subject id"),
        "category": ("string", "Coded category (the verbatim term is not exported)"),
        "grade": ("integer", "CTCAE v5.0 severity grade 1-5"),
        "is_serious": ("boolean", "Serious adverse event (21 CFR 312.32(a))"),
        "seriousness": ("string", "Seriousness criteria met, ';'-separated"),
        "relatedness": ("string", "Investigator's causality assessment"),
        "is_expected": ("boolean", "Listed in the investigator's brochure / protocol"),
        "onset_day": ("integer", "Days from randomization to onset"),
        "onset_on": ("date", "Onset date (shifted, or year only)"),
        "resolved_on": ("date", "Resolution date (shifted, or year only)"),
    },
}
SPECS = {
    "subjects": TableSpec(
        "subject_id",
        date_fields=frozenset({"randomized_on", "ended_on"}),
        age_fields=frozenset({"age_at_randomization"}),
        keep_fields=frozenset(DICTIONARY["subjects"]),
    ),
    "assessments": TableSpec(
        "subject_id",
        date_fields=frozenset({"assessed_on"}),
        keep_fields=frozenset(DICTIONARY["assessments"]),
    ),
    "adverse_events": TableSpec(
        "subject_id",
        date_fields=frozenset({"onset_on", "resolved_on"}),
        keep_fields=frozenset(DICTIONARY["adverse_events"]),
    ),
}


@dataclass(frozen=True)
class ExportSummary:
    out_dir: Path
    subjects: int
    rows: dict[str, int]
    files: list[str]


def _noop(label: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def _age(birth, on) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _raw_tables(study: Study, advance: Callable[[int], None]) -> tuple[dict[str, list], list[str]]:
    enrolments = list(consented_enrolments(study).select_related("patient", "arm"))
    identifiers: list[str] = []
    subjects = []
    for e in enrolments:
        p = e.patient
        identifiers += [p.given_name, p.family_name, p.full_name, p.mrn, p.email, p.phone]
        identifiers += [str(p.uid), p.address]
        randomized = timezone.localtime(e.randomized_at).date()
        subjects.append(
            {
                "subject_id": e.subject_id,
                "patient_uid": str(p.uid),  # dropped by the de-identification step
                "given_name": p.given_name,  # dropped too: shows the step works on real rows
                "arm": e.arm.code,
                "stratum": e.stratum,
                "age_at_randomization": _age(p.birth_date, randomized),
                "sex_at_birth": p.sex_at_birth,
                "randomized_on": randomized,
                "status": e.status,
                "ended_on": timezone.localtime(e.ended_at).date() if e.ended_at else None,
            }
        )
        advance(1)
    by_pk = {e.pk: e for e in enrolments}
    assessments = []
    for a in StudyAssessment.objects.filter(enrolment__in=list(by_pk)).order_by("assessed_at"):
        e = by_pk[a.enrolment_id]
        on = timezone.localtime(a.assessed_at).date()
        assessments.append(
            {
                "subject_id": e.subject_id,
                "visit_code": a.visit_code,
                "study_day": (on - timezone.localtime(e.randomized_at).date()).days,
                "instrument_id": a.instrument_id,
                "value": a.value,
                "assessed_on": on,
            }
        )
    events = []
    for ae in AdverseEvent.objects.filter(enrolment__in=list(by_pk)).order_by("onset_on"):
        e = by_pk[ae.enrolment_id]
        events.append(
            {
                "subject_id": e.subject_id,
                "term": ae.term,  # verbatim free text: dropped by the allow-list
                "category": ae.category,
                "grade": ae.grade,
                "is_serious": ae.is_serious,
                "seriousness": ";".join(ae.seriousness),
                "relatedness": ae.relatedness,
                "is_expected": ae.is_expected,
                "onset_day": (ae.onset_on - timezone.localtime(e.randomized_at).date()).days,
                "onset_on": ae.onset_on,
                "resolved_on": ae.resolved_on,
            }
        )
    raw = {"subjects": subjects, "assessments": assessments, "adverse_events": events}
    return raw, [i for i in identifiers if i]


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})


def _write_parquet(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    if not rows:
        table = pa.table({c: pa.array([], pa.string()) for c in columns})
    pq.write_table(table, path)


def export_deidentified(
    *,
    actor,
    study: Study,
    out_dir: Path,
    date_policy: DatePolicy = DatePolicy.SHIFT,
    progress: Progress | None = None,
) -> ExportSummary:
    require(actor, Action.EXPORT_DEIDENTIFIED, study.program_id)
    progress = progress or _noop
    n_subjects = consented_enrolments(study).count()
    raw, identifiers = _raw_tables(study, progress("reading consented subjects", n_subjects))
    clean = {
        name: deidentify_rows(rows, SPECS[name], secret=study.deid_secret, policy=date_policy)
        for name, rows in raw.items()
    }
    for name, rows in clean.items():
        leaks = find_identifier_leaks(rows, identifiers)
        if leaks:
            row, column, _ = leaks[0]
            raise Conflict(
                f"Export stopped: an identifier survived in {name}.{column} (row {row})",
                detail={"table": name, "column": column},
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    advance = progress("writing CSV and Parquet", len(clean))
    for name, rows in clean.items():
        columns = list(DICTIONARY[name])
        _write_csv(out_dir / f"{name}.csv", columns, rows)
        _write_parquet(out_dir / f"{name}.parquet", columns, rows)
        files += [f"{name}.csv", f"{name}.parquet"]
        advance(1)
    with (out_dir / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["table", "column", "type", "description"])
        for table, columns in DICTIONARY.items():
            for column, (kind, text) in columns.items():
                if date_policy is DatePolicy.YEAR_ONLY and kind == "date":
                    kind = "integer (year)"
                writer.writerow([table, column, kind, text])
    manifest = {
        "study": study.protocol_id,
        "title": study.title,
        "exported_at": timezone.now().isoformat(),
        "subjects": n_subjects,
        "rows": {name: len(rows) for name, rows in clean.items()},
        "date_policy": date_policy.value,
        "method": "HIPAA Safe Harbor identifiers removed; "
        + (
            "dates shifted per subject (intervals kept; not strict Safe Harbor, see docs)"
            if date_policy is DatePolicy.SHIFT
            else "dates reduced to year"
        ),
        "citation": safe_harbor_citation().short(),
        "consent": "only subjects with an active research consent",
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    files += ["data_dictionary.csv", "manifest.json"]
    write_audit(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=study,
        detail={"subjects": n_subjects, "rows": manifest["rows"], "dates": date_policy.value},
    )
    return ExportSummary(out_dir, n_subjects, manifest["rows"], files)
