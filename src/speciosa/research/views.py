"""Study pages: the list of studies and a study dashboard (status, flow, SAE clocks,
alerts, visits due, report). Subjects appear by study subject id only."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from speciosa.accounts.access import roles_in
from speciosa.clinical.errors import PermissionDenied
from speciosa.clinical.research.charts import consort_svg
from speciosa.clinical.research.visits import VisitState
from speciosa.research.analysis import study_consort
from speciosa.research.models import AdverseEvent, EnrolmentStatus
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
