from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "speciosa.web"
    label = "web"
