"""Clinician pages. Views load through scoped queries, call one service per action, and
render; decisions live in the clinical core and the services."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from speciosa.accounts.access import programs_for
from speciosa.accounts.permissions import Action, can
from speciosa.clinical.errors import DomainError, InvalidAnswer, InvalidInput, NotFound
from speciosa.clinical.evidence.cards import load_cards
from speciosa.clinical.instruments.catalog import load_catalog
from speciosa.clinical.privacy.part2 import Purpose
from speciosa.measures.models import Score
from speciosa.measures.queries import due_assessments
from speciosa.measures.services import instrument_dir, instrument_named, record_response
from speciosa.patients.models import Episode
from speciosa.patients.queries import get_patient_for_user, patients_for_user
from speciosa.plans.disclosure import PlanPdf, clean_recipient, disclose_plan_pdf
from speciosa.plans.queries import get_plan_for_user
from speciosa.plans.services import change_plan, create_plan_from_template, sign_plan
from speciosa.privacy.hooks import NOTICE_HEADER
from speciosa.research.panels import chart_research_panel
from speciosa.safety.models import Alert
from speciosa.safety.queries import get_alert_for_user
from speciosa.safety.services import acknowledge_alert, override_alert
from speciosa.selfreport.services import create_self_report_link, self_report_instruments
from speciosa.web.chart import age_on, build_timeline
from speciosa.web.panels import build_score_panels
from speciosa.web.plan_panels import caseload_plan_summary, chart_plan_summary
from speciosa.web.questionnaire_forms import answers_from_post, build_form_items

MAX_CHART_SCORES = 400


def _patient_or_404(user, patient_id, *, audit_read=False):
    try:
        return get_patient_for_user(user, patient_id, audit_read=audit_read)
    except NotFound as exc:
        raise Http404("Patient not found") from exc


def caseload(request):
    """The program's day: alerts by severity, assessments due, admissions, patient search."""
    q = request.GET.get("q", "").strip()
    patients = (
        patients_for_user(request.user)
        .select_related("program")
        .order_by("family_name", "given_name")
    )
    if q:
        patients = patients.filter(family_name__istartswith=q) | patients.filter(mrn=q)
    if request.htmx and request.htmx.target == "patient-rows":
        return render(request, "web/partials/_patient_rows.html", {"patients": patients[:100]})
    programs = [p for p in programs_for(request.user) if can(request.user, Action.VIEW_CHART, p.pk)]
    program_ids = [p.pk for p in programs]
    alerts = list(
        Alert.objects.filter(program_id__in=program_ids)
        .active()
        .select_related("patient")
        .inbox_order()[:12]
    )
    counts = {sev: 0 for sev in ("critical", "high", "moderate", "info")}
    for severity in (
        Alert.objects.filter(program_id__in=program_ids).active().values_list("severity", flat=True)
    ):
        counts[severity] = counts.get(severity, 0) + 1
    due = []
    for program in programs:
        due += due_assessments(actor=request.user, program=program, limit=15)
    since = timezone.localdate() - timedelta(days=14)
    admissions = list(
        Episode.objects.filter(program_id__in=program_ids, admitted_on__gte=since)
        .select_related("patient")
        .order_by("-admitted_on")[:10]
    )
    context = {
        "patients": patients[:100],
        "q": q,
        "programs": programs,
        "alerts": alerts,
        "alert_counts": counts,
        "due": due[:15],
        "admissions": admissions,
        **_plan_dashboard(request.user, program_ids),
    }
    return render(request, "web/caseload.html", context)


def _plan_dashboard(user, program_ids) -> dict:
    return caseload_plan_summary(user, program_ids)


def _plan_panel(user, patient) -> dict:
    return chart_plan_summary(user, patient)


def plan_from_template(request, patient_id):
    """Apply one or more pathway templates: a draft plan the clinician then edits."""
    patient = _patient_or_404(request.user, patient_id)
    if not can(request.user, Action.EDIT_PLAN, patient.program_id):
        return HttpResponse("Your role may not edit plans", status=403)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        create_plan_from_template(
            actor=request.user, patient=patient, pathway_ids=request.POST.getlist("pathways")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("patient_chart", args=[patient.uid]) + "#plan")


def _plan_for_post(request, plan_id, action: Action, refusal: str):
    """The plan a POST-only plan action names: 404 outside the user's programs, 403
    without ``action`` (both before the method check, as the access matrix expects), 405
    for any other method. Returns (plan, None) or (None, the refusal response)."""
    try:
        plan = get_plan_for_user(request.user, plan_id)
    except NotFound as exc:
        raise Http404("Plan not found") from exc
    if not can(request.user, action, plan.program_id):
        return None, HttpResponse(refusal, status=403)
    if request.method != "POST":
        return None, HttpResponseNotAllowed(["POST"])
    return plan, None


def plan_sign(request, plan_id):
    """Record the clinician's or the patient's typed signature on the current version."""
    plan, refusal = _plan_for_post(
        request, plan_id, Action.SIGN_PLAN, "Your role may not sign plans"
    )
    if refusal is not None:
        return refusal
    try:
        sign_plan(
            actor=request.user,
            plan=plan,
            version_number=int(request.POST.get("version", "0")),
            signer_role=request.POST.get("signer_role", ""),
            typed_name=request.POST.get("typed_name", "").strip(),
            method=request.POST.get("method", ""),
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Invalid signature"))
    return redirect(reverse("patient_chart", args=[plan.patient.uid]) + "#plan")


def plan_objective_status(request, plan_id):
    """Edit one objective or intervention status (a new plan version with a reason)."""
    plan, refusal = _plan_for_post(
        request, plan_id, Action.EDIT_PLAN, "Your role may not edit plans"
    )
    if refusal is not None:
        return refusal
    item_id = request.POST.get("item_id", "")
    new_status = request.POST.get("status", "")
    reason = request.POST.get("reason", "").strip() or f"{item_id} set to {new_status}"
    document = plan.current_version.document
    found = False
    for problem in document.get("problems", []):
        for goal in problem.get("goals", []):
            for obj in goal.get("objectives", []):
                for item in [obj, *obj.get("interventions", [])]:
                    if item.get("id") == item_id:
                        item["status"] = new_status
                        found = True
    try:
        if not found:
            raise InvalidInput("item_id", "no such objective or intervention in this plan")
        change_plan(
            actor=request.user,
            plan=plan,
            expected_version=int(request.POST.get("version", "0")),
            document=document,
            reason=reason,
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Invalid change"))
    return redirect(reverse("patient_chart", args=[plan.patient.uid]) + "#plan")


def plan_disclosure_pdf(request, plan_id):
    """The plan or discharge-summary PDF for a named recipient outside the program.

    A 42 CFR Part 2 disclosure (``plans.disclosure``): POST with CSRF, the DISCLOSE
    permission and the patient's covering consent; a refusal goes back to the chart with
    the reason and no PDF."""
    plan, refusal = _plan_for_post(
        request, plan_id, Action.DISCLOSE, "Your role may not disclose records"
    )
    if refusal is not None:
        return refusal
    from speciosa.plans.pdf import render_discharge_summary_pdf, render_plan_pdf

    renderers = {
        PlanPdf.TREATMENT_PLAN: render_plan_pdf,
        PlanPdf.DISCHARGE_SUMMARY: render_discharge_summary_pdf,
    }
    try:
        document = PlanPdf(request.POST.get("document", ""))
        outside = clean_recipient(request.POST.get("recipient"), request.POST.get("purpose"))
        if outside is None:
            raise InvalidInput("recipient", "name the person or organisation receiving the PDF")
        disclosed = disclose_plan_pdf(
            actor=request.user,
            plan=plan,
            document=document,
            recipient=outside[0],
            purpose=outside[1],
            render=renderers[document],
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Choose the plan or the discharge summary"))
        return redirect(reverse("patient_chart", args=[plan.patient.uid]) + "#plan")
    response = HttpResponse(disclosed.content, content_type="application/pdf")
    response[NOTICE_HEADER] = disclosed.receipt.short_notice
    response["Content-Disposition"] = f'inline; filename="{document}-{plan.uid}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def patient_chart(request, patient_id):
    patient = _patient_or_404(request.user, patient_id, audit_read=True)
    episodes = list(patient.episodes.all())
    substances = list(patient.substance_uses.all())
    medications = list(patient.medications.all())
    diagnoses = list(patient.diagnoses.all())
    labs = list(patient.lab_results.order_by("-collected_at")[:50])
    scores = list(
        Score.objects.filter(patient=patient).order_by("-taken_at", "-id")[:MAX_CHART_SCORES]
    )[::-1]
    alerts = list(
        Alert.objects.filter(patient=patient)
        .active()
        .select_related("acknowledged_by")
        .inbox_order()
    )
    open_episode = next((e for e in episodes if e.is_open), None)
    catalog = load_catalog(instrument_dir())
    context = {
        "patient": patient,
        "age": age_on(patient.birth_date, timezone.localdate()),
        "open_episode": open_episode,
        "episodes": episodes,
        "substances": substances,
        "kratom": [s for s in substances if s.substance == "kratom" and s.is_current],
        "medications": medications,
        "diagnoses": diagnoses,
        "labs": labs,
        "alerts": alerts,
        "score_panels": build_score_panels(scores, instrument_named),
        "recent_scores": scores[-10:][::-1],
        "instruments": sorted(
            (i for i in catalog.values() if i.is_scorable), key=lambda i: i.scoring.short_name
        ),
        "self_report_instruments": sorted(self_report_instruments()),
        "can_ack": can(request.user, Action.ACKNOWLEDGE_ALERT, patient.program_id),
        "can_assess": can(request.user, Action.RECORD_RESPONSE, patient.program_id),
        "can_link": can(request.user, Action.CREATE_SELF_REPORT_LINK, patient.program_id),
        "can_disclose": can(request.user, Action.DISCLOSE, patient.program_id),
        "disclosure_purposes": [(p.value, p.value.replace("_", " ")) for p in Purpose],
        "timeline": build_timeline(
            episodes=episodes, medications=medications, labs=labs, substances=substances
        )[:40],
        **_plan_panel(request.user, patient),
        **chart_research_panel(request.user, patient),
    }
    return render(request, "web/chart.html", context)


@require_http_methods(["GET", "POST"])
def assessment_entry(request, patient_id, instrument_id):
    """A form generated from the Questionnaire; on save, the score, band and alerts."""
    patient = _patient_or_404(request.user, patient_id)
    try:
        instrument = instrument_named(instrument_id)
    except DomainError as exc:
        raise Http404("Unknown instrument") from exc
    if not can(request.user, Action.RECORD_RESPONSE, patient.program_id):
        return HttpResponse("Your role may not record assessments", status=403)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        answers = answers_from_post(instrument, request.POST)
        started = timezone.now()
        try:
            score = record_response(
                actor=request.user, patient=patient, instrument_id=instrument.id, answers=answers
            )
        except InvalidAnswer as exc:
            errors[exc.item_id] = exc.reason
            status = 422
        except InvalidInput as exc:
            errors["__all__"] = exc.message
            status = 422
        else:
            new_alerts = list(
                Alert.objects.filter(patient=patient, opened_at__gte=started).active().inbox_order()
            )
            return render(
                request,
                "web/assessment_result.html",
                {
                    "patient": patient,
                    "instrument": instrument,
                    "score": score,
                    "alerts": new_alerts,
                },
            )
    context = {
        "patient": patient,
        "instrument": instrument,
        "items": build_form_items(
            instrument, request.POST if request.method == "POST" else None, errors
        ),
        "form_error": errors.get("__all__", ""),
        "error_count": len(errors),
    }
    return render(request, "web/assessment_form.html", context, status=status)


def alert_decision(request, alert_id, decision):
    """Acknowledge or override an alert (a reason is required); returns the alert card."""
    try:
        alert = get_alert_for_user(request.user, alert_id)
    except NotFound as exc:
        raise Http404("Alert not found") from exc
    if not can(request.user, Action.ACKNOWLEDGE_ALERT, alert.program_id):
        return HttpResponse("Your role may not acknowledge alerts", status=403)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reason = request.POST.get("reason", "").strip()
    error = ""
    if not reason:
        error = "Please give a reason."
    else:
        try:
            if decision == "override":
                override_alert(actor=request.user, alert=alert, reason=reason)
            else:
                acknowledge_alert(actor=request.user, alert=alert, reason=reason)
        except DomainError as exc:
            error = exc.message
    alert.refresh_from_db()
    context = {"alert": alert, "can_ack": True, "error": error}
    if request.htmx:
        return render(request, "web/partials/_alert.html", context, status=422 if error else 200)
    return redirect(reverse("patient_chart", args=[alert.patient.uid]) + "#alerts")


def self_report_link_new(request, patient_id):
    patient = _patient_or_404(request.user, patient_id)
    if not can(request.user, Action.CREATE_SELF_REPORT_LINK, patient.program_id):
        return HttpResponse("Your role may not create self-report links", status=403)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    instrument_ids = request.POST.getlist("instruments")
    try:
        hours = int(request.POST.get("valid_hours", "72"))
        link, token = create_self_report_link(
            actor=request.user, patient=patient, instrument_ids=instrument_ids, valid_hours=hours
        )
    except (ValueError, InvalidInput) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else "valid_hours: not a number"
        return render(request, "web/partials/_link_created.html", {"error": message}, status=422)
    url = request.build_absolute_uri(reverse("self_report", args=[token]))
    return render(request, "web/partials/_link_created.html", {"link": link, "url": url})


def evidence_list(request):
    return render(request, "web/evidence_list.html", {"cards": list(load_cards().values())})


def evidence_detail(request, card_id):
    card = load_cards().get(card_id)
    if card is None:
        raise Http404("No such evidence card")
    return render(request, "web/evidence_detail.html", {"card": card})


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
