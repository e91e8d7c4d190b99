"""API write path: POST /api/measures/patients/<id>/responses (validate, score with the
instrument engine, save response + score, re-run the safety rules, audit) over HTTP
(Django test client, full middleware stack, logged-in prescriber) vs a bare Django view
that does one raw INSERT of the same JSON body, in the same run.

ratio = bare view p50 / API p50 (higher is better); target >= 0.5.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal

from _common import Timing, bench_size, peak_python_memory, setup_django, write_result

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from speciosa.accounts.models import Membership, Program, Role, User  # noqa: E402
from speciosa.clinical.instruments import get_instrument  # noqa: E402
from speciosa.patients.models import Medication, Patient, SubstanceUse  # noqa: E402

REQUESTS = bench_size(small=30, default=300)


@csrf_exempt
def raw_insert(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw_write (payload) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [
    path("bench/raw-insert/", raw_insert),
    path("", include("speciosa.urls")),
]


def phq9_answers(i: int) -> dict[str, str]:
    instrument = get_instrument("phq9")
    answers = {}
    for n, item in enumerate(instrument.items.values()):
        if item.required and item.is_scored and item.options:
            answers[item.link_id] = item.options[(i + n) % 3 if n < 8 else 0].code
    return answers


def main() -> None:
    setup_test_environment()
    settings.ROOT_URLCONF = __name__
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw_write (payload TEXT)")
    program = Program.objects.create(code="bench", name="Bench")
    user = User.objects.create_user(username="bench-prescriber", password="x")
    Membership.objects.create(user=user, program=program, role=Role.PRESCRIBER)
    patient = Patient.objects.create(
        program=program,
        mrn="B1",
        given_name="B",
        family_name="P",
        birth_date=date(1985, 1, 1),
        sex_at_birth="female",
    )
    # give the safety rules something to read: kratom + an interacting medication
    SubstanceUse.objects.create(
        program=program,
        patient=patient,
        substance="kratom",
        kratom_form="capsules",
        grams_per_day=Decimal("12"),
        last_use_at=timezone.now() - timedelta(hours=6),
    )
    Medication.objects.create(
        program=program,
        patient=patient,
        name="atomoxetine",
        status="active",
        start_at=timezone.now() - timedelta(days=3),
    )
    client = Client()
    client.force_login(user)
    url = f"/api/measures/patients/{patient.uid}/responses"
    bodies = [
        json.dumps({"instrument_id": "phq9", "answers": phq9_answers(i), "source": "clinician"})
        for i in range(REQUESTS + 5)
    ]

    def post_api(body: str) -> None:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    def post_raw(body: str) -> None:
        response = client.post("/bench/raw-insert/", body, content_type="application/json")
        assert response.status_code == 201

    for body in bodies[:5]:  # warm up: instrument cache, rule loading, templates
        post_api(body)
        post_raw(body)
    api, raw = Timing(), Timing()
    for body in bodies[5:]:
        start = time.perf_counter()
        post_api(body)
        api.samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        post_raw(body)
        raw.samples.append(time.perf_counter() - start)
    _, peak = peak_python_memory(lambda: post_api(bodies[0]))
    write_result(
        "api_write",
        size=REQUESTS,
        subject=api,
        baseline=raw,
        ratio=raw.p50 / api.p50,
        target=0.5,
        ratio_means="bare-view raw INSERT p50 / submit+score+safety API p50 (higher is better)",
        peak_memory_bytes=peak,
        extra={
            "requests_per_s_api": round(1 / api.p50, 1),
            "requests_per_s_raw": round(1 / raw.p50, 1),
        },
    )


if __name__ == "__main__":
    main()
