from django.contrib import admin
from django.urls import include, path

from speciosa.api import api

admin.site.site_header = "Speciosa administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("fhir/", include("speciosa.fhir.urls")),
    path("", include("speciosa.web.urls")),
]
