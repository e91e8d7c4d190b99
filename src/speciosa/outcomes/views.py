"""Outcomes dashboard pages: the HTMX dashboard, CSV export and the PDF report.

Access: VIEW_REPORTS (program director, prescriber, nurse, counsellor, administrator);
everyone else gets 403. Data is limited to the programs where the caller holds that
action; a program code outside them is not a valid choice of the filter form.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from speciosa.clinical.outcomes.dashboard import Dashboard, compute_dashboard
from speciosa.clinical.outcomes.definitions import load_definitions
from speciosa.outcomes.extract import today_utc
from speciosa.outcomes.forms import CohortForm
from speciosa.outcomes.presentation import build_charts, csv_text, csv_zip, display_rows
from speciosa.outcomes.queries import cached_extract, report_programs_for
from speciosa.outcomes.services import record_report_export


def _load(request):
    programs = report_programs_for(request.user)
    if not programs:
        raise PermissionDenied("Your roles may not view reports")
    form = CohortForm(request.GET or None, programs=programs)
    if request.GET and not form.is_valid():
        return programs, form, None
    if not request.GET:
        form = CohortForm({}, programs=programs)
        form.is_valid()
    as_of = form.report_date(today_utc())
    tables = cached_extract([p.id for p in programs])
    dashboard = compute_dashboard(tables, form.cohort_a(), as_of, compare_with=form.cohort_b())
    return programs, form, dashboard


def _context(form, dashboard: Dashboard | None, threshold: int | None = None) -> dict:
    d = load_definitions()
    if dashboard is None:
        return {"form": form, "dashboard": None}
    horizons = d.measures.retention.horizons_days
    tables = [
        {"table": t, "rows": display_rows(t, threshold)}
        for t in dashboard.all_tables()
        if t.id != "retention_curve"
    ]
    return {
        "form": form,
        "dashboard": dashboard,
        "tables": tables,
        "by_id": {entry["table"].id: entry for entry in tables},
        "charts": build_charts(dashboard, horizons),
        "summary": dashboard.tables["summary"].rows[0],
        "threshold": d.statistics.small_cell_threshold,
        "citations": d.citations(),
        "query": form.data.urlencode() if hasattr(form.data, "urlencode") else "",
    }


def dashboard(request):
    _, form, dash = _load(request)
    context = _context(form, dash)
    if request.htmx:
        return render(request, "outcomes/partials/_results.html", context)
    return render(request, "outcomes/dashboard.html", context, status=200 if dash else 400)


def export_csv(request):
    """``?table=<id>`` gives one CSV; without it, a zip of every table. Suppressed."""
    programs, form, dash = _load(request)
    if dash is None:
        return HttpResponse("Invalid filters", status=400, content_type="text/plain")
    threshold = load_definitions().statistics.small_cell_threshold
    wanted = request.GET.get("table")
    tables = {t.id: t for t in dash.all_tables()}
    if wanted and wanted not in tables:
        return HttpResponse("Unknown table", status=400, content_type="text/plain")
    record_report_export(
        actor=request.user,
        programs=programs,
        fmt="csv",
        detail={"table": wanted or "all", "filters": request.GET.dict()},
    )
    if wanted:
        response = HttpResponse(csv_text(tables[wanted], threshold), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="outcomes-{wanted}.csv"'
        return response
    response = HttpResponse(csv_zip(dash, threshold), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="outcomes-tables.zip"'
    return response


def report_pdf(request):
    """The dashboard as a PDF (WeasyPrint), small cells suppressed."""
    from weasyprint import HTML

    programs, form, dash = _load(request)
    if dash is None:
        return HttpResponse("Invalid filters", status=400, content_type="text/plain")
    threshold = load_definitions().statistics.small_cell_threshold
    context = _context(form, dash, threshold)
    context["programs"] = programs
    html = render_to_string("outcomes/report_pdf.html", context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    record_report_export(
        actor=request.user, programs=programs, fmt="pdf", detail={"filters": request.GET.dict()}
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="outcomes-report.pdf"'
    return response
