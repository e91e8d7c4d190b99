"""Chart page at scale: p50/p95 and SQL query count of GET /patients/<id>/ (the full
chart a clinician opens) in a program of N patients, logged in as a prescriber.

Baseline, same run: the bare database work a chart needs — the patient row and each of
its record tables fetched with one raw SQL query each, no template.
ratio = baseline p50 / chart p50 (higher is better; 1.0 would mean the page costs no
more than its raw reads). Also the caseload page (first page of the list).
"""

from __future__ import annotations

import random
import time

from _common import Timing, bench_size, setup_django, write_result

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from speciosa.accounts.models import User  # noqa: E402
from speciosa.demo.generate import generate_demo_program  # noqa: E402
from speciosa.demo.steps import demo_steps  # noqa: E402
from speciosa.patients.models import Patient  # noqa: E402

PATIENTS = bench_size(small=500, default=10_000, large=100_000)
REQUESTS = bench_size(small=20, default=100)
RECORD_TABLES = [
    "patients_episode",
    "patients_substanceuse",
    "patients_diagnosis",
    "patients_medication",
    "patients_labresult",
]


def raw_chart(patient_id: int) -> int:
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM patients_patient WHERE id = %s", [patient_id])
        rows += len(cursor.fetchall())
        for table in RECORD_TABLES:
            cursor.execute(f"SELECT * FROM {table} WHERE patient_id = %s", [patient_id])  # noqa: S608
            rows += len(cursor.fetchall())
    return rows


def add_scores_for(patient_ids: list[int]) -> None:
    from speciosa.accounts.models import Program
    from speciosa.demo.steps import DemoContext
    from speciosa.measures.demo import add_demo_scores

    program = Program.objects.get(code="demo")
    users = {"nurse": User.objects.get(username="nurse")}
    add_demo_scores(
        DemoContext(
            program=program,
            users=users,
            patient_ids=patient_ids,
            rng=random.Random(3),
            seed=3,
            progress=lambda label, total: lambda n: None,
        )
    )


def main() -> None:
    setup_test_environment()
    started = time.perf_counter()
    # base records for every patient; score histories (the slow demo step) only for the
    # patients whose charts are opened, so the data set builds in seconds
    generate_demo_program(patients=PATIENTS, seed=11, skip_steps={name for name, _ in demo_steps()})
    rng = random.Random(5)
    ids = list(Patient.objects.filter(program__code="demo").values_list("id", "uid"))
    sample = rng.sample(ids, min(REQUESTS, len(ids)))
    add_scores_for([pk for pk, _ in sample])
    seed_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(User.objects.get(username="prescriber"))

    client.get(f"/patients/{sample[0][1]}/")  # warm caches, templates
    chart, baseline, caseload = Timing(), Timing(), Timing()
    queries: list[int] = []
    for pk, uid in sample:
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(f"/patients/{uid}/")
            chart.samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        queries.append(len(captured))
        start = time.perf_counter()
        raw_chart(pk)
        baseline.samples.append(time.perf_counter() - start)
    for _ in range(min(20, REQUESTS)):
        start = time.perf_counter()
        response = client.get("/")
        caseload.samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    write_result(
        "chart",
        size=PATIENTS,
        subject=chart,
        baseline=baseline,
        ratio=baseline.p50 / chart.p50,
        ratio_means="raw SQL reads p50 / chart page p50 (higher is better)",
        extra={
            "chart_queries_max": max(queries),
            "chart_queries_p50": sorted(queries)[len(queries) // 2],
            "caseload": caseload.as_dict(),
            "caseload_queries": len(captured),
            "demo_data_seconds": round(seed_seconds, 1),
        },
    )


if __name__ == "__main__":
    main()
