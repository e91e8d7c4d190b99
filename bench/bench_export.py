"""Bulk Data export throughput: FHIR NDJSON vs a raw orjson dump of the same rows.

Synthesises N substance-use records (kratom-heavy: each becomes a social-history
Observation with components and the 42 CFR Part 2 label), then in one run:

- subject: ``speciosa.fhir.export.write_type`` (the code the $export task runs): keyset
  chunks, FHIR mapping, one NDJSON line per resource;
- baseline: the same keyset chunks as ``.values()`` dicts dumped with orjson (no mapping).

ratio = subject resources/s / baseline rows/s (target >= 0.5). Memory: peak RSS of the
process after both runs, and tracemalloc peaks of the export at two sizes (constant
memory means the peak does not grow with the number of rows).
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
    from speciosa.accounts.models import Program
    from speciosa.patients.models import Patient, SubstanceUse

    program = Program.objects.create(code="bench", name="Bench Program")
    n_patients = max(1, n // 50)
    born = datetime(1985, 1, 1).date()
    patients = Patient.objects.bulk_create(
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
    now = datetime(2026, 1, 1, tzinfo=UTC)
    batch = []
    for i in range(n):
        patient = patients[i % n_patients]
        if i % 5 < 3:
            row = SubstanceUse(
                program=program,
                patient=patient,
                uid=uuid.uuid4(),
                substance="kratom",
                kratom_form=FORMS[i % 4],
                grams_per_day=Decimal(5 + i % 40),
                doses_per_day=1 + i % 6,
                last_use_at=now - timedelta(hours=i % 72),
                frequency="daily",
            )
        else:
            row = SubstanceUse(
                program=program,
                patient=patient,
                uid=uuid.uuid4(),
                substance=OTHER[i % 5],
                amount=Decimal(1 + i % 9),
                unit="units",
                route="oral",
            )
        batch.append(row)
        if len(batch) == 10_000:
            SubstanceUse.objects.bulk_create(batch)
            batch = []
    if batch:
        SubstanceUse.objects.bulk_create(batch)
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

    # constant memory: tracemalloc peak of the export over a tenth of the rows vs all
    # rows of a smaller program-sized slice would need a second data set; instead
    # compare peaks for two prefixes of the same table via a limited program scope.
    small_n = min(n, 20_000)
    from speciosa.accounts.models import Program
    from speciosa.patients.models import SubstanceUse

    slice_program = Program.objects.create(code="bench-slice", name="Slice")
    cut = SubstanceUse.objects.order_by("pk").values_list("pk", flat=True)[small_n - 1]
    SubstanceUse.objects.filter(pk__lte=cut).update(program=slice_program)
    _, peak_small = peak_python_memory(
        lambda: export_fhir(out_dir / "s.ndjson", [slice_program.pk])
    )
    SubstanceUse.objects.update(program=slice_program)
    _, peak_full = peak_python_memory(lambda: export_fhir(out_dir / "f.ndjson", [slice_program.pk]))

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
            "tracemalloc_peak_mb_full": round(peak_full / 1024**2, 2),
            "tracemalloc_rows_small": small_n,
            "tracemalloc_rows_full": n,
            "synthesis_s": round(gen.seconds, 1),
            **sizes,
            "database": os.environ.get("DATABASE_URL", "").split(":", 1)[0],
        },
    )
    print(
        f"FHIR {fhir_rate:,.0f} resources/s, raw {raw_rate:,.0f} rows/s, "
        f"ratio {fhir_rate / raw_rate:.2f}; peak RSS {rss_after / 1024**2:.0f} MB; "
        f"tracemalloc peak {peak_small / 1024**2:.1f} MB @ {small_n} vs "
        f"{peak_full / 1024**2:.1f} MB @ {n}"
    )


if __name__ == "__main__":
    main()
