from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "speciosa.fhir"
    label = "fhir"
    verbose_name = "FHIR"

    def ready(self) -> None:
        from speciosa.fhir.mapping import load_mappings

        load_mappings()
