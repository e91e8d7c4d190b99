from django.contrib.auth import views as auth_views
from django.urls import path

from speciosa.accounts.views import LoginView
from speciosa.web import views

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.caseload, name="caseload"),
    path("patients/<uuid:patient_id>/", views.patient_chart, name="patient_chart"),
    path("healthz", views.healthz, name="healthz"),
]
