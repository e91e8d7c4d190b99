from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "speciosa.audit"
    label = "audit"
