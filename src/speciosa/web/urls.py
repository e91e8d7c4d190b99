from django.contrib.auth import views as auth_views
from django.urls import path

from speciosa.accounts.views import LoginView
from speciosa.web import views

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.caseload, name="caseload"),
    path("patients/<uuid:patient_id>/", views.patient_chart, name="patient_chart"),
    path(
        "patients/<uuid:patient_id>/assess/<slug:instrument_id>/",
        views.assessment_entry,
        name="assessment_entry",
    ),
    path(
        "patients/<uuid:patient_id>/self-report-links/",
        views.self_report_link_new,
        name="self_report_link_new",
    ),
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        views.alert_decision,
        {"decision": "acknowledge"},
        name="alert_acknowledge",
    ),
    path(
        "alerts/<uuid:alert_id>/override/",
        views.alert_decision,
        {"decision": "override"},
        name="alert_override",
    ),
    path(
        "patients/<uuid:patient_id>/plans/from-template/",
        views.plan_from_template,
        name="plan_from_template",
    ),
    path("plans/<uuid:plan_id>/sign/", views.plan_sign, name="plan_sign"),
    path("plans/<uuid:plan_id>/status/", views.plan_objective_status, name="plan_item_status"),
    path(
        "plans/<uuid:plan_id>/disclosure.pdf",
        views.plan_disclosure_pdf,
        name="plan_disclosure_pdf",
    ),
    path("evidence/", views.evidence_list, name="evidence_list"),
    path("evidence/<str:card_id>/", views.evidence_detail, name="evidence_detail"),
    path("healthz", views.healthz, name="healthz"),
]
