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
]
