from django.apps import AppConfig


class DataioConfig(AppConfig):
    name = "speciosa.dataio"
    label = "dataio"
