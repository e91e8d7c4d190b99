from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "speciosa.outcomes"
    label = "outcomes"
