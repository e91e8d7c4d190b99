"""Study pages: the list of studies, a study dashboard (status, flow, SAE clocks, alerts,
visits due, report) and visit data entry. Subjects appear by study subject id only; the
visit entry page, which lists the subject's own scores, is a chart read (audited)."""

from datetime import datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from speciosa.accounts.access import roles_in
from speciosa.accounts.permissions import Action, can
from speciosa.clinical.errors import DomainError, InvalidInput, PermissionDenied
from speciosa.clinical.research.charts import consort_svg
from speciosa.clinical.research.visits import VisitState
from speciosa.measures.models import Score
from speciosa.patients.queries import get_patient_for_user
from speciosa.research import services
from speciosa.research.analysis import study_consort
from speciosa.research.models import AdverseEvent, Enrolment, EnrolmentStatus
from speciosa.research.queries import consented_enrolments, studies_for_user, visits_due


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
        "arms": study.arms.all(),
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
