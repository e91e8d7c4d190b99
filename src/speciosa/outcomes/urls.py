from django.urls import path

from speciosa.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
]
