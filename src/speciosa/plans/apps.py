from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "speciosa.plans"
    label = "plans"
