from django.urls import path

from speciosa.selfreport import views

urlpatterns = [path("<str:token>/", views.self_report, name="self_report")]
