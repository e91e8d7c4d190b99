from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "speciosa.safety"
    label = "safety"
