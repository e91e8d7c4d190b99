from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "speciosa.measures"
    label = "measures"
