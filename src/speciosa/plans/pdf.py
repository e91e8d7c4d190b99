"""Plan and discharge-summary PDFs (WeasyPrint). Rendering only; see documents.py."""

from django.template.loader import render_to_string

from speciosa.plans.documents import discharge_context, plan_context
from speciosa.plans.models import TreatmentPlan


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=html).write_pdf()


def render_plan_html(plan: TreatmentPlan) -> str:
    return render_to_string("plans/plan_pdf.html", plan_context(plan))


def render_plan_pdf(plan: TreatmentPlan) -> bytes:
    return _pdf(render_plan_html(plan))


def render_discharge_summary_html(plan: TreatmentPlan) -> str:
    return render_to_string("plans/discharge_summary_pdf.html", discharge_context(plan))


def render_discharge_summary_pdf(plan: TreatmentPlan) -> bytes:
    return _pdf(render_discharge_summary_html(plan))
