from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "speciosa.core"
    label = "core"
