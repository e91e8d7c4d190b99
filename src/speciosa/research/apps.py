from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "speciosa.research"
    label = "research"
