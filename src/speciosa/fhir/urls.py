"""FHIR R4 routes (issue 7). Every error here is an OperationOutcome."""

from django.urls import path, re_path

from speciosa.fhir import export_views, views

TYPE = r"(?P<type_name>[A-Z][A-Za-z]+)"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("", views.root_view, name="fhir-root"),
    path("metadata", views.metadata, name="fhir-metadata"),
    path("$export", export_views.system_export, name="fhir-export"),
    path("Patient/$export", export_views.patient_export, name="fhir-patient-export"),
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-]{1,64})/\$export$", export_views.group_export),
    path("$export-status/<str:job_id>", export_views.export_status, name="fhir-export-status"),
    re_path(
        r"^\$export-file/(?P<job_id>[0-9a-f\-]{36})/(?P<filename>[A-Za-z]+\.ndjson)$",
        export_views.export_file,
        name="fhir-export-file",
    ),
    re_path(rf"^{TYPE}/_search/?$", views.search_post_view, name="fhir-search-post"),
    re_path(rf"^{TYPE}/?$", views.type_view, name="fhir-type"),
    re_path(rf"^{TYPE}/{ID}/?$", views.instance_view, name="fhir-instance"),
    re_path(rf"^{TYPE}/{ID}/_history/?$", views.history_view, name="fhir-history"),
    re_path(
        rf"^{TYPE}/{ID}/_history/(?P<version_id>[0-9]+)/?$",
        views.history_view,
        name="fhir-vread",
    ),
    re_path(r"^(?P<path>.*)$", views.unknown_route, name="fhir-unknown"),
]
