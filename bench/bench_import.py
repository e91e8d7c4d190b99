"""Import throughput: `speciosa import csv` (validate every row, idempotency keys, one
audit row per record, chunked commits) vs a raw `executemany` INSERT of the same CSV
rows into the same table, in the same run. Also: a resume pass (every key already in)
and the CSV/Parquet export of what was imported vs a raw cursor -> csv.writer dump.

ratio = speciosa rows/s / raw executemany rows/s (higher is better).
"""

from __future__ import annotations

import csv
import tempfile
import time
import uuid
from pathlib import Path

from _common import (
    Timing,
    bench_size,
    max_rss_bytes,
    peak_python_memory,
    setup_django,
    write_result,
)

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from speciosa.accounts.models import Membership, Program, Role, User  # noqa: E402
from speciosa.dataio.exporter import export_program  # noqa: E402
from speciosa.dataio.importer import import_source  # noqa: E402
from speciosa.dataio.sources import CsvSource  # noqa: E402

ROWS = bench_size(small=2_000, default=10_000, large=100_000)
REPEAT = 3
TMP = Path(tempfile.mkdtemp(prefix="speciosa-bench-import-"))
HEADER = ["mrn", "given_name", "family_name", "birth_date", "sex_at_birth", "email"]


def make_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [
                    f"M{i:07d}",
                    "Test",
                    f"Patient{i}",
                    "1984-03-0" + str(1 + i % 9),
                    "female" if i % 2 else "male",
                    f"p{i}@example.org",
                ]
            )
    return path


def new_program(n: int, user: User) -> Program:
    program = Program.objects.create(code=f"bench{n}", name=f"Bench {n}")
    Membership.objects.create(user=user, program=program, role=Role.PRESCRIBER)
    if hasattr(user, "_speciosa_memberships"):
        del user._speciosa_memberships
    return program


def raw_insert(path: Path, program: Program, user: User) -> None:
    """Baseline: parse the same CSV and executemany the rows, no validation, no audit."""
    now = timezone.now()
    sql = (
        "INSERT INTO patients_patient (uid, program_id, created_at, updated_at, "
        "created_by_id, version, mrn, given_name, family_name, birth_date, sex_at_birth, "
        "gender_identity, phone, email, address, preferred_language, allergies, "
        "is_pregnant, is_active) VALUES ({})".format(", ".join(["%s"] * 19))
    )
    is_sqlite = connection.vendor == "sqlite"
    with path.open(newline="") as fh, transaction.atomic(), connection.cursor() as cursor:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for mrn, given, family, birth, sex, email in reader:
            uid = uuid.uuid4()
            batch.append(
                (
                    uid.hex if is_sqlite else uid,
                    program.pk,
                    now,
                    now,
                    user.pk,
                    1,
                    mrn,
                    given,
                    family,
                    birth,
                    sex,
                    "",
                    "",
                    email,
                    "",
                    "en",
                    "",
                    None,
                    True,
                )
            )
            if len(batch) == 1000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def main() -> None:
    user = User.objects.create_user(username="bench-importer", password="x")
    source_csv = make_csv(TMP / "patients.csv", ROWS)
    subject, baseline, resume = Timing(), Timing(), Timing()
    n = 0
    for _ in range(REPEAT):
        n += 1
        program = new_program(n, user)
        start = time.perf_counter()
        result = import_source(actor=user, program=program, source=CsvSource(source_csv))
        subject.samples.append(time.perf_counter() - start)
        assert result.imported == ROWS, result
        start = time.perf_counter()
        again = import_source(actor=user, program=program, source=CsvSource(source_csv))
        resume.samples.append(time.perf_counter() - start)
        assert again.already_imported == ROWS
        n += 1
        program = new_program(n, user)
        start = time.perf_counter()
        raw_insert(source_csv, program, user)
        baseline.samples.append(time.perf_counter() - start)

    # export of the last imported program: speciosa CSV/Parquet vs raw cursor -> csv
    exported = Program.objects.get(code=f"bench{n - 1}")
    director = User.objects.create_user(username="bench-director", password="x")
    Membership.objects.create(user=director, program=exported, role=Role.PROGRAM_DIRECTOR)
    export_csv, export_parquet, export_raw = Timing(), Timing(), Timing()
    for _ in range(REPEAT):
        start = time.perf_counter()
        export_program(actor=director, program=exported, out_dir=TMP / "csv", tables=["patients"])
        export_csv.samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        export_program(
            actor=director,
            program=exported,
            out_dir=TMP / "pq",
            fmt="parquet",
            tables=["patients"],
        )
        export_parquet.samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        with (TMP / "raw.csv").open("w", newline="") as fh, connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM patients_patient WHERE program_id = %s ORDER BY id", [exported.pk]
            )
            writer = csv.writer(fh)
            while rows := cursor.fetchmany(5000):
                writer.writerows(rows)
        export_raw.samples.append(time.perf_counter() - start)

    # memory: one more import (separate run: tracemalloc slows allocation)
    program = new_program(n + 1, user)
    _, peak_import = peak_python_memory(
        lambda: import_source(actor=user, program=program, source=CsvSource(source_csv))
    )
    _, peak_export = peak_python_memory(
        lambda: export_program(
            actor=director, program=exported, out_dir=TMP / "csv2", tables=["patients"]
        )
    )
    rate = ROWS / subject.p50
    raw_rate = ROWS / baseline.p50
    write_result(
        "import",
        size=ROWS,
        subject=subject,
        baseline=baseline,
        ratio=rate / raw_rate,
        ratio_means="speciosa import rows/s / raw executemany rows/s (higher is better)",
        peak_memory_bytes=peak_import,
        extra={
            "import_rows_per_s": round(rate),
            "raw_executemany_rows_per_s": round(raw_rate),
            "resume_all_done_rows_per_s": round(ROWS / resume.p50),
            "resume": resume.as_dict(),
            "export_csv_rows_per_s": round(ROWS / export_csv.p50),
            "export_parquet_rows_per_s": round(ROWS / export_parquet.p50),
            "export_raw_csv_rows_per_s": round(ROWS / export_raw.p50),
            "export_csv_vs_raw_ratio": export_raw.p50 / export_csv.p50,
            "export_parquet_vs_raw_ratio": export_raw.p50 / export_parquet.p50,
            "export_csv": export_csv.as_dict(),
            "export_parquet": export_parquet.as_dict(),
            "export_raw": export_raw.as_dict(),
            "peak_python_bytes_export_csv": peak_export,
            "max_rss_bytes": max_rss_bytes(),
            "note": "subject validates each row, writes ImportedRow keys and one "
            "hash-chained audit row per record; baseline inserts only",
        },
    )


if __name__ == "__main__":
    main()
