from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "speciosa.privacy"
    label = "privacy"
    verbose_name = "Privacy (42 CFR Part 2, break-the-glass)"
