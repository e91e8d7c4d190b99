"""Plan and discharge-summary PDFs (WeasyPrint). Rendering only; see documents.py.

``disclosure`` (from ``plans.disclosure.notice_context``) marks a PDF made for a recipient
outside the program: its first page then carries the 42 CFR Part 2 notice and scope.
"""

from typing import Any

from django.template.loader import render_to_string

from speciosa.plans.documents import discharge_context, plan_context
from speciosa.plans.models import TreatmentPlan


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=html).write_pdf()


def render_plan_html(plan: TreatmentPlan, disclosure: dict[str, Any] | None = None) -> str:
    return render_to_string("plans/plan_pdf.html", plan_context(plan) | {"disclosure": disclosure})


def render_plan_pdf(plan: TreatmentPlan, disclosure: dict[str, Any] | None = None) -> bytes:
    return _pdf(render_plan_html(plan, disclosure))


def render_discharge_summary_html(
    plan: TreatmentPlan, disclosure: dict[str, Any] | None = None
) -> str:
    context = discharge_context(plan) | {"disclosure": disclosure}
    return render_to_string("plans/discharge_summary_pdf.html", context)


def render_discharge_summary_pdf(
    plan: TreatmentPlan, disclosure: dict[str, Any] | None = None
) -> bytes:
    return _pdf(render_discharge_summary_html(plan, disclosure))
