from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "speciosa.patients"
    label = "patients"
