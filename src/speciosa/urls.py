from django.contrib import admin
from django.urls import include, path

from speciosa.api import api
from speciosa.fhir.views import root_view as fhir_root_view

admin.site.site_header = "Speciosa administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("fhir", fhir_root_view),  # POST /fhir: transaction/batch Bundles
    path("fhir/", include("speciosa.fhir.urls")),
    path("outcomes/", include("speciosa.outcomes.urls")),
    path("r/", include("speciosa.selfreport.urls")),
    path("research/", include("speciosa.research.urls")),
    path("", include("speciosa.web.urls")),
]
