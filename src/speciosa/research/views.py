"""Study pages: the list of studies, a study dashboard (status, flow, subjects, SAE clocks,
alerts, visits due, report), visit data entry and adverse-event reporting. Subjects appear
by study subject id only; the visit entry page, which lists the subject's own scores, is a
chart read (audited).

The chart's Research panel posts here too (screen, consent, withdraw, enrol): those take
the patient in the URL, answer 404 outside the caller's charts like the chart itself, and
return to the chart.
"""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from speciosa.accounts.access import roles_in
from speciosa.accounts.permissions import Action, can
from speciosa.clinical.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from speciosa.clinical.research.adverse_events import (
    Relatedness,
    SeriousnessCriterion,
    SeverityGrade,
)
from speciosa.clinical.research.charts import consort_svg
from speciosa.clinical.research.visits import VisitState
from speciosa.measures.models import Score
from speciosa.patients.queries import get_patient_for_user
from speciosa.research import services
from speciosa.research.analysis import study_consort
from speciosa.research.models import (
    AdverseEvent,
    AdverseEventCategory,
    Enrolment,
    EnrolmentStatus,
)
from speciosa.research.queries import (
    active_consent,
    consented_enrolments,
    studies_for_user,
    visits_due,
)


def study_list(request):
    studies = studies_for_user(request.user).order_by("protocol_id")
    return render(request, "research/study_list.html", {"studies": studies})


def _study(request, protocol_id):
    study = studies_for_user(request.user).filter(protocol_id=protocol_id).first()
    if study is None or not roles_in(request.user, study.program_id):
        raise Http404("Study not found")
    return study


def study_dashboard(request, protocol_id):
    study = _study(request, protocol_id)
    subjects = consented_enrolments(study)
    today = timezone.localdate()
    due = []
    for enrolment in subjects.filter(status=EnrolmentStatus.ACTIVE).prefetch_related("assessments"):
        due += [(enrolment, v) for v in visits_due(enrolment, today) if v.state is VisitState.DUE]
    deadlines = (
        AdverseEvent.objects.filter(
            enrolment__in=subjects.values("pk"), next_deadline_at__isnull=False
        )
        .select_related("enrolment", "enrolment__arm")
        .order_by("next_deadline_at")
    )
    consort = study_consort(study)
    context = {
        "study": study,
        "consort": consort,
        "consort_svg": mark_safe(  # noqa: S308 - SVG built by our own code, text escaped
            consort_svg(consort, {a.code: a.name for a in study.arms.all()})
        ),
        "deadlines": deadlines,
        "now": timezone.now(),
        "alerts": study.alerts.all(),
        "due": due,
        "can_record": can(request.user, Action.RECORD_STUDY_DATA, study.program_id),
        "can_manage": can(request.user, Action.MANAGE_STUDY, study.program_id),
        "arms": study.arms.all(),
        "subjects": subjects.annotate(ae_count=Count("adverse_events")),
    }
    return render(request, "research/dashboard.html", context)


def study_report(request, protocol_id):
    """The analysis report as HTML (researchers: VIEW_STUDY_DATA)."""
    from speciosa.research.report import build_report, render_report_html

    study = _study(request, protocol_id)
    try:
        report = build_report(actor=request.user, study=study)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    return HttpResponse(render_report_html(report))


def _record_visit_value(request, enrolment: Enrolment, visit_code: str) -> None:
    """One POSTed value: a score of the subject's (``score_id``) or an entered number."""
    instrument_id = request.POST.get("instrument_id", "")
    score_id = request.POST.get("score_id", "").strip()
    if score_id:
        score = (
            _is_uuid(score_id)
            and Score.objects.filter(
                uid=score_id, patient_id=enrolment.patient_id, instrument_id=instrument_id
            ).first()
        )
        if not score:
            raise InvalidInput("score_id", "no score of this subject has this id")
        services.record_assessment_from_score(
            actor=request.user, enrolment=enrolment, visit_code=visit_code, score=score
        )
        return
    try:
        value = float(request.POST.get("value", ""))
    except ValueError:
        raise InvalidInput("value", "enter a number") from None
    services.record_assessment(
        actor=request.user,
        enrolment=enrolment,
        visit_code=visit_code,
        instrument_id=instrument_id,
        value=value,
    )


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def visit_entry(request, protocol_id, subject_id, visit_code):
    """Record a visit's values: per instrument, one of the subject's scores taken in the
    visit window, or an entered value (RECORD_STUDY_DATA; the services check consent)."""
    study = _study(request, protocol_id)
    if not can(request.user, Action.RECORD_STUDY_DATA, study.program_id):
        return HttpResponse("Your role may not record study data", status=403)
    enrolment = (
        Enrolment.objects.filter(study=study, subject_id=subject_id).select_related("arm").first()
    )
    visit = study.visit_definitions.filter(code=visit_code).first()
    if enrolment is None or visit is None:
        raise Http404("Subject or visit not found")
    if request.method == "POST":
        try:
            _record_visit_value(request, enrolment, visit_code)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Recorded {request.POST.get('instrument_id', '')}.")
        return redirect(reverse("research:visit_entry", args=[protocol_id, subject_id, visit_code]))
    # the subject's scores are chart data: same access rule and audit as the chart
    patient = get_patient_for_user(request.user, enrolment.patient.uid, audit_read=True)
    target = enrolment.randomized_at.date() + timedelta(days=visit.day)
    start = datetime.combine(target - timedelta(days=visit.window_days), time.min)
    end = datetime.combine(target + timedelta(days=visit.window_days + 1), time.min)
    tz = timezone.get_current_timezone()
    recorded = {a.instrument_id: a for a in enrolment.assessments.filter(visit_code=visit_code)}
    rows = []
    for instrument_id in visit.instruments:
        scores = Score.objects.filter(
            patient=patient,
            instrument_id=instrument_id,
            taken_at__gte=timezone.make_aware(start, tz),
            taken_at__lt=timezone.make_aware(end, tz),
        ).order_by("-taken_at")[:5]
        rows.append(
            {
                "instrument_id": instrument_id,
                "recorded": recorded.get(instrument_id),
                "scores": scores,
            }
        )
    context = {
        "study": study,
        "enrolment": enrolment,
        "visit": visit,
        "window": (start.date(), (end - timedelta(days=1)).date()),
        "rows": rows,
    }
    return render(request, "research/visit_entry.html", context)


# --- the chart's Research panel ---------------------------------------------------------


def _chart_panel_post(request, protocol_id, patient_id, action: Action, refusal: str, do):
    """One chart-panel action: 404 unless the caller sees the patient's chart and the
    study is of the patient's program, 403 without ``action``, 405 for anything but POST
    (after the gate). ``do(study, patient)`` calls the service and returns the success
    message; a DomainError becomes an error message. Always back to the chart (PRG)."""
    study = _study(request, protocol_id)
    try:
        patient = get_patient_for_user(request.user, patient_id)
    except NotFound as exc:
        raise Http404("Patient not found") from exc
    if study.program_id != patient.program_id:
        raise Http404("Study not found")
    if not can(request.user, action, study.program_id):
        return HttpResponse(refusal, status=403)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        messages.success(request, do(study, patient))
    except DomainError as exc:
        messages.error(request, f"{study.protocol_id}: {exc.message}")
    return redirect(reverse("patient_chart", args=[patient.uid]) + "#research")


def chart_screen(request, protocol_id, patient_id):
    """Evaluate the study's criteria on the patient's recorded facts (logged, audited)."""

    def screen(study, patient) -> str:
        log = services.screen_patient(actor=request.user, study=study, patient=patient)
        reasons = f": {'; '.join(log.reasons)}" if log.reasons else ""
        return f"{study.protocol_id} screening: {log.get_decision_display()}{reasons}"

    return _chart_panel_post(
        request, protocol_id, patient_id, Action.VIEW_CHART, "Your role may not screen", screen
    )


def chart_consent(request, protocol_id, patient_id):
    """The participant's typed signature on the consent version the form showed."""

    def consent(study, patient) -> str:
        try:
            shown = int(request.POST.get("document_version", ""))
        except ValueError:
            raise InvalidInput("document_version", "reload the chart and sign again") from None
        signed = services.record_consent(
            actor=request.user,
            study=study,
            patient=patient,
            signature_name=request.POST.get("signature_name", ""),
            method=request.POST.get("method", ""),
            document_version=shown,
        )
        return f"{study.protocol_id}: consent recorded (version {signed.document.version})"

    return _chart_panel_post(
        request,
        protocol_id,
        patient_id,
        Action.MANAGE_CONSENT,
        "Your role may not record research consent",
        consent,
    )


def chart_withdraw_consent(request, protocol_id, patient_id):
    """Withdraw the active consent: follow-up ends, data collected before it is kept."""

    def withdraw(study, patient) -> str:
        consent = active_consent(study, patient)
        if consent is None:
            raise InvalidInput("consent", "the patient has no active consent for this study")
        reason = request.POST.get("reason", "").strip()[:200]
        services.withdraw_consent(actor=request.user, consent=consent, reason=reason)
        return f"{study.protocol_id}: consent withdrawn"

    return _chart_panel_post(
        request,
        protocol_id,
        patient_id,
        Action.MANAGE_CONSENT,
        "Your role may not withdraw research consent",
        withdraw,
    )


def chart_enrol(request, protocol_id, patient_id):
    """Randomize a consented, eligible patient; the arm is revealed here and audited."""

    def enrol(study, patient) -> str:
        enrolment = services.randomize_patient(actor=request.user, study=study, patient=patient)
        return f"{study.protocol_id}: enrolled as {enrolment.subject_id}, arm {enrolment.arm.name}"

    return _chart_panel_post(
        request,
        protocol_id,
        patient_id,
        Action.ENROL_SUBJECT,
        "Your role may not enrol study subjects",
        enrol,
    )


# --- adverse events ----------------------------------------------------------------------


def _date_field(post, name: str, *, required: bool) -> date | None:
    text = post.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name, "enter a date (YYYY-MM-DD)") from None


def _report_adverse_event(request, enrolment: Enrolment) -> AdverseEvent:
    post = request.POST
    try:
        grade = int(post.get("grade", ""))
    except ValueError:
        raise InvalidInput("grade", "a CTCAE grade from 1 to 5") from None
    expected = post.get("is_expected", "")
    if expected not in {"yes", "no"}:
        raise InvalidInput("is_expected", "say whether the event is expected")
    return services.report_adverse_event(
        actor=request.user,
        enrolment=enrolment,
        term=post.get("term", ""),
        category=post.get("category", ""),
        onset_on=_date_field(post, "onset_on", required=True),
        resolved_on=_date_field(post, "resolved_on", required=False),
        grade=grade,
        relatedness=post.get("relatedness", ""),
        is_expected=expected == "yes",
        seriousness=post.getlist("seriousness"),
    )


def adverse_event_new(request, protocol_id, subject_id):
    """Report an adverse event of a subject (RECORD_STUDY_DATA; the service checks the
    consent and that the subject is on study). A serious event starts its reporting
    clocks, which the dashboard's SAE table shows."""
    study = _study(request, protocol_id)
    if not can(request.user, Action.RECORD_STUDY_DATA, study.program_id):
        return HttpResponse("Your role may not record study data", status=403)
    enrolment = (
        Enrolment.objects.filter(study=study, subject_id=subject_id).select_related("arm").first()
    )
    if enrolment is None:
        raise Http404("Subject not found")
    status = 200
    if request.method == "POST":
        try:
            ae = _report_adverse_event(request, enrolment)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 422  # the form comes back with what was typed; nothing was stored
        else:
            clock = f"; report due {ae.next_deadline_at:%Y-%m-%d %H:%M}" if ae.is_serious else ""
            messages.success(request, f"Adverse event reported for {subject_id}{clock}.")
            return redirect(reverse("research:dashboard", args=[protocol_id]))
    context = {
        "study": study,
        "enrolment": enrolment,
        "events": enrolment.adverse_events.order_by("-onset_on", "-id"),
        "categories": AdverseEventCategory.choices,
        "relatedness": [(r.value, r.value.replace("_", " ")) for r in Relatedness],
        "seriousness": [(c.value, c.value.replace("_", " ")) for c in SeriousnessCriterion],
        "grades": [(g.value, g.name.replace("_", " ").lower()) for g in SeverityGrade],
        "today": timezone.localdate(),
        "form": request.POST if request.method == "POST" else {},
        "checked": request.POST.getlist("seriousness") if request.method == "POST" else [],
    }
    return render(request, "research/adverse_event_form.html", context, status=status)


# --- dashboard actions (POST only; back to the dashboard) -------------------------------


def _dashboard_post(request, protocol_id, action: Action, refusal: str, do):
    """One dashboard action: 404 outside the study's program, 403 without ``action``, 405
    for anything but POST (after the gate). ``do(study)`` calls the service and returns
    the success message; a DomainError becomes an error message. Back to the dashboard."""
    study = _study(request, protocol_id)
    if not can(request.user, action, study.program_id):
        return HttpResponse(refusal, status=403)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        messages.success(request, do(study))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("research:dashboard", args=[study.protocol_id]))


def report_filed(request, protocol_id, event_id):
    """The expedited report of the event's next clock was sent: that clock stops."""

    def file(study) -> str:
        ae = AdverseEvent.objects.filter(uid=event_id, enrolment__study=study).first()
        if ae is None:
            raise NotFound("Adverse event not found")
        clock_id = request.POST.get("clock_id", "")
        ae = services.mark_report_filed(actor=request.user, adverse_event=ae, clock_id=clock_id)
        after = f"; next: {ae.next_deadline_clock}" if ae.next_deadline_clock else ""
        return f"{ae.enrolment.subject_id}: {clock_id} report filed{after}"

    return _dashboard_post(
        request, protocol_id, Action.RECORD_STUDY_DATA, "Your role may not record study data", file
    )


def follow_up_end(request, protocol_id, subject_id):
    """A subject's follow-up ends: completed or lost (withdrawal goes via the consent)."""

    def end(study) -> str:
        enrolment = Enrolment.objects.filter(study=study, subject_id=subject_id).first()
        if enrolment is None:
            raise NotFound("Subject not found")
        status = request.POST.get("status", "")
        services.end_follow_up(actor=request.user, enrolment=enrolment, status=status)
        return f"{subject_id}: follow-up {status}"

    return _dashboard_post(
        request, protocol_id, Action.RECORD_STUDY_DATA, "Your role may not record study data", end
    )


def alert_acknowledge(request, protocol_id, study_alert_id):
    """The study team has seen a stopping-rule alert (a pause stays until the status
    changes)."""

    def acknowledge(study) -> str:
        alert = study.alerts.filter(pk=study_alert_id).first()
        if alert is None:
            raise NotFound("Alert not found")
        services.acknowledge_study_alert(actor=request.user, alert=alert)
        return f"Alert {alert.rule_id} acknowledged"

    return _dashboard_post(
        request, protocol_id, Action.MANAGE_STUDY, "Your role may not manage studies", acknowledge
    )
