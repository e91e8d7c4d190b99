from django.apps import AppConfig


class SelfreportConfig(AppConfig):
    name = "speciosa.selfreport"
    label = "selfreport"
    verbose_name = "Patient self-report links"
