"""Bulk Data export throughput: FHIR NDJSON vs a raw orjson dump of the same rows.

Synthesises N substance-use records (kratom-heavy: each becomes a social-history
Observation with components and the 42 CFR Part 2 label), then in one run:

- subject: ``speciosa.fhir.export.write_type`` (the code the $export task runs): keyset
  chunks, FHIR mapping, one NDJSON line per resource;
- baseline: the same keyset chunks as ``.values()`` dicts dumped with orjson (no mapping).

ratio = subject resources/s / baseline rows/s (target >= 0.5). Memory: peak RSS of the
process after both runs, and tracemalloc peaks of the export at two sizes (constant
memory means the peak does not grow with the number of rows).

Run: ``python bench/bench_export.py`` (1M rows) or ``SPECIOSA_BENCH_SIZE=small`` (50k).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Stopwatch,
    bench_size,
    max_rss_bytes,
    peak_python_memory,
    setup_django,
    write_result,
)

FORMS = ["leaf_powder", "capsules", "extract_shot", "seven_oh"]
OTHER = ["alcohol", "fentanyl", "cannabis", "nicotine", "benzodiazepine"]


def synthesise(n: int):
    """Insert ``n`` substance-use rows with one executemany per 20k (bulk_create's
    per-object model work would dominate a 1M-row set-up)."""
    from django.db import connection, transaction

    from speciosa.accounts.models import Program
    from speciosa.patients.models import Patient, SubstanceUse

    program = Program.objects.create(code="bench", name="Bench Program")
    n_patients = max(1, n // 50)
    born = datetime(1985, 1, 1).date()
    Patient.objects.bulk_create(
        [
            Patient(
                program=program,
                mrn=f"B{i:07d}",
                given_name="Bench",
                family_name=f"P{i}",
                birth_date=born,
            )
            for i in range(n_patients)
        ],
        batch_size=5000,
    )
    patient_ids = list(Patient.objects.filter(program=program).values_list("pk", flat=True))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    table = SubstanceUse._meta.db_table
    columns = [
        "uid", "program_id", "created_at", "updated_at", "version", "patient_id", "substance",
        "is_current", "last_use_at", "kratom_form", "grams_per_day", "doses_per_day",
        "years_of_use", "source_vendor", "amount", "unit", "route", "frequency", "notes",
    ]  # fmt: skip
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    uuid_value = (lambda u: u.hex) if connection.vendor == "sqlite" else (lambda u: u)
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(n):
            kratom = i % 5 < 3
            batch.append(
                (
                    uuid_value(uuid.uuid4()),
                    program.pk,
                    now,
                    now,
                    1,
                    patient_ids[i % n_patients],
                    "kratom" if kratom else OTHER[i % 5],
                    True,
                    now - timedelta(hours=i % 72) if kratom else None,
                    FORMS[i % 4] if kratom else "",
                    Decimal(5 + i % 40) if kratom else None,
                    1 + i % 6 if kratom else None,
                    None,
                    "",
                    None if kratom else Decimal(1 + i % 9),
                    "" if kratom else "units",
                    "" if kratom else "oral",
                    "daily" if kratom else "",
                    "",
                )
            )
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
    return program


def export_fhir(path: Path, program_ids: list[int], limit: int | None = None) -> int:
    from speciosa.fhir.export import write_type

    return write_type(path, "Observation", program_ids)


def dump_raw(path: Path, program_ids: list[int]) -> int:
    """Same rows, same keyset chunks, no mapping: what a plain table dump costs."""
    import orjson

    from speciosa.fhir.export import EXPORT_CHUNK
    from speciosa.patients.models import SubstanceUse

    count, last = 0, 0
    qs = SubstanceUse.objects.filter(program_id__in=program_ids)
    with path.open("wb", buffering=1 << 20) as out:
        while True:
            rows = list(qs.filter(pk__gt=last).order_by("pk").values()[:EXPORT_CHUNK])
            if not rows:
                break
            for row in rows:
                out.write(orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE))
            count += len(rows)
            last = rows[-1]["id"]
    return count


def main() -> None:
    setup_django()
    n = bench_size(small=50_000, default=1_000_000)
    with Stopwatch() as gen:
        program = synthesise(n)
    print(f"synthesised {n} substance-use rows in {gen.seconds:.1f} s")
    out_dir = Path(tempfile.mkdtemp(prefix="speciosa-export-"))
    ids = [program.pk]

    with Stopwatch() as raw:
        raw_count = dump_raw(out_dir / "raw.ndjson", ids)
    with Stopwatch() as fhir:
        fhir_count = export_fhir(out_dir / "Observation.ndjson", ids)
    assert raw_count == fhir_count == n, (raw_count, fhir_count, n)
    rss_after = max_rss_bytes()

    # constant memory: the export's Python heap peak (tracemalloc) over 10k rows and over
    # 10x as many must be about the same. tracemalloc slows the run, so it is measured on
    # slices of the table (moved to their own program), not the timed full run.
    from speciosa.accounts.models import Program
    from speciosa.patients.models import SubstanceUse

    small_n, big_n = min(n, 10_000), min(n, 100_000)
    peaks = {}
    for rows in (small_n, big_n):
        piece = Program.objects.create(code=f"bench-{rows}", name=f"Slice {rows}")
        cut = SubstanceUse.objects.order_by("pk").values_list("pk", flat=True)[rows - 1]
        SubstanceUse.objects.filter(pk__lte=cut).update(program=piece)
        _, peaks[rows] = peak_python_memory(
            lambda piece=piece: export_fhir(out_dir / "slice.ndjson", [piece.pk])
        )
    peak_small, peak_full = peaks[small_n], peaks[big_n]

    fhir_rate = fhir_count / fhir.seconds
    raw_rate = raw_count / raw.seconds
    sizes = {
        "fhir_bytes": (out_dir / "Observation.ndjson").stat().st_size,
        "raw_bytes": (out_dir / "raw.ndjson").stat().st_size,
    }
    for f in out_dir.iterdir():
        f.unlink()
    write_result(
        "export",
        size=n,
        subject={"p50_s": fhir.seconds, "resources_per_s": fhir_rate, "n": 1},
        baseline={"p50_s": raw.seconds, "rows_per_s": raw_rate, "n": 1},
        ratio=fhir_rate / raw_rate,
        ratio_means="FHIR NDJSON resources/s / raw orjson dump rows/s (higher is better)",
        target=0.5,
        peak_memory_bytes=rss_after,
        extra={
            "rss_peak_mb": round(rss_after / 1024**2, 1),
            "rss_target_mb": 300,
            "tracemalloc_peak_mb_small": round(peak_small / 1024**2, 2),
            "tracemalloc_peak_mb_big": round(peak_full / 1024**2, 2),
            "tracemalloc_rows_small": small_n,
            "tracemalloc_rows_big": big_n,
            "synthesis_s": round(gen.seconds, 1),
            **sizes,
            "database": os.environ.get("DATABASE_URL", "").split(":", 1)[0],
        },
    )
    print(
        f"FHIR {fhir_rate:,.0f} resources/s, raw {raw_rate:,.0f} rows/s, "
        f"ratio {fhir_rate / raw_rate:.2f}; peak RSS {rss_after / 1024**2:.0f} MB; "
        f"tracemalloc peak {peak_small / 1024**2:.1f} MB @ {small_n} vs "
        f"{peak_full / 1024**2:.1f} MB @ {big_n}"
    )


if __name__ == "__main__":
    main()
