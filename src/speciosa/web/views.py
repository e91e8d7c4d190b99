"""Clinician pages. Views load through scoped queries and render; decisions live elsewhere."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render

from speciosa.accounts.access import programs_for
from speciosa.clinical.errors import NotFound
from speciosa.patients.queries import get_patient_for_user, patients_for_user


def caseload(request):
    q = request.GET.get("q", "").strip()
    patients = (
        patients_for_user(request.user)
        .select_related("program")
        .order_by("family_name", "given_name")
    )
    if q:
        patients = patients.filter(family_name__istartswith=q) | patients.filter(mrn=q)
    context = {"patients": patients[:100], "q": q, "programs": programs_for(request.user)}
    template = "web/partials/_patient_rows.html" if request.htmx else "web/caseload.html"
    return render(request, template, context)


def patient_chart(request, patient_id):
    try:
        patient = get_patient_for_user(request.user, patient_id, audit_read=True)
    except NotFound as exc:
        raise Http404("Patient not found") from exc
    context = {
        "patient": patient,
        "episodes": list(patient.episodes.all()),
        "substances": list(patient.substance_uses.all()),
        "medications": list(patient.medications.all()),
        "diagnoses": list(patient.diagnoses.all()),
        "labs": list(patient.lab_results.order_by("-collected_at")[:50]),
    }
    return render(request, "web/chart.html", context)


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
