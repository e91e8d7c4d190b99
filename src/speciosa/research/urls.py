from django.urls import path

from speciosa.research import views

app_name = "research"

urlpatterns = [
    path("", views.study_list, name="studies"),
    path("<slug:protocol_id>/", views.study_dashboard, name="dashboard"),
    path("<slug:protocol_id>/report/", views.study_report, name="report"),
    path(
        "<slug:protocol_id>/subjects/<str:subject_id>/visits/<slug:visit_code>/",
        views.visit_entry,
        name="visit_entry",
    ),
    path(
        "<slug:protocol_id>/subjects/<str:subject_id>/adverse-events/",
        views.adverse_event_new,
        name="adverse_event_new",
    ),
    # dashboard actions (POST only; back to the dashboard)
    path(
        "<slug:protocol_id>/adverse-events/<uuid:event_id>/filed/",
        views.report_filed,
        name="report_filed",
    ),
    path(
        "<slug:protocol_id>/subjects/<str:subject_id>/end-follow-up/",
        views.follow_up_end,
        name="follow_up_end",
    ),
    path(
        "<slug:protocol_id>/alerts/<int:study_alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    # the chart's Research panel (POST only; back to the chart)
    path(
        "<slug:protocol_id>/patients/<uuid:patient_id>/screen/",
        views.chart_screen,
        name="chart_screen",
    ),
    path(
        "<slug:protocol_id>/patients/<uuid:patient_id>/consent/",
        views.chart_consent,
        name="chart_consent",
    ),
    path(
        "<slug:protocol_id>/patients/<uuid:patient_id>/consent/withdraw/",
        views.chart_withdraw_consent,
        name="chart_withdraw_consent",
    ),
    path(
        "<slug:protocol_id>/patients/<uuid:patient_id>/enrol/",
        views.chart_enrol,
        name="chart_enrol",
    ),
]
