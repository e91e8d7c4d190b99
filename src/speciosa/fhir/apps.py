from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "speciosa.fhir"
    label = "fhir"
    verbose_name = "FHIR"
